/// Changes a decision in progress makes on top of the snapshot: the reservations of the replicas
/// placed so far and the releases of the victims chosen so far. Tiny next to the snapshot, so a
/// multi-replica decision never copies the cluster state.
struct PendingChanges: Sendable {
    /// Per node: what to add to the snapshot's free resources (negative for reservations).
    private(set) var resources: [Int: Resources] = [:]
    /// Per flat GPU index: what to add to its free thousandths.
    private(set) var gpus: [Int: Int32] = [:]
    private(set) var pools: [Int: Int64] = [:]
    /// Index blocks with a node that gained capacity: their summaries no longer bound them.
    private(set) var grownBlocks: Set<Int> = []

    var isEmpty: Bool { resources.isEmpty && pools.isEmpty }

    mutating func take(_ replica: ReplicaAssignment, in table: NodeTable) {
        resources[replica.node, default: .zero] -= replica.resources
        for share in replica.gpus { gpus[table.gpuStart[replica.node] + share.device, default: 0] -= share.milli }
        for volume in replica.volumes { pools[volume.pool, default: 0] -= volume.sizeGiB }
    }

    mutating func give(_ allocation: Allocation, in table: NodeTable) {
        for replica in allocation.replicas {
            resources[replica.node, default: .zero] += replica.resources
            for share in replica.gpus { gpus[table.gpuStart[replica.node] + share.device, default: 0] += share.milli }
            for volume in replica.volumes { pools[volume.pool, default: 0] += volume.sizeGiB }
            grownBlocks.insert(table.blockOfNode[replica.node])
        }
    }
}

/// What filters and scorers see while one replica of a request is being placed: the snapshot as it
/// would be with the earlier replicas of this decision placed and any victims gone.
public struct PlacementContext: Sendable {
    public let state: ClusterState
    public let request: ResolvedRequest
    /// Nodes holding the earlier replicas of this request in this decision.
    public let earlierReplicas: [Int]
    let changes: PendingChanges

    public init(state: ClusterState, request: ResolvedRequest, earlierReplicas: [Int] = []) {
        self.init(state: state, request: request, earlierReplicas: earlierReplicas, changes: PendingChanges())
    }

    init(state: ClusterState, request: ResolvedRequest, earlierReplicas: [Int], changes: PendingChanges) {
        self.state = state
        self.request = request
        self.earlierReplicas = earlierReplicas
        self.changes = changes
    }

    /// The node's free scalar resources.
    @inline(__always)
    public func free(_ node: Int) -> Resources {
        if changes.isEmpty { return state.free[node] }
        return state.free[node] + (changes.resources[node] ?? .zero)
    }

    /// The pool's free GiB.
    func poolFree(_ pool: Int) -> Int64 {
        state.poolFree[pool] + (changes.pools[pool] ?? 0)
    }

    /// Calls `body` with the node's free GPU shares, device models and device memory.
    @inline(__always)
    func withGPUs<T>(
        ofNode node: Int,
        _ body: (_ free: UnsafeBufferPointer<Int32>, _ models: UnsafeBufferPointer<Int32>, _ memory: UnsafeBufferPointer<Int64>) -> T
    ) -> T {
        guard !changes.isEmpty, changes.resources[node] != nil else { return state.withGPUs(ofNode: node, body) }
        let start = state.table.gpuStart[node]
        var free = state.freeGPUMilli(ofNode: node)
        for d in free.indices { free[d] += changes.gpus[start + d] ?? 0 }
        return state.withGPUs(ofNode: node) { _, models, memory in
            free.withUnsafeBufferPointer { body($0, models, memory) }
        }
    }

    /// Free GPU thousandths on the node in all.
    func freeGPUMilli(ofNode node: Int) -> Int64 {
        withGPUs(ofNode: node) { free, _, _ in free.reduce(0) { $0 + Int64($1) } }
    }
}
