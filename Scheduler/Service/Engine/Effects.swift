import Placement

/// What a lifecycle transition asks of the in-memory state beyond the record itself: allocations
/// to free, queue entries to add or remove. Collected while a change is computed, applied after
/// it is committed.
struct Effects: Sendable {
    var releases: [String] = []
    var enqueue: [PlacementRequest] = []
    var dequeue: [String] = []

    func apply(to s: inout EngineState) {
        for id in dequeue {
            s.queue.remove(id)
            s.noFit[id] = nil
            s.partlyPlaced.remove(id)
        }
        for id in releases where s.cluster.release(id) != nil {
            s.queue.credit(id)
            s.capacityGeneration &+= 1
        }
        for request in enqueue { _ = s.queue.submit(request) }
    }
}

extension Scheduler {
    /// Applies a lifecycle event to a record and writes its history entry; throws `conflict` for
    /// a transition the lifecycle does not allow.
    static func transition(_ record: inout RequestRecord, _ event: RequestEvent, at now: Double, by actor: String, into batch: inout StoreBatch) throws(ServiceError) {
        var effects = Effects()
        try apply(event, to: &record, at: now, by: actor, into: &batch, effects: &effects, agentsConnected: { _ in false })
    }

    /// Applies a lifecycle event and turns its actions into effects. A workload to stop on nodes
    /// whose agents are not connected (and so never started it, or will be told on reconnect)
    /// counts as stopped at once.
    static func transition(
        _ record: inout RequestRecord, _ event: RequestEvent, at now: Double, by actor: String,
        into batch: inout StoreBatch, effects: inout Effects, in s: borrowing EngineState
    ) throws(ServiceError) {
        let connected = s.connectedAgents
        try apply(event, to: &record, at: now, by: actor, into: &batch, effects: &effects, agentsConnected: { connected.contains($0) })
    }

    private static func apply(
        _ event: RequestEvent, to record: inout RequestRecord, at now: Double, by actor: String,
        into batch: inout StoreBatch, effects: inout Effects, agentsConnected: (String) -> Bool
    ) throws(ServiceError) {
        let actions: [LifecycleAction]
        do { actions = try record.lifecycle.handle(event) } catch {
            throw ServiceError.conflict(error.description)
        }
        record.updatedAt = now
        batch.history.append(HistoryEntry(requestID: record.id, at: now, phase: record.phase.name, reason: record.phase.reason, actor: actor))
        for action in actions {
            switch action {
            case .freeAllocation: effects.releases.append(record.id)
            case .enqueue: effects.enqueue.append(record.spec)
            case .stopWorkload:
                let nodes = record.allocation?.replicas.map(\.nodeID) ?? []
                if record.phase == .releasing, !nodes.contains(where: agentsConnected) {
                    try apply(.stopped, to: &record, at: now, by: actor, into: &batch, effects: &effects, agentsConnected: agentsConnected)
                }
            case .startWorkload, .sendIdleNotice:
                // Delivered to agents and tenants by the agent service and the alerts.
                break
            }
        }
        if record.phase.isTerminal || record.phase == .releasing { effects.dequeue.append(record.id) }
    }

    /// Keeps an open record in memory, or forgets an ended one and counts how it ended.
    static func store(_ record: RequestRecord, in s: inout EngineState) {
        guard record.phase.isTerminal else {
            s.open[record.id] = record
            return
        }
        s.open[record.id] = nil
        s.noFit[record.id] = nil
        s.noFitGeneration[record.id] = nil
        s.partlyPlaced.remove(record.id)
        switch record.phase {
        case .released: s.counters.released += 1
        case .rejected: s.counters.rejected += 1
        case .failed: s.counters.failed += 1
        case .preempted: s.counters.preempted += 1
        case .expired: s.counters.expired += 1
        case .revoked: s.counters.revoked += 1
        case .reclaimed: s.counters.reclaimed += 1
        default: break
        }
    }
}
