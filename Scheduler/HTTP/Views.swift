import Placement
import SchedulerService

/// A request as the API returns it.
struct RequestView: Encodable {
    struct Replica: Encodable {
        var replica: Int
        var node: String
        var cpu: Double
        var memoryMiB: Int64
        var diskGiB: Int64
        var bandwidthMbps: Int64
        var gpus: [GPUShare]
        var volumes: [String]
    }

    struct Pending: Encodable {
        struct Reason: Encodable {
            var code: String
            var nodes: Int
        }
        var reasons: [Reason]
        var nodesEvaluated: Int
        var unplacedReplicas: Int
        var summary: String
    }

    var id: String
    var tenant: String
    var phase: String
    var reason: String?
    var priority: PriorityClass
    var kind: WorkloadKind
    var replicas: Int
    var gang: Bool
    var partition: String
    var submittedAt: Double
    var submittedBy: String
    var updatedAt: Double
    var leaseEndsAt: Double?
    var placement: [Replica]
    var pending: Pending?
    var spec: PlacementRequest
    var workload: WorkloadSpec?
    var history: [HistoryEntry]?

    init(_ status: RequestStatus, withHistory: Bool = false) {
        let record = status.record
        id = record.id
        tenant = record.tenant
        phase = record.phase.name
        reason = record.phase.reason
        priority = record.spec.priority
        kind = record.spec.kind
        replicas = record.spec.replicas
        gang = record.spec.gang
        partition = record.spec.partition
        submittedAt = record.spec.submittedAt
        submittedBy = record.submittedBy
        updatedAt = record.updatedAt
        leaseEndsAt = record.leaseEndsAt
        placement = (record.allocation?.replicas ?? []).map {
            Replica(
                replica: $0.replica, node: $0.nodeID, cpu: Double($0.resources.cpuMillis) / 1000, memoryMiB: $0.resources.memoryMiB,
                diskGiB: $0.resources.diskGiB, bandwidthMbps: $0.resources.bandwidthMbps, gpus: $0.gpus, volumes: $0.volumes.map(\.poolID))
        }
        pending = status.noFit.map { report in
            Pending(
                reasons: report.entries.map { Pending.Reason(code: $0.reason.code, nodes: $0.nodes) },
                nodesEvaluated: report.nodesEvaluated, unplacedReplicas: report.unplacedReplicas, summary: report.description)
        }
        spec = record.spec
        workload = record.workload
        history = withHistory ? status.history : nil
    }
}

/// A node as the API returns it.
struct NodeView: Encodable {
    var id: String
    var nodeClass: NodeClass
    var site: String
    var region: String
    var partition: String
    var labels: [String: String]
    var state: NodeState
    var awaitingAgent: Bool
    var agentVersion: String?
    var capacity: ResourcesView
    var allocated: ResourcesView
    var free: ResourcesView
    var gpus: [GPUView]
    var requests: Int
    var registeredAt: Double

    struct GPUView: Encodable {
        var model: String
        var memoryMiB: Int64
        var freeMilli: Int32
    }

    init(_ status: NodeStatus) {
        let node = status.record.node
        id = node.id
        nodeClass = node.nodeClass
        site = node.site
        region = node.region
        partition = node.partition
        labels = node.labels
        state = status.state
        awaitingAgent = status.record.awaitingAgent
        agentVersion = status.record.agentVersion
        capacity = ResourcesView(node.capacity, gpuMilli: Int64(node.gpus.count) * Int64(GPUDevice.wholeMilli))
        let freeGPU = status.freeGPUMilli.reduce(Int64(0)) { $0 + Int64($1) }
        free = ResourcesView(status.free, gpuMilli: freeGPU)
        allocated = ResourcesView(node.capacity - status.free, gpuMilli: capacity.gpuMilli - freeGPU)
        gpus = zip(node.gpus, status.freeGPUMilli).map { GPUView(model: $0.model, memoryMiB: $0.memoryMiB, freeMilli: $1) }
        requests = status.requests
        registeredAt = status.record.registeredAt
    }
}

/// A resource vector in API units: cores, MiB, GiB, Mbps and thousandths of GPUs.
struct ResourcesView: Codable, Equatable {
    var cpu: Double
    var memoryMiB: Int64
    var diskGiB: Int64
    var bandwidthMbps: Int64
    var gpuMilli: Int64

    init(_ resources: Resources, gpuMilli: Int64) {
        cpu = Double(resources.cpuMillis) / 1000
        memoryMiB = resources.memoryMiB
        diskGiB = resources.diskGiB
        bandwidthMbps = resources.bandwidthMbps
        self.gpuMilli = gpuMilli
    }
}

/// A node as an operator registers it ahead of its agent.
struct NodeRegistration: Decodable {
    var id: String
    var nodeClass: NodeClass
    var site: String
    var region: String?
    var partition: String?
    var labels: [String: String]?
    var cpu: Double
    var memoryMiB: Int64
    var diskGiB: Int64?
    var bandwidthMbps: Int64?
    var gpus: [GPUDevice]?
    var state: NodeState?

    func node() throws(ServiceError) -> Node {
        guard cpu.isFinite, cpu > 0, cpu <= 1e6 else { throw ServiceError.invalid("cpu", "must be a number of cores in (0, 10^6]") }
        guard memoryMiB > 0 else { throw ServiceError.invalid("memoryMiB", "must be positive") }
        guard (diskGiB ?? 0) >= 0 else { throw ServiceError.invalid("diskGiB", "must not be negative") }
        guard (bandwidthMbps ?? 0) >= 0 else { throw ServiceError.invalid("bandwidthMbps", "must not be negative") }
        guard !site.isEmpty else { throw ServiceError.invalid("site", "must not be empty") }
        if let state, ![.ready, .cordoned].contains(state) { throw ServiceError.invalid("state", "a new node is ready or cordoned") }
        return Node(
            id: id, nodeClass: nodeClass, site: site, region: region ?? "", partition: partition ?? "public", labels: labels ?? [:],
            state: state ?? .ready,
            capacity: Resources(cpuMillis: Int64((cpu * 1000).rounded()), memoryMiB: memoryMiB, diskGiB: diskGiB ?? 0, bandwidthMbps: bandwidthMbps ?? 0),
            gpus: gpus ?? [])
    }
}

/// A quota as set through the API, in API units.
struct QuotaBody: Codable {
    var cpu: Double?
    var memoryMiB: Int64?
    var diskGiB: Int64?
    var bandwidthMbps: Int64?
    var gpuMilli: Int64?

    /// The limit of a dimension the caller left out.
    static let unlimited = Int64.max / 4

    func quota() throws(ServiceError) -> Quota {
        if let cpu, !(cpu.isFinite && cpu >= 0 && cpu <= 1e9) { throw ServiceError.invalid("cpu", "must be a number of cores in [0, 10^9]") }
        let unlimited = Self.unlimited
        return Quota(
            resources: Resources(
                cpuMillis: cpu.map { Int64(($0 * 1000).rounded()) } ?? unlimited, memoryMiB: memoryMiB ?? unlimited,
                diskGiB: diskGiB ?? unlimited, bandwidthMbps: bandwidthMbps ?? unlimited),
            gpuMilli: gpuMilli ?? unlimited)
    }
}
