import Placement

/// What a lifecycle transition asks of the in-memory state beyond the record itself: allocations
/// to free, queue entries to add or remove, commands for agents. Collected while a change is
/// computed, applied after it is committed.
struct Effects: Sendable {
    var releases: [String] = []
    var enqueue: [PlacementRequest] = []
    var dequeue: [String] = []
    var commands: [(node: String, command: AgentCommand)] = []
    /// Workloads that releasing requests now wait to hear are stopped.
    var awaitingStop: [String: Set<String>] = [:]

    func apply(to s: inout EngineState) {
        for id in dequeue { s.scheduling.remove(id) }
        for id in releases {
            s.open.updateRuntime(of: id) { $0 = .released }
            guard s.cluster.release(id) != nil else { continue }
            s.scheduling.credit(id)
        }
        for request in enqueue { s.enqueue(request) }
        for (id, workloads) in awaitingStop { s.open.updateRuntime(of: id) { $0.awaitingStop = workloads } }
        s.fleet.outbox += commands
    }
}

extension Scheduler {
    /// Applies a lifecycle event to a record and writes its history entry (with `note` where the
    /// phase gives no reason); throws `conflict` for a transition the lifecycle does not allow.
    static func transition(
        _ record: inout RequestRecord, _ event: RequestEvent, at now: Double, by actor: String, note: String? = nil, into batch: inout StoreBatch
    ) throws(ServiceError) {
        var effects = Effects()
        try apply(event, to: &record, at: now, by: actor, note: note, into: &batch, effects: &effects, connected: { _ in false })
    }

    /// Applies a lifecycle event and turns its actions into effects. Agents holding replicas are
    /// told to stop them; a releasing request waits for their reports, except from nodes whose
    /// agents are not connected (they never started it, or are told by the sync on reconnect).
    static func transition(
        _ record: inout RequestRecord, _ event: RequestEvent, at now: Double, by actor: String, note: String? = nil,
        into batch: inout StoreBatch, effects: inout Effects, in s: borrowing EngineState
    ) throws(ServiceError) {
        let fleet = s.fleet
        try apply(event, to: &record, at: now, by: actor, note: note, into: &batch, effects: &effects, connected: fleet.isConnected)
    }

    private static func apply(
        _ event: RequestEvent, to record: inout RequestRecord, at now: Double, by actor: String, note: String? = nil,
        into batch: inout StoreBatch, effects: inout Effects, connected: (String) -> Bool
    ) throws(ServiceError) {
        let before = record.phase
        let actions: [LifecycleAction]
        do { actions = try record.lifecycle.handle(event) } catch {
            throw ServiceError.conflict(error.description)
        }
        record.updatedAt = now
        batch.history.append(HistoryEntry(requestID: record.id, at: now, phase: record.phase.name, reason: record.phase.reason ?? event.reason ?? note, actor: actor))
        if let notice = notice(of: record, after: event, from: before, actions: actions, at: now) { batch.notices.append(notice) }
        for action in actions {
            switch action {
            case .freeAllocation:
                effects.releases.append(record.id)
                // A failed or evicted request's replicas are cleaned up on their nodes too; a
                // released one's are gone already.
                if before != .releasing, !actions.contains(.stopWorkload) {
                    _ = stopCommands(for: record, reason: note, connected: connected, into: &effects)
                }
            case .enqueue:
                // Back in the queue after a failure or an eviction: its queue deadline was for
                // its first placement.
                if before != .admitted { record.spec.queueDeadline = nil }
                effects.enqueue.append(record.spec)
            case .stopWorkload:
                let awaited = stopCommands(for: record, reason: note, connected: connected, into: &effects)
                if record.phase == .releasing {
                    if awaited.isEmpty {
                        try apply(.stopped, to: &record, at: now, by: actor, into: &batch, effects: &effects, connected: connected)
                    } else {
                        effects.awaitingStop[record.id] = awaited
                    }
                }
            case .startWorkload, .sendIdleNotice:
                // The applier sends each replica to its node as it commits it (replicas placed
                // later included); idle notices reach tenants through the alerts.
                break
            }
        }
        // What it holds is given back: its view shows no placement (the history says where it was).
        if actions.contains(.freeAllocation) { record.hold(nil, at: now, into: &batch) }
        if record.phase.isTerminal || record.phase == .releasing { effects.dequeue.append(record.id) }
    }

    /// Adds a stop for every replica of `record` on a connected node; returns their workload ids.
    /// The agents are told why: the phase's reason, else `note`, else the phase.
    private static func stopCommands(for record: RequestRecord, reason note: String?, connected: (String) -> Bool, into effects: inout Effects) -> Set<String> {
        var ids: Set<String> = []
        let reason = record.phase.reason ?? note ?? record.phase.name
        // A request that only reserves capacity runs nothing anywhere.
        guard record.workload != nil else { return [] }
        for replica in record.allocation?.replicas ?? [] where connected(replica.nodeID) {
            let id = Workload.id(request: record.id, replica: replica.replica)
            ids.insert(id)
            effects.commands.append((replica.nodeID, .stop(workloadID: id, reason: reason)))
        }
        return ids
    }

    /// What a request's submitter hears of a transition: an idle notice, its ends other than its
    /// own release, and for a request an application provisioned, that it runs.
    private static func notice(of record: RequestRecord, after event: RequestEvent, from before: RequestPhase, actions: [LifecycleAction], at now: Double) -> Notice? {
        let (kind, message): (String, String)
        if actions.contains(.sendIdleNotice) {
            (kind, message) = ("request.idle", "\(record.id) has been idle: it is reclaimed after the notice period unless it is used")
        } else if case .fail(let reason) = event, record.phase == .queued {
            // Its owner hears of each failed start, not only of the last.
            (kind, message) = ("request.retrying", "\(record.id) failed to start and waits to be placed on another node: \(reason)")
        } else {
            switch record.phase {
            case .running where before != .running && record.application != nil:
                let nodes = Set(record.allocation?.replicas.map(\.nodeID) ?? []).sorted().joined(separator: ", ")
                (kind, message) = ("provisioning.done", "\(record.id) for application \(record.application!) runs on \(nodes)")
            case .rejected, .failed, .preempted, .expired, .revoked, .reclaimed:
                let failed = record.application != nil && ["rejected", "failed"].contains(record.phase.name)
                (kind, message) = (
                    failed ? "provisioning.failed" : "request.\(record.phase.name)",
                    "\(record.id) \(record.phase.name)" + (record.phase.reason.map { ": \($0)" } ?? ""))
            default:
                return nil
            }
        }
        return Notice(kind: kind, tenant: record.tenant, subject: "request/\(record.id)", message: message, at: now, recipients: [record.submittedBy])
    }

    /// Keeps an open record in memory, or forgets an ended one and counts how it ended.
    static func store(_ record: RequestRecord, in s: inout EngineState) {
        guard record.phase.isTerminal else {
            s.open[record.id] = record
            return
        }
        s.open[record.id] = nil
        s.scheduling.remove(record.id)
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
