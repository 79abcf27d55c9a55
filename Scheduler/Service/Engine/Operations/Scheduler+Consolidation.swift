import Placement

/// How few nodes could carry a group's current allocations.
public struct ConsolidationEstimate: Sendable, Hashable, Codable {
    public var nodeClass: NodeClass
    public var partition: String
    public var nodes: Int
    /// Nodes holding at least one allocation.
    public var nodesInUse: Int
    /// The fewest of the group's nodes (largest first) onto which the placement core, with every
    /// constraint and GPU device, places all the group's requests again, largest first.
    public var nodesNeeded: Int
    /// The consolidation planner's packing of the allocated replicas as vectors (CPU, memory, GPU
    /// thousandths) on nodes shaped like the group's largest: no constraints, GPUs as one pool.
    public var vectorPacking: Int
    /// No packing of those vectors can use fewer.
    public var lowerBound: Int
}

extension Scheduler {
    /// Per node class and partition: how few nodes could carry today's allocations (requests
    /// with every replica in the group). Reads a snapshot; the search runs outside the lock.
    public func consolidation(budget: Duration = .milliseconds(200), by caller: Principal) throws(ServiceError) -> [ConsolidationEstimate] {
        try caller.require(.readOperations)
        let (cluster, requests, validator) = state.withLock { s in
            (s.cluster, s.open.records.filter { $0.phase.holdsAllocation }.map(\.spec), s.placer.validator)
        }
        let nodes = cluster.nodes
        let groups = Dictionary(grouping: nodes.indices) { GroupKey(nodeClass: nodes[$0].nodeClass, partition: nodes[$0].partition) }
        let allReplicas = cluster.allocations.values.flatMap(\.replicas)
        var estimates: [ConsolidationEstimate] = []
        for (key, members) in groups.sorted(by: { ($0.key.nodeClass, $0.key.partition) < ($1.key.nodeClass, $1.key.partition) }) {
            let memberIDs = Set(members.map { nodes[$0].id })
            let replicas = allReplicas.filter { memberIDs.contains($0.nodeID) }
            let inGroup = requests.filter { request in
                guard let allocation = cluster.allocations[request.id] else { return false }
                return allocation.replicas.allSatisfy { memberIDs.contains($0.nodeID) }
            }
            let largest = members.map { nodes[$0] }.sorted { ($0.capacity.cpuMillis, $0.capacity.memoryMiB, $0.gpus.count, $1.id) > ($1.capacity.cpuMillis, $1.capacity.memoryMiB, $1.gpus.count, $0.id) }
            let capacity = [largest[0].capacity.cpuMillis, largest[0].capacity.memoryMiB, Int64(largest[0].gpus.count) * Int64(GPUDevice.wholeMilli)].map { max(1, $0) }
            guard let problem = try? PackingProblem(capacity: capacity, items: replicas.map { [$0.resources.cpuMillis, $0.resources.memoryMiB, $0.gpuMilli] }) else { continue }
            let clock = ContinuousClock()
            let deadline = clock.now + budget
            let packing = ConsolidationPlanner().pack(problem, shouldStop: { clock.now >= deadline })
            let inUse = Set(replicas.map(\.nodeID)).count
            estimates.append(ConsolidationEstimate(
                nodeClass: key.nodeClass, partition: key.partition, nodes: members.count, nodesInUse: inUse,
                nodesNeeded: Self.fewestNodes(for: inGroup, on: largest, from: inUse, cluster: cluster, validator: validator) ?? inUse,
                vectorPacking: packing.bins.count, lowerBound: problem.lowerBound))
        }
        return estimates
    }

    /// The smallest k such that the placement core places every request on the first k `nodes`
    /// (binary search up to `upper`), or nil when even `upper` does not hold them.
    static func fewestNodes(for requests: [PlacementRequest], on nodes: [Node], from upper: Int, cluster: ClusterState, validator: RequestValidator) -> Int? {
        guard !requests.isEmpty else { return 0 }
        let order = requests.sorted { (weight($0), $0.id) > (weight($1), $1.id) }
        guard let policy = try? PolicyRegistry.policy(named: "best-fit", scan: .all) else { return nil }
        func fits(_ k: Int) -> Bool {
            let trialNodes = nodes.enumerated().map { i, node in
                var node = node
                node.state = i < k ? .ready : .cordoned
                return node
            }
            guard var trial = try? ClusterState(nodes: trialNodes, topology: cluster.topology, storagePools: cluster.storagePools) else { return false }
            var placer = Placer(policy: policy, validator: validator)
            for request in order {
                guard case .placed(let placement) = placer.place(request, in: trial), placement.preempted.isEmpty, placement.unplaced == nil,
                      (try? trial.commit(placement, of: request)) != nil
                else { return false }
            }
            return true
        }
        var (low, high) = (1, min(upper, nodes.count))
        guard fits(high) else { return nil }
        while low < high {
            let middle = (low + high) / 2
            if fits(middle) { high = middle } else { low = middle + 1 }
        }
        return high
    }

    /// A request's size for ordering: cores, GiB of memory and GPUs, per replica times replicas.
    private static func weight(_ request: PlacementRequest) -> Double {
        Double(request.replicas) * (Double(request.resources.cpuMillis) / 1000 + Double(request.resources.memoryMiB) / 4096 + Double(request.gpuMilliPerReplica) / 125)
    }
}

private struct GroupKey: Hashable {
    var nodeClass: NodeClass
    var partition: String
}
