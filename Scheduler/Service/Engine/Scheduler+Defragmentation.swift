import Placement

extension Scheduler {
    /// The fewest moves of movable work after which the queued request `id` fits: requests that
    /// are placed or running, restartable (services, batch work, VMs marked movable) and of no
    /// higher band. Reads only; `applyDefragmentation` carries a plan out.
    public func defragmentationPlan(for id: String, by caller: Principal) throws(ServiceError) -> DefragmentationPlan {
        try caller.require(.manageNodes)
        return try state.withLock { (s: inout EngineState) throws(ServiceError) in try Self.defragmentationPlan(for: id, in: s, config: config) }
    }

    static func defragmentationPlan(for id: String, in s: borrowing EngineState, config: SchedulerConfig) throws(ServiceError) -> DefragmentationPlan {
        guard let record = s.open[id] else { throw ServiceError.notFound("open request \(id)") }
        guard record.phase == .queued, !s.partlyPlaced.contains(id) else {
            throw ServiceError.conflict("request \(id) is \(record.phase.name): only a queued request is planned for")
        }
        let band = config.priorities.band(of: record.spec.priority).value
        let movable = s.open.values
            .filter { other in
                other.id != id && [.placed, .provisioning, .running].contains(other.phase) && other.isRestartable
                    && (other.allocation?.band ?? .max) <= band
            }
            .sorted { $0.id < $1.id }
            .map(\.spec)
        var planner = DefragmentationPlanner(placer: s.placer)
        guard let plan = planner.plan(toFit: record.spec, in: s.cluster, movable: movable) else {
            throw ServiceError.conflict("no plan of at most \(planner.maxMoves) moves of movable work lets request \(id) fit")
        }
        return plan
    }

    /// Carries out the plan for the queued request `id` in one transaction: every moved request
    /// is stopped on its nodes and placed where the plan says (its agents are told), then the
    /// request is placed on the room freed; audited as `defrag.apply` and `request.move`.
    public func applyDefragmentation(for id: String, by caller: Principal) throws(ServiceError) -> DefragmentationPlan {
        try caller.require(.manageNodes)
        let now = now()
        let config = config
        let plan = try change { (s: borrowing EngineState) throws(ServiceError) -> (StoreBatch, (inout EngineState) -> DefragmentationPlan) in
            let plan = try Self.defragmentationPlan(for: id, in: s, config: config)
            guard !plan.moves.isEmpty else {
                throw ServiceError.conflict("request \(id) fits without moves: the placement loop places it")
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
                try Self.transition(&record, .evict(reason: "moved to make room for \(id)"), at: now, by: caller.user, into: &batch, effects: &effects, in: s)
                try Self.transition(&record, .place, at: now, by: caller.user, into: &batch)
                record.allocation = cluster.allocations[move.requestID]
                records.append(record)
                batch.audit.append(AuditEntry(at: now, actor: caller.user, action: "request.move", target: "request/\(move.requestID)", detail: "\(move.from.joined(separator: ",")) -> \(move.to.joined(separator: ","))"))
            }
            var target = s.open[id]!
            try Self.transition(&target, .place, at: now, by: caller.user, into: &batch)
            target.allocation = cluster.allocations[id]
            if let lease = target.spec.leaseSeconds { target.leaseEndsAt = now + Double(lease) }
            records.append(target)
            batch.requests = records
            batch.audit.append(AuditEntry(at: now, actor: caller.user, action: "defrag.apply", target: "request/\(id)", detail: "\(plan.moves.count) moves, freeing \(plan.freedNode ?? "-")"))
            // Only the stops of the eviction are wanted: the moved requests are placed already.
            let stops = effects.commands
            return (batch, { s in
                s.cluster = cluster
                s.capacityGeneration &+= 1
                s.queue.remove(id)
                s.queue.charge(target.spec, replicas: target.allocation?.replicas.count ?? 0)
                s.noFit[id] = nil
                s.noFitGeneration[id] = nil
                if let end = target.leaseEndsAt { s.leases.insert(LeaseEnd(at: end, requestID: id)) }
                s.outbox += stops
                for record in records {
                    s.runningReplicas[record.id] = nil
                    s.idleSince[record.id] = nil
                    s.idleNoticeAt[record.id] = nil
                    for node in Set(record.allocation?.replicas.map(\.nodeID) ?? []) {
                        for workload in record.workloads(on: node) { s.outbox.append((node, .start(workload))) }
                    }
                    Self.store(record, in: &s)
                }
                s.counters.placed += 1
                return plan
            })
        }
        signalPlacement()
        return plan
    }
}
