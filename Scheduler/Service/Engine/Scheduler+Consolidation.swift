import Placement

/// How few nodes could carry a group's current allocations.
public struct ConsolidationEstimate: Sendable, Hashable, Codable {
    public var nodeClass: NodeClass
    public var partition: String
    public var nodes: Int
    /// Nodes holding at least one allocation.
    public var nodesInUse: Int
    /// The nodes the consolidation planner packs the allocated replicas onto (CPU, memory and
    /// GPU thousandths as one vector each, on nodes shaped like the group's largest).
    public var nodesNeeded: Int
    /// No packing can use fewer.
    public var lowerBound: Int
}

extension Scheduler {
    /// Per node class and partition: how few nodes could carry today's allocations, by the
    /// consolidation planner with `budget` per group. GPUs count as one pool per node (devices
    /// are not told apart), so the figure is a bound for GPU work.
    public func consolidation(budget: Duration = .milliseconds(200), by caller: Principal) throws(ServiceError) -> [ConsolidationEstimate] {
        try caller.require(.readOperations)
        let (nodes, replicas) = state.withLock { s in
            (s.cluster.nodes, s.cluster.allocations.values.flatMap(\.replicas).map { ($0.node, $0.resources, $0.gpuMilli) })
        }
        let groups = Dictionary(grouping: nodes.indices) { GroupKey(nodeClass: nodes[$0].nodeClass, partition: nodes[$0].partition) }
        var estimates: [ConsolidationEstimate] = []
        for (key, members) in groups.sorted(by: { ($0.key.nodeClass, $0.key.partition) < ($1.key.nodeClass, $1.key.partition) }) {
            let memberSet = Set(members)
            let shape = members.map { nodes[$0] }.max { ($0.capacity.cpuMillis, $0.capacity.memoryMiB, $0.gpus.count) < ($1.capacity.cpuMillis, $1.capacity.memoryMiB, $1.gpus.count) }!
            let capacity = [shape.capacity.cpuMillis, shape.capacity.memoryMiB, Int64(shape.gpus.count) * Int64(GPUDevice.wholeMilli)].map { max(1, $0) }
            let items = replicas.filter { memberSet.contains($0.0) }.map { [$0.1.cpuMillis, $0.1.memoryMiB, $0.2] }
            let inUse = Set(replicas.filter { memberSet.contains($0.0) }.map(\.0)).count
            guard let problem = try? PackingProblem(capacity: capacity, items: items) else { continue }
            let clock = ContinuousClock()
            let deadline = clock.now + budget
            let packing = ConsolidationPlanner().pack(problem, shouldStop: { clock.now >= deadline })
            estimates.append(ConsolidationEstimate(
                nodeClass: key.nodeClass, partition: key.partition, nodes: members.count, nodesInUse: inUse,
                nodesNeeded: packing.bins.count, lowerBound: problem.lowerBound))
        }
        return estimates
    }
}

private struct GroupKey: Hashable {
    var nodeClass: NodeClass
    var partition: String
}
