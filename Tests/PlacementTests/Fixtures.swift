import Testing
@testable import Placement

/// Small clusters and requests for tests.
enum Fixture {
    static func node(
        _ id: String, _ nodeClass: NodeClass = .general, site: String = "dc-1", region: String = "core", partition: String = "public",
        cpu: Int64 = 8_000, memory: Int64 = 16_384, disk: Int64 = 100, bandwidth: Int64 = 1_000, gpus: [GPUDevice] = [],
        labels: [String: String] = [:], state: NodeState = .ready, green: Double = 0, watts: Double = 10, price: PriceRate = PriceRate()
    ) -> Node {
        Node(
            id: id, nodeClass: nodeClass, site: site, region: region, partition: partition, labels: labels, state: state,
            capacity: Resources(cpuMillis: cpu, memoryMiB: memory, diskGiB: disk, bandwidthMbps: bandwidth), gpus: gpus,
            energy: EnergyProfile(greenShare: green, wattsPerBusyCore: watts), price: price)
    }

    static func gpus(_ count: Int, _ model: String = "A100", memory: Int64 = 40_960) -> [GPUDevice] {
        Array(repeating: GPUDevice(model: model, memoryMiB: memory), count: count)
    }

    static func request(
        _ id: String = "r1", tenant: String = "transport", priority: PriorityClass = .standard, kind: WorkloadKind = .service,
        replicas: Int = 1, gang: Bool = false, cpu: Int64 = 1_000, memory: Int64 = 1_024, disk: Int64 = 0, bandwidth: Int64 = 0,
        gpu: GPURequest? = nil, volumes: [VolumeRequest] = [], origin: String? = nil, maxLatency: Double? = nil,
        classes: Set<NodeClass>? = nil, required: [String: String] = [:], forbidden: [String: String] = [:],
        spread: SpreadConstraint? = nil, partition: String = "public"
    ) -> PlacementRequest {
        PlacementRequest(
            id: id, tenant: tenant, priority: priority, kind: kind, replicas: replicas, gang: gang,
            resources: Resources(cpuMillis: cpu, memoryMiB: memory, diskGiB: disk, bandwidthMbps: bandwidth), gpu: gpu, volumes: volumes,
            originSite: origin, maxLatencyMs: maxLatency, allowedClasses: classes, requiredLabels: required, forbiddenLabels: forbidden,
            spread: spread, partition: partition)
    }

    /// Three sites: dc-1 and dc-2 are 5 ms apart, edge-1 is 2 ms from dc-1 and 6 ms from dc-2.
    static let topology = Topology(
        sites: ["dc-1", "dc-2", "edge-1"],
        links: [
            .init(from: "dc-1", to: "dc-2", latencyMs: 5), .init(from: "dc-1", to: "edge-1", latencyMs: 2),
            .init(from: "dc-2", to: "edge-1", latencyMs: 6),
        ])

    static func state(_ nodes: [Node], pools: [StoragePool] = []) -> ClusterState {
        try! ClusterState(nodes: nodes, topology: topology, storagePools: pools)
    }

    static func resolve(_ request: PlacementRequest, in state: ClusterState) -> ResolvedRequest {
        try! RequestValidator().resolve(request, in: state)
    }

    static func context(_ request: PlacementRequest, in state: ClusterState, earlier: [Int] = []) -> PlacementContext {
        PlacementContext(state: state, request: resolve(request, in: state), earlierReplicas: earlier)
    }

    static func placer(_ policy: String = "best-fit", scan: ScanLimit = .all, seed: UInt64 = 7) -> Placer {
        Placer(policy: try! PolicyRegistry.policy(named: policy, scan: scan), seed: seed)
    }

    /// Places and commits; returns the committed placement or nil.
    @discardableResult
    static func placeAndCommit(_ request: PlacementRequest, in state: inout ClusterState, placer: inout Placer) -> Placement? {
        guard case .placed(let placement) = placer.place(request, in: state) else { return nil }
        try! state.commit(placement, of: request)
        return placement
    }

    /// Each scorer ranks a small table of nodes for one request; the tests check the order and range.
    static func scores(_ scorer: some PlacementScorer, _ request: PlacementRequest, on nodes: [Node], earlier: [String] = [], prefill: [(String, Int64)] = []) -> [String: Double] {
        var state = Fixture.state(nodes)
        for (i, (node, cpu)) in prefill.enumerated() {
            let replica = ReplicaAssignment(replica: 0, node: state.index(ofNode: node)!, nodeID: node, resources: Resources(cpuMillis: cpu, memoryMiB: cpu), gpus: [], volumes: [])
            try! state.commit(Placement(replicas: [replica]), of: Fixture.request("prefill-\(i)"))
        }
        let context = Fixture.context(request, in: state, earlier: earlier.map { state.index(ofNode: $0)! })
        var result: [String: Double] = [:]
        for (i, node) in nodes.enumerated() {
            let score = scorer.score(node: i, in: context)
            #expect((0...1).contains(score), "\(scorer.name) scored \(node.id) outside 0...1: \(score)")
            result[node.id] = score
        }
        return result
    }
}
