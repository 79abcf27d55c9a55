import Placement

/// What a defragmentation is for.
public enum DefragmentationGoal: Sendable, Hashable {
    /// Let this queued request fit.
    case fit(request: String)
    /// Empty this many nodes, of a class and partition when given.
    case free(nodes: Int, nodeClass: NodeClass?, partition: String?)
}

extension Scheduler {
    /// The fewest moves of movable work that reach `goal`. Movable are requests placed or
    /// running and restartable (services, batch work, VMs marked movable); for a request to fit,
    /// only those of no higher band. Reads only; `applyDefragmentation` carries a plan out.
    public func defragmentationPlan(_ goal: DefragmentationGoal, by caller: Principal) throws(ServiceError) -> DefragmentationPlan {
        try caller.require(.manageNodes)
        return try state.withLock { (s: inout EngineState) throws(ServiceError) in try Self.defragmentationPlan(goal, in: s, config: config) }
    }

    static func defragmentationPlan(_ goal: DefragmentationGoal, in s: borrowing EngineState, config: SchedulerConfig) throws(ServiceError) -> DefragmentationPlan {
        var planner = DefragmentationPlanner(placer: s.placer)
        let running = s.open.records.filter { [.placed, .provisioning, .running].contains($0.phase) && $0.isRestartable }.sorted { $0.id < $1.id }
        switch goal {
        case .fit(let id):
            guard let record = s.open[id] else { throw ServiceError.notFound("open request \(id)") }
            guard record.phase == .queued, !s.scheduling.isPartlyPlaced(id) else {
                throw ServiceError.conflict("request \(id) is \(record.phase.name): only a queued request is planned for", field: "request")
            }
            let band = config.priorities.band(of: record.spec.priority).value
            let movable = running.filter { ($0.allocation?.band ?? .max) <= band }.map(\.spec)
            guard let plan = planner.plan(toFit: record.spec, in: s.cluster, movable: movable) else {
                throw ServiceError.conflict("no plan of at most \(planner.maxMoves) moves of movable work lets request \(id) fit")
            }
            return plan
        case .free(let count, let nodeClass, let partition):
            guard (1...1000).contains(count) else { throw ServiceError.invalid("freeNodes", "must be 1 to 1000, got \(count)") }
            let candidates = (0..<s.cluster.nodeCount).filter { index in
                let node = s.cluster.node(at: index)
                return (nodeClass.map { node.nodeClass == $0 } ?? true) && (partition.map { node.partition == $0 } ?? true)
            }
            guard let plan = planner.plan(toFree: count, candidates: candidates, in: s.cluster, movable: running.map(\.spec)) else {
                throw ServiceError.conflict("no plan of at most \(planner.maxMoves) moves of movable work empties \(count) such nodes")
            }
            return plan
        }
    }

    /// Carries out a plan in one transaction: every moved request is stopped on its nodes and
    /// placed where the plan says (its agents are told); then the blocked request is placed, or
    /// the freed nodes are cordoned so that they stay empty. Audited as `defrag.apply`,
    /// `request.move` and `node.cordon`.
    public func applyDefragmentation(_ goal: DefragmentationGoal, by caller: Principal) throws(ServiceError) -> DefragmentationPlan {
        try caller.require(.manageNodes)
        let now = now()
        let config = config
        let plan = try change { (s: borrowing EngineState) throws(ServiceError) -> (StoreBatch, (inout EngineState) -> DefragmentationPlan) in
            let plan = try Self.defragmentationPlan(goal, in: s, config: config)
            let id: String? = if case .fit(let request) = goal { request } else { nil }
            guard !plan.moves.isEmpty || id == nil else {
                throw ServiceError.conflict("request \(id!) fits without moves: the placement loop places it")
            }
            var specs: [String: PlacementRequest] = [:]
            for requestID in plan.order { specs[requestID] = s.open[requestID]!.spec }
            let cluster: ClusterState
            do throws(CommitConflict) { cluster = try plan.commit(to: s.cluster, requests: specs, priorities: config.priorities) } catch {
                throw ServiceError.conflict("the plan no longer fits: \(error.description)")
            }
            var batch = StoreBatch()
            var effects = Effects()
            var records: [RequestRecord] = []
            for move in plan.moves {
                var record = s.open[move.requestID]!
                let reason = "moved from \(move.from.joined(separator: ", ")) to \(move.to.joined(separator: ", ")) " + (id.map { "to make room for \($0)" } ?? "to empty nodes")
                try Self.transition(&record, .move(reason: reason), at: now, by: caller.user, note: reason, into: &batch, effects: &effects, in: s)
                record.hold(cluster.allocations[move.requestID], at: now, into: &batch)
                if record.workload == nil { try Self.transition(&record, .start, at: now, by: caller.user, note: "capacity only: nothing to start", into: &batch) }
                records.append(record)
                batch.audit.append(AuditEntry(at: now, actor: caller.user, action: "request.move", target: "request/\(move.requestID)", detail: "\(move.from.joined(separator: ",")) -> \(move.to.joined(separator: ","))"))
            }
            var target: RequestRecord?
            if let id {
                var record = s.open[id]!
                try Self.transition(&record, .place, at: now, by: caller.user, into: &batch)
                record.hold(cluster.allocations[id], at: now, into: &batch)
                if let lease = record.spec.leaseSeconds { record.leaseEndsAt = now + Double(lease) }
                records.append(record)
                target = record
            }
            var cordoned: [NodeRecord] = []
            if id == nil {
                for node in plan.freedNodes where s.fleet.nodes[node]?.node.state == .ready {
                    var record = s.fleet.nodes[node]!
                    record.node.state = .cordoned
                    cordoned.append(record)
                    batch.audit.append(AuditEntry(at: now, actor: caller.user, action: "node.cordon", target: "node/\(node)", detail: "emptied by defragmentation"))
                }
            }
            batch.requests = records
            batch.nodes = cordoned
            let goalText = id.map { "request/\($0)" } ?? "nodes/\(plan.freedNodes.joined(separator: ","))"
            batch.audit.append(AuditEntry(at: now, actor: caller.user, action: "defrag.apply", target: goalText, detail: "\(plan.moves.count) moves, freeing \(plan.freedNodes.joined(separator: ","))"))
            // The moves' stops on the nodes they leave; their starts follow below.
            let stops = effects.commands
            return (batch, { s in
                s.cluster = cluster
                if let target {
                    s.scheduling.remove(target.id)
                    s.scheduling.charge(target.spec, replicas: target.allocation?.replicas.count ?? 0)
                    s.scheduleLease(of: target)
                    s.counters.placed += 1
                }
                for record in cordoned {
                    s.fleet.nodes[record.node.id] = record
                    s.refreshState(ofNode: record.node.id)
                }
                s.fleet.outbox += stops
                for record in records {
                    s.open.updateRuntime(of: record.id) { $0 = .released }
                    for node in Set(record.allocation?.replicas.map(\.nodeID) ?? []) {
                        for workload in record.workloads(on: node) { s.fleet.outbox.append((node, .start(workload))) }
                    }
                    Self.store(record, in: &s)
                }
                return plan
            })
        }
        signalPlacement()
        return plan
    }
}
