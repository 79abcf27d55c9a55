import Placement

/// A node as the API shows it: the record, its state, and what it has free.
public struct NodeStatus: Sendable, Hashable {
    public var record: NodeRecord
    public var state: NodeState
    public var free: Resources
    public var freeGPUMilli: [Int32]
    /// Requests with replicas on the node.
    public var requests: Int
}

extension Scheduler {
    /// Nodes of the catalog in id order, filtered by class, site, partition and a label.
    public func nodes(nodeClass: NodeClass? = nil, site: String? = nil, partition: String? = nil, label: (String, String)? = nil, by caller: Principal) throws(ServiceError) -> [NodeStatus] {
        try caller.require(.readNodes)
        return state.withLock { s in
            s.nodes.keys.sorted().compactMap { id -> NodeStatus? in
                let node = s.nodes[id]!.node
                if let nodeClass, node.nodeClass != nodeClass { return nil }
                if let site, node.site != site { return nil }
                if let partition, node.partition != partition { return nil }
                if let (key, value) = label, node.labels[key] != value { return nil }
                return Self.status(of: id, in: s)
            }
        }
    }

    public func node(_ id: String, by caller: Principal) throws(ServiceError) -> NodeStatus {
        try caller.require(.readNodes)
        guard let status = state.withLock({ s in s.nodes[id] == nil ? nil : Self.status(of: id, in: s) }) else {
            throw ServiceError.notFound("node \(id)")
        }
        return status
    }

    static func status(of id: String, in s: borrowing EngineState) -> NodeStatus {
        let record = s.nodes[id]!
        let index = s.cluster.index(ofNode: id)!
        return NodeStatus(
            record: record, state: s.cluster.nodeStates[index], free: s.cluster.freeResources(ofNode: index),
            freeGPUMilli: s.cluster.freeGPUMilli(ofNode: index), requests: s.cluster.requestCount(onNode: index))
    }

    /// Registers a node in the catalog, or updates one that holds no allocation. `awaitingAgent`
    /// marks a node an operator registers ahead of its agent (an edge site being set up).
    public func registerNode(_ node: Node, awaitingAgent: Bool, agentVersion: String? = nil, by caller: Principal) throws(ServiceError) -> NodeStatus {
        try caller.require(.manageNodes)
        try Self.checkNodeID(node.id, field: "id")
        let now = now()
        let status = try change { (s: borrowing EngineState) throws(ServiceError) in
            if let existing = s.nodes[node.id] {
                let index = s.cluster.index(ofNode: node.id)!
                if s.cluster.freeResources(ofNode: index) != existing.node.capacity || s.cluster.freeGPUMilli(ofNode: index).contains(where: { $0 != GPUDevice.wholeMilli }) {
                    throw ServiceError.conflict("node \(node.id) holds allocations: drain it and release them before changing it", field: "id")
                }
            }
            let cluster = try Self.cluster(s, with: node, config: config)
            let record = NodeRecord(node: node, registeredAt: s.nodes[node.id]?.registeredAt ?? now, awaitingAgent: awaitingAgent, agentVersion: agentVersion)
            var batch = StoreBatch()
            batch.nodes = [record]
            batch.audit = [AuditEntry(at: now, actor: caller.user, action: s.nodes[node.id] == nil ? "node.register" : "node.update", target: "node/\(node.id)", detail: "\(node.nodeClass.rawValue) at \(node.site)")]
            return (batch, { s in
                Self.install(cluster, in: &s)
                s.nodes[node.id] = record
                return Self.status(of: node.id, in: s)
            })
        }
        signalPlacement()
        return status
    }

    /// Node ids are names; `api` is where API calls are metered.
    static func checkNodeID(_ id: String, field: String) throws(ServiceError) {
        try checkName(id, field: field)
        guard id != apiMeteringName else { throw ServiceError.invalid(field, "'\(id)' is reserved") }
    }

    /// The cluster state with `node` added or replacing the node of its id, allocations kept.
    static func cluster(_ s: borrowing EngineState, with node: Node, config: SchedulerConfig) throws(ServiceError) -> ClusterState {
        var nodes = s.nodes.values.map(\.node).filter { $0.id != node.id }
        nodes.append(node)
        nodes.sort { $0.id < $1.id }
        return try rebuild(s.cluster, nodes: nodes, config: config)
    }

    /// Makes `cluster` the working state: its capacity may let pending requests fit.
    static func install(_ cluster: ClusterState, in s: inout EngineState) {
        s.cluster = cluster
        let totals = cluster.totals()
        s.queue.config.clusterCapacity = Usage(resources: totals.capacity, gpuMilli: totals.gpuMilli)
        s.capacityGeneration &+= 1
    }

    /// A new cluster state with `nodes` carrying over every allocation (by node id).
    static func rebuild(_ cluster: ClusterState, nodes: [Node], config: SchedulerConfig) throws(ServiceError) -> ClusterState {
        var rebuilt: ClusterState
        do {
            rebuilt = try ClusterState(nodes: nodes, topology: config.topology, storagePools: config.storagePools)
        } catch {
            throw ServiceError(error)
        }
        for node in nodes {
            if let old = cluster.index(ofNode: node.id), let new = rebuilt.index(ofNode: node.id) {
                rebuilt.setState(cluster.nodeStates[old], ofNode: new)
            }
        }
        for allocation in cluster.allocations.values.sorted(by: { $0.sequence < $1.sequence }) {
            do { try rebuilt.restore(allocation) } catch {
                throw ServiceError.conflict("the new node set cannot hold request \(allocation.requestID): \(error.reason)")
            }
        }
        return rebuilt
    }

    /// Sets a node's administrative state: `cordoned` and `draining` take no new work, `ready`
    /// takes it again. Draining also moves the node's restartable workloads (services, batch
    /// work, movable VMs) elsewhere: they are stopped and queued again; the others stay until
    /// released.
    public func setNodeState(_ id: String, to target: NodeState, by caller: Principal) throws(ServiceError) -> NodeStatus {
        try caller.require(.manageNodes)
        guard [.ready, .cordoned, .draining].contains(target) else {
            throw ServiceError.invalid("state", "an operator sets ready, cordoned or draining, not \(target.rawValue)")
        }
        let now = now()
        let status = try change { (s: borrowing EngineState) throws(ServiceError) in
            guard var record = s.nodes[id] else { throw ServiceError.notFound("node \(id)") }
            let index = s.cluster.index(ofNode: id)!
            let current = s.cluster.nodeStates[index]
            if target == .ready, current == .lost || current == .suspect {
                throw ServiceError.conflict("node \(id) is \(current.rawValue): it becomes ready when its agent reports again")
            }
            record.node.state = target
            var batch = StoreBatch()
            batch.nodes = [record]
            let verb = target == .ready ? "uncordon" : target == .cordoned ? "cordon" : "drain"
            batch.audit = [AuditEntry(at: now, actor: caller.user, action: "node.\(verb)", target: "node/\(id)", detail: "\(current.rawValue) -> \(target.rawValue)")]
            let updated = record
            return (batch, { s in
                s.nodes[id] = updated
                s.cluster.setState(target, ofNode: index)
                if target == .ready { s.capacityGeneration &+= 1 }
                if target == .draining { s.drainQueue.insert(id) } else { s.drainQueue.remove(id) }
                return Self.status(of: id, in: s)
            })
        }
        signalPlacement()
        return status
    }
}
