import Placement
import SchedulerService

/// A request as the API returns it, in the API's names and units (schema `Request`).
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
        var code: String
        var summary: String
        var reasons: [Reason]?
        var nodesEvaluated: Int?
        var unplacedReplicas: Int?

        init(_ reason: WaitReason) {
            code = reason.code
            summary = reason.message
            switch reason {
            case .capacity(let report), .nodes(let report):
                reasons = report.entries.map { Reason(code: $0.reason.code, nodes: $0.nodes) }
                nodesEvaluated = report.nodesEvaluated
                unplacedReplicas = report.unplacedReplicas
            case .quota, .conflict, .backoff:
                break
            }
        }
    }

    /// What the request asks for per replica (schema `Request.spec`).
    struct Spec: Encodable {
        var cpu: Double
        var memoryMiB: Int64
        var diskGiB: Int64
        var bandwidthMbps: Int64
        var gpu: GPURequestSpec?
        var volumes: [VolumeRequest]
        var originSite: String?
        var maxLatencyMs: Double?
        var allowedClasses: [NodeClass]?
        var requiredLabels: [String: String]
        var forbiddenLabels: [String: String]
        var spread: SpreadSpec?
        var leaseSeconds: Int64?
        var queueDeadline: Double?

        init(_ request: PlacementRequest) {
            cpu = CPU.cores(request.resources.cpuMillis)
            memoryMiB = request.resources.memoryMiB
            diskGiB = request.resources.diskGiB
            bandwidthMbps = request.resources.bandwidthMbps
            gpu = request.gpu.map(GPURequestSpec.init)
            volumes = request.volumes
            originSite = request.originSite
            maxLatencyMs = request.maxLatencyMs
            allowedClasses = request.allowedClasses.map { $0.sorted() }
            requiredLabels = request.requiredLabels
            forbiddenLabels = request.forbiddenLabels
            spread = request.spread.map(SpreadSpec.init)
            leaseSeconds = request.leaseSeconds
            queueDeadline = request.queueDeadline
        }
    }

    var id: String
    var name: String
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
    var spec: Spec
    var workload: WorkloadSpec?
    var scaling: ScalingSpec?
    var history: [History]?

    struct History: Encodable {
        var at: Double
        var phase: String
        var reason: String?
        var actor: String
    }

    init(_ status: RequestStatus, withHistory: Bool = false) {
        let record = status.record
        id = record.id
        name = record.name
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
                replica: $0.replica, node: $0.nodeID, cpu: CPU.cores($0.resources.cpuMillis), memoryMiB: $0.resources.memoryMiB,
                diskGiB: $0.resources.diskGiB, bandwidthMbps: $0.resources.bandwidthMbps, gpus: $0.gpus, volumes: $0.volumes.map(\.poolID))
        }
        pending = status.waiting.map(Pending.init)
        spec = Spec(record.spec)
        workload = record.workload
        scaling = record.spec.scaling.map(ScalingSpec.init)
        history = withHistory ? status.history.map { History(at: $0.at, phase: $0.phase, reason: $0.reason, actor: $0.actor) } : nil
    }
}


/// A node as the API returns it (schema `Node`).
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
    var retired: Bool
    var registration: Description?
    var reported: Description?

    /// What the operator or the agent said about the node (schema `NodeDescription`).
    struct Description: Encodable {
        var region: String
        var labels: [String: String]
        var capacity: ResourcesView
        var gpus: [NodeRegistration.GPU]

        init(_ node: Node) {
            region = node.region
            labels = node.labels
            capacity = ResourcesView(node.capacity, gpuMilli: Int64(node.gpus.count) * Int64(GPUDevice.wholeMilli))
            gpus = node.gpus.map { NodeRegistration.GPU(model: $0.model, memoryMiB: $0.memoryMiB) }
        }
    }

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
        retired = status.record.retired
        registration = status.record.registration.map(Description.init)
        reported = status.record.reported.map(Description.init)
    }
}

/// A resource vector in API units: cores, MiB, GiB, Mbps and thousandths of GPUs (schema `Resources`).
struct ResourcesView: Codable, Equatable {
    var cpu: Double
    var memoryMiB: Int64
    var diskGiB: Int64
    var bandwidthMbps: Int64
    var gpuMilli: Int64

    init(_ resources: Resources, gpuMilli: Int64) {
        cpu = CPU.cores(resources.cpuMillis)
        memoryMiB = resources.memoryMiB
        diskGiB = resources.diskGiB
        bandwidthMbps = resources.bandwidthMbps
        self.gpuMilli = gpuMilli
    }
}

/// A catalog entry in API units (schema `CatalogEntry`).
struct CatalogEntryView: Encodable {
    var code: String
    var kind: CatalogEntry.Kind
    var name: String
    var version: String?
    var description: String
    var nodeClass: NodeClass?
    var site: String?
    var partition: String
    var labels: [String: String]
    var requiredLabels: [String: String]
    var cpu: Double
    var memoryMiB: Int64
    var diskGiB: Int64
    var bandwidthMbps: Int64
    var gpu: GPURequestSpec?
    var workloadKind: WorkloadKind?
    var sharing: Sharing
    var securityLevel: Int
    var owner: String?
    var userKinds: [UserKind]?
    var scaling: ScalingSpec?
    var rating: RatingView?
    var retired: Bool
    var registeredAt: Double
    var registeredBy: String

    init(_ entry: CatalogEntry, rating: RatingSummary? = nil) {
        self.rating = rating.map(RatingView.init)
        code = entry.code
        kind = entry.kind
        name = entry.name
        version = entry.version
        description = entry.description
        nodeClass = entry.nodeClass
        site = entry.site
        partition = entry.partition
        labels = entry.labels
        requiredLabels = entry.requiredLabels
        scaling = entry.scaling.map(ScalingSpec.init)
        cpu = CPU.cores(entry.resources.cpuMillis)
        memoryMiB = entry.resources.memoryMiB
        diskGiB = entry.resources.diskGiB
        bandwidthMbps = entry.resources.bandwidthMbps
        gpu = entry.gpu.map(GPURequestSpec.init)
        workloadKind = entry.workloadKind
        sharing = entry.sharing
        securityLevel = entry.securityLevel
        owner = entry.owner
        userKinds = entry.userKinds
        retired = entry.retired
        registeredAt = entry.registeredAt
        registeredBy = entry.registeredBy
    }
}

/// A node as an operator registers it ahead of its agent (schema `NodeRegistration`).
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
    var gpus: [GPU]?
    var state: NodeState?

    struct GPU: Codable {
        var model: String
        var memoryMiB: Int64?
    }

    func node() throws(ServiceError) -> Node {
        let cpuMillis: Int64
        do { cpuMillis = try CPU.millicores(cpu, field: "cpu", minimum: 0.001) } catch { throw ServiceError(error) }
        return Node(
            id: id, nodeClass: nodeClass, site: site, region: region ?? "", partition: partition ?? "public", labels: labels ?? [:],
            state: state ?? .ready,
            capacity: Resources(cpuMillis: cpuMillis, memoryMiB: memoryMiB, diskGiB: diskGiB ?? 0, bandwidthMbps: bandwidthMbps ?? 0),
            gpus: (gpus ?? []).map { GPUDevice(model: $0.model, memoryMiB: $0.memoryMiB ?? 0) })
    }
}

/// A quota as set through the API, in API units (schema `Quota`).
struct QuotaBody: Codable {
    var cpu: Double?
    var memoryMiB: Int64?
    var diskGiB: Int64?
    var bandwidthMbps: Int64?
    var gpuMilli: Int64?

    /// The limit of a dimension the caller left out.
    static let unlimited = Int64.max / 4

    func quota() throws(ServiceError) -> Quota {
        let unlimited = Self.unlimited
        var cpuMillis = unlimited
        if let cpu {
            do { cpuMillis = try CPU.millicores(cpu, field: "cpu", maximum: Double(Limits.maxQuotaAmount / 1000)) } catch { throw ServiceError(error) }
        }
        return Quota(
            resources: Resources(
                cpuMillis: cpuMillis, memoryMiB: memoryMiB ?? unlimited,
                diskGiB: diskGiB ?? unlimited, bandwidthMbps: bandwidthMbps ?? unlimited),
            gpuMilli: gpuMilli ?? unlimited)
    }

    init(_ quota: Quota) {
        let r = quota.resources
        func limit(_ value: Int64) -> Int64? { value >= Self.unlimited ? nil : value }
        cpu = limit(r.cpuMillis).map(CPU.cores)
        memoryMiB = limit(r.memoryMiB)
        diskGiB = limit(r.diskGiB)
        bandwidthMbps = limit(r.bandwidthMbps)
        gpuMilli = limit(quota.gpuMilli)
    }
}

/// A tenant's quota for one priority class and what it uses (schema `QuotaUsage`).
struct QuotaView: Encodable {
    var tenant: String
    var priority: PriorityClass
    var limit: QuotaBody
    var used: ResourcesView

    init(_ record: QuotaRecord, used: Usage) {
        tenant = record.tenant
        priority = record.priority
        limit = QuotaBody(record.quota)
        self.used = ResourcesView(used.resources, gpuMilli: used.gpuMilli)
    }
}

/// A user as the API shows it (schema `User`).
struct UserView: Encodable {
    var id: String
    var role: Role
    var tenant: String?
    var kind: UserKind
    var clearance: Int
    var approver: Bool
    var createdAt: Double
    var hasPassword: Bool
    /// Only in the answer to the creation.
    var token: String?

    init(_ user: User, token: String? = nil) {
        hasPassword = user.passwordHash != nil
        id = user.id
        role = user.role
        tenant = user.tenant
        kind = user.kind
        clearance = user.clearance
        approver = user.approver
        createdAt = user.createdAt
        self.token = token
    }
}

/// An application with its steps and the requests it provisioned, as they stand (schema
/// `Application`).
struct ApplicationView: Encodable {
    struct RequestState: Encodable {
        var id: String
        var phase: String
        var reason: String?
    }
    struct ProvisioningView: Encodable {
        var at: Double
        var requests: [RequestState]
        var error: String?
    }

    var id: String
    var tenant: String
    var applicant: String
    var purpose: String
    var industry: String?
    var scenario: String?
    var durationSeconds: Int64
    var items: [ApplicationItem]
    var state: ApplicationState
    var reason: String?
    var steps: [ApprovalStep]
    /// The index of the step under review.
    var currentStep: Int?
    var grants: [String]
    var provisioning: ProvisioningView?
    var createdAt: Double
    var updatedAt: Double
    var submittedAt: Double?

    init(_ status: ApplicationStatus) {
        let a = status.application
        id = a.id
        tenant = a.tenant
        applicant = a.applicant
        purpose = a.purpose
        industry = a.industry
        scenario = a.scenario
        durationSeconds = a.durationSeconds
        items = a.items
        state = a.state
        reason = a.lifecycle.reason
        steps = a.lifecycle.steps
        currentStep = a.lifecycle.currentStep
        grants = a.grants
        provisioning = a.provisioning.map { p in
            ProvisioningView(
                at: p.at,
                requests: p.requests.map { id in
                    let record = status.requests.first { $0.id == id }
                    return RequestState(id: id, phase: record?.phase.name ?? "unknown", reason: record?.phase.reason)
                },
                error: p.error)
        }
        createdAt = a.createdAt
        updatedAt = a.updatedAt
        submittedAt = a.submittedAt
    }

    init(_ application: Application) { self.init(ApplicationStatus(application: application, requests: [])) }
}

/// A webhook; its secret only in the answer to its creation (schema `Webhook`).
struct WebhookView: Encodable {
    var id: String
    var tenant: String
    var url: String
    var createdAt: Double
    var createdBy: String
    var secret: String?

    init(_ webhook: Webhook, showSecret: Bool = false) {
        id = webhook.id
        tenant = webhook.tenant
        url = webhook.url
        createdAt = webhook.createdAt
        createdBy = webhook.createdBy
        secret = showSecret ? webhook.secret : nil
    }
}

/// One delivery with its attempts' outcome (schema `WebhookDelivery`).
struct DeliveryView: Encodable {
    var id: Int64
    var kind: String
    var subject: String
    var at: Double
    var attempts: Int
    var nextAttemptAt: Double?
    var deliveredAt: Double?
    var gaveUpAt: Double?
    var lastStatus: Int?
    var lastError: String?

    init(_ d: WebhookDelivery) {
        id = d.id
        kind = d.notice.kind
        subject = d.notice.subject
        at = d.notice.at
        attempts = d.attempts
        nextAttemptAt = d.nextAttemptAt
        deliveredAt = d.deliveredAt
        gaveUpAt = d.gaveUpAt
        lastStatus = d.lastStatus
        lastError = d.lastError
    }
}

/// A policy as the API shows it: its scope in words (schema `ApprovalPolicy`).
struct ApprovalPolicyView: Encodable {
    var scope: String
    var steps: [StepRule]
    var autoApprove: AutoApproval?
    var updatedAt: Double
    var updatedBy: String

    init(_ policy: ApprovalPolicy) {
        scope = policy.scope.description
        steps = policy.steps
        autoApprove = policy.autoApprove
        updatedAt = policy.updatedAt
        updatedBy = policy.updatedBy
    }
}

/// An entry's ratings in sum (schema `RatingSummary`).
struct RatingView: Encodable {
    var count: Int
    var average: Double?

    init(_ summary: RatingSummary) {
        count = summary.count
        average = summary.average
    }
}

/// What users said about an entry (schema `EntryFeedback`).
struct FeedbackView: Encodable {
    struct Thread: Encodable {
        var question: Post
        var answers: [Post]
    }
    var rating: RatingView
    var ratings: [Rating]
    var questions: [Thread]

    init(_ feedback: EntryFeedback) {
        rating = RatingView(feedback.summary)
        ratings = feedback.ratings
        questions = feedback.questions.map { Thread(question: $0.question, answers: $0.answers) }
    }
}
