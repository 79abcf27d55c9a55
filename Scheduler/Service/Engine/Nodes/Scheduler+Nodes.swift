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
            s.fleet.nodes.keys.sorted().compactMap { id -> NodeStatus? in
                let node = s.fleet.nodes[id]!.node
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
        guard let status = state.withLock({ s in s.fleet.nodes[id] == nil ? nil : Self.status(of: id, in: s) }) else {
            throw ServiceError.notFound("node \(id)")
        }
        return status
    }

    static func status(of id: String, in s: borrowing EngineState) -> NodeStatus {
        let record = s.fleet.nodes[id]!
        let index = s.cluster.index(ofNode: id)!
        return NodeStatus(
            record: record, state: s.cluster.nodeStates[index], free: s.cluster.freeResources(ofNode: index),
            freeGPUMilli: s.cluster.freeGPUMilli(ofNode: index), requests: s.cluster.requestCount(onNode: index))
    }

    /// Registers a node in the catalog. `awaitingAgent` marks a node an operator registers ahead of
    /// its agent (an edge site being set up): its health is tracked from now as if its agent had
    /// gone silent, so a node no agent claims within the heartbeat grace is suspect (no new work,
    /// an alert), then lost, and its restartable work is placed elsewhere.
    public func registerNode(_ node: Node, awaitingAgent: Bool, agentVersion: String? = nil, by caller: Principal) throws(ServiceError) -> NodeStatus {
        try caller.require(.manageNodes)
        try Self.check(node)
        let now = now()
        let status = try change { (s: borrowing EngineState) throws(ServiceError) in
            guard s.fleet.nodes[node.id] == nil else {
                throw ServiceError.conflict("node \(node.id) exists already: change it with PATCH /v1/nodes/\(node.id)", field: "id")
            }
            let cluster = try Self.cluster(s, with: node)
            let record = NodeRecord(node: node, registeredAt: s.fleet.nodes[node.id]?.registeredAt ?? now, awaitingAgent: awaitingAgent, agentVersion: agentVersion, registration: node)
            var batch = StoreBatch()
            batch.nodes = [record]
            batch.audit = [AuditEntry(at: now, actor: caller.user, action: s.fleet.nodes[node.id] == nil ? "node.register" : "node.update", target: "node/\(node.id)", detail: "\(node.nodeClass.rawValue) at \(node.site)")]
            return (batch, { s in
                Self.install(cluster, in: &s)
                s.fleet.nodes[node.id] = record
                if awaitingAgent { s.fleet.health[node.id] = NodeHealth(nodeClass: node.nodeClass, policy: self.config.health, registeredAt: now) }
                return Self.status(of: node.id, in: s)
            })
        }
        signalPlacement()
        return status
    }

    /// What an operator or an agent says about a node, checked: names, labels, amounts.
    static func check(_ node: Node, fieldPrefix prefix: String = "") throws(ServiceError) {
        try checkNodeID(node.id, field: prefix + "id")
        try Identifier.check(node.site, field: prefix + "site")
        if !node.region.isEmpty { try Identifier.check(node.region, field: prefix + "region") }
        try Identifier.check(node.partition, field: prefix + "partition")
        try LabelRule.check(node.labels, field: prefix + "labels")
        // Agents report thousandths of a core: checked against the API's bounds in the API's units.
        do { _ = try CPU.millicores(CPU.cores(node.capacity.cpuMillis), field: prefix + "cpu", minimum: 0.001) } catch { throw ServiceError(error) }
        guard (1...Limits.maxAmount).contains(node.capacity.memoryMiB) else { throw ServiceError.invalid(prefix + "memoryMiB", "must be between 1 and \(Limits.maxAmount)") }
        for (field, value) in [("diskGiB", node.capacity.diskGiB), ("bandwidthMbps", node.capacity.bandwidthMbps)] where !(0...Limits.maxAmount).contains(value) {
            throw ServiceError.invalid(prefix + field, "must be between 0 and \(Limits.maxAmount)")
        }
        guard node.gpus.count <= Limits.maxGPUsPerNode else { throw ServiceError.invalid(prefix + "gpus", "at most \(Limits.maxGPUsPerNode) GPUs per node") }
        for (i, gpu) in node.gpus.enumerated() {
            guard GPUModelName.isValid(gpu.model) else { throw ServiceError.invalid(prefix + "gpus[\(i)].model", "must be \(GPUModelName.rule)") }
            guard (0...Limits.maxAmount).contains(gpu.memoryMiB) else { throw ServiceError.invalid(prefix + "gpus[\(i)].memoryMiB", "must be between 0 and \(Limits.maxAmount)") }
        }
    }

    /// Node ids are names; `api` is where API calls are metered.
    static func checkNodeID(_ id: String, field: String) throws(ServiceError) {
        try Identifier.check(id, field: field)
        guard id != apiMeteringName else { throw ServiceError.conflict("'\(id)' is reserved for metering API calls", field: field) }
    }

    /// The cluster state with `node` added or replacing the node of its id, allocations kept.
    static func cluster(_ s: borrowing EngineState, with node: Node) throws(ServiceError) -> ClusterState {
        var nodes = s.fleet.nodes.values.map(\.node).filter { $0.id != node.id }
        nodes.append(node)
        nodes.sort { $0.id < $1.id }
        return try rebuild(s.cluster, nodes: nodes, infrastructure: s.infrastructure)
    }

    /// Makes `cluster` the working state: its capacity may let pending requests fit.
    static func install(_ cluster: ClusterState, in s: inout EngineState) {
        s.cluster = cluster
        let totals = cluster.totals()
        s.scheduling.setClusterCapacity(Usage(resources: totals.capacity, gpuMilli: totals.gpuMilli))
    }

    /// A new cluster state with `nodes`, the sites, links and pools of `infrastructure`, carrying
    /// over every allocation (by node and pool id).
    static func rebuild(_ cluster: ClusterState, nodes: [Node], infrastructure: Infrastructure) throws(ServiceError) -> ClusterState {
        do {
            return try cluster.rebuilt(nodes: nodes, topology: infrastructure.topology, storagePools: infrastructure.storagePools)
        } catch {
            switch error {
            case .nodes(let invalid): throw ServiceError(invalid)
            case .allocation(let conflict): throw ServiceError.conflict("the new node set cannot hold request \(conflict.requestID): \(conflict.reason)")
            }
        }
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
            guard var record = s.fleet.nodes[id] else { throw ServiceError.notFound("node \(id)") }
            let index = s.cluster.index(ofNode: id)!
            let current = s.cluster.nodeStates[index]
            if target == .ready, current == .lost || current == .suspect {
                throw ServiceError.conflict("node \(id) is \(current.rawValue): it becomes ready when its agent reports again")
            }
            if target == .ready, record.retired {
                throw ServiceError.conflict("node \(id) is retired: it takes no new work; remove it once empty")
            }
            record.node.state = target
            var batch = StoreBatch()
            batch.nodes = [record]
            let verb = target == .ready ? "uncordon" : target == .cordoned ? "cordon" : "drain"
            batch.audit = [AuditEntry(at: now, actor: caller.user, action: "node.\(verb)", target: "node/\(id)", detail: "\(current.rawValue) -> \(target.rawValue)")]
            let updated = record
            return (batch, { s in
                s.fleet.nodes[id] = updated
                s.refreshState(ofNode: id)
                if target == .draining { s.fleet.draining.insert(id) } else { s.fleet.draining.remove(id) }
                return Self.status(of: id, in: s)
            })
        }
        signalPlacement()
        return status
    }

    /// Changes an operator may make to a node; what is nil stays.
    public struct NodeChanges: Sendable, Hashable {
        public var region: String?
        public var labels: [String: String]?
        public var cpuMillis: Int64?
        public var memoryMiB: Int64?
        public var diskGiB: Int64?
        public var bandwidthMbps: Int64?
        public var gpus: [GPUDevice]?

        public init(
            region: String? = nil, labels: [String: String]? = nil, cpuMillis: Int64? = nil, memoryMiB: Int64? = nil, diskGiB: Int64? = nil,
            bandwidthMbps: Int64? = nil, gpus: [GPUDevice]? = nil
        ) {
            self.region = region
            self.labels = labels
            self.cpuMillis = cpuMillis
            self.memoryMiB = memoryMiB
            self.diskGiB = diskGiB
            self.bandwidthMbps = bandwidthMbps
            self.gpus = gpus
        }

        /// The first capacity or GPU field changed, as the API names it; nil when none is.
        var inventoryField: String? {
            [("cpu", cpuMillis != nil), ("memoryMiB", memoryMiB != nil), ("diskGiB", diskGiB != nil), ("bandwidthMbps", bandwidthMbps != nil), ("gpus", gpus != nil)]
                .first { $0.1 }?.0
        }
    }

    /// Edits a node: its region and labels at any time (the operator's win over its agent's); its
    /// capacity and GPUs only while it holds nothing and no agent measures them.
    public func updateNode(_ id: String, _ changes: NodeChanges, by caller: Principal) throws(ServiceError) -> NodeStatus {
        try caller.require(.manageNodes)
        let now = now()
        let status = try change { (s: borrowing EngineState) throws(ServiceError) in
            guard var record = s.fleet.nodes[id], let index = s.cluster.index(ofNode: id) else { throw ServiceError.notFound("node \(id)") }
            var node = record.node
            var registration = record.registration ?? record.node
            if let region = changes.region { node.region = region; registration.region = region }
            if let labels = changes.labels { node.labels = labels; registration.labels = labels }
            if let field = changes.inventoryField {
                guard record.credentialHash == nil else {
                    throw ServiceError.conflict("node \(id)'s agent measures its capacity and GPUs; change them on the host", field: field)
                }
                guard s.cluster.requestCount(onNode: index) == 0 else {
                    throw ServiceError.conflict("node \(id) holds allocations: drain it before changing its capacity", field: field)
                }
                node.capacity.cpuMillis = changes.cpuMillis ?? node.capacity.cpuMillis
                node.capacity.memoryMiB = changes.memoryMiB ?? node.capacity.memoryMiB
                node.capacity.diskGiB = changes.diskGiB ?? node.capacity.diskGiB
                node.capacity.bandwidthMbps = changes.bandwidthMbps ?? node.capacity.bandwidthMbps
                node.gpus = changes.gpus ?? node.gpus
                registration.capacity = node.capacity
                registration.gpus = node.gpus
            }
            try Self.check(node)
            let cluster = try Self.cluster(s, with: node)
            record.node = node
            record.registration = registration
            let updated = record
            var batch = StoreBatch()
            batch.nodes = [updated]
            batch.audit = [AuditEntry(at: now, actor: caller.user, action: "node.update", target: "node/\(id)")]
            return (batch, { s in
                Self.install(cluster, in: &s)
                s.fleet.nodes[id] = updated
                return Self.status(of: id, in: s)
            })
        }
        signalPlacement()
        return status
    }

    /// Retires a node: cordoned for good (what runs there runs to its end); remove it once empty.
    public func retireNode(_ id: String, by caller: Principal) throws(ServiceError) -> NodeStatus {
        try caller.require(.manageNodes)
        let now = now()
        return try change { (s: borrowing EngineState) throws(ServiceError) in
            guard var record = s.fleet.nodes[id], let index = s.cluster.index(ofNode: id) else { throw ServiceError.notFound("node \(id)") }
            record.retired = true
            if record.node.state == .ready { record.node.state = .cordoned }
            let updated = record
            var batch = StoreBatch()
            batch.nodes = [updated]
            batch.audit = [AuditEntry(at: now, actor: caller.user, action: "node.retire", target: "node/\(id)", detail: "\(s.cluster.requestCount(onNode: index)) requests still on it")]
            return (batch, { s in
                s.fleet.nodes[id] = updated
                s.refreshState(ofNode: id)
                return Self.status(of: id, in: s)
            })
        }
    }

    /// Removes a node that holds nothing; its agent's credential stops working.
    public func removeNode(_ id: String, by caller: Principal) throws(ServiceError) {
        try caller.require(.manageNodes)
        let now = now()
        let session = try change { (s: borrowing EngineState) throws(ServiceError) in
            guard let record = s.fleet.nodes[id], let index = s.cluster.index(ofNode: id) else { throw ServiceError.notFound("node \(id)") }
            let held = s.cluster.requestCount(onNode: index)
            guard held == 0 else {
                throw ServiceError.conflict("node \(id) holds \(held) request\(held == 1 ? "" : "s"): drain or retire it and remove it once empty")
            }
            let remaining = s.fleet.nodes.values.map(\.node).filter { $0.id != id }.sorted { $0.id < $1.id }
            let cluster = try Self.rebuild(s.cluster, nodes: remaining, infrastructure: s.infrastructure)
            var batch = StoreBatch()
            batch.removedNodes = [id]
            batch.audit = [AuditEntry(at: now, actor: caller.user, action: "node.remove", target: "node/\(id)")]
            return (batch, { s in
                Self.install(cluster, in: &s)
                s.fleet.nodes[id] = nil
                s.fleet.health[id] = nil
                s.fleet.draining.remove(id)
                if let hash = record.credentialHash { self.credentials.withLock { $0.agents[hash] = nil } }
                return s.fleet.sessions.removeValue(forKey: id)
            })
        }
        // Outside the lock: ending the agent's stream runs its termination handler.
        session?.continuation.finish()
    }
}
