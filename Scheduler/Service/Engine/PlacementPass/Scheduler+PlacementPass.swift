import Placement

extension Scheduler {
    /// One pass of the applier: acts on leases, queue deadlines and expired grants, then runs the
    /// scheduling pass (`SchedulingQueue`, the same the simulator runs), committing its decisions
    /// in transactions of at most `decisionsPerCommit`. After `queueDepth` requests that did not
    /// fit, the rest wait for the next pass (the next change or tick). Returns how many requests
    /// it placed.
    ///
    /// It runs as the one writer. A pass changes the state as it decides (each decision on the
    /// cluster its predecessors left), so each part of at most `decisionsPerCommit` decisions is
    /// decided and committed under the state's lock, which readers take between parts: they never
    /// see a placement that is not durable.
    @discardableResult
    public func placePending() -> Int {
        writing { placePass(at: now()) }
    }

    /// `placePending` as the writer.
    private func placePass(at now: Double) -> Int {
        var placed = 0
        var started = false
        while true {
            let outcome = state.withLock { s -> Result<Bool, ServiceError> in
                var batch = StoreBatch()
                if !started {
                    s.counters.placementPasses += 1
                    timeDrivenEvents(at: now, in: &s, into: &batch)
                    tickHealth(at: now, in: &s, into: &batch)
                    settleStops(at: now, in: &s, into: &batch)
                    reclaimIdle(at: now, in: &s, into: &batch)
                    autoscale(at: now, in: &s, into: &batch)
                    flushAPICalls(at: now, in: &s, into: &batch)
                    pruneLedger(at: now, in: &s, into: &batch)
                    for node in s.fleet.draining.sorted() {
                        moveWorkloads(off: node, reason: "node \(node) is draining", abandonOthers: false, at: now, in: &s, into: &batch)
                    }
                    s.fleet.draining.removeAll()
                    s.scheduling.startPass(at: now, on: s.cluster)
                }
                var decisions = 0
                while decisions < max(1, config.decisionsPerCommit), let decision = s.scheduling.nextDecision(at: now, cluster: &s.cluster, placer: &s.placer) {
                    s.counters.decisions += 1
                    if record(decision, at: now, in: &s, into: &batch) { placed += 1 }
                    decisions += 1
                }
                do throws(ServiceError) {
                    try store.commit(batch)
                } catch {
                    logger.error("the applier could not commit; reloading from the store: \(error)")
                    reload(&s)
                    return .failure(error)
                }
                s.committed()
                return .success(decisions == max(1, config.decisionsPerCommit))
            }
            started = true
            guard case .success(let more) = outcome, more else { return placed }
        }
    }

    /// Runs a placement pass on the applier's queue, off Swift's cooperative pool.
    func placePendingOnApplier() async {
        await onApplier { self.placePending() }
    }

    /// The ticker's chores, which read and write the store: provisions approved applications still
    /// waiting (after a restart), and with `budgets` tells tenants of new budget alerts.
    func tickOnApplier(minute: Bool) async {
        await onApplier {
            self.provisionApproved()
            if minute {
                self.noticeBudgetAlerts()
                self.sampleUtilization()
            }
        }
    }

    /// Runs `body` on the applier's queue, whose thread may block on the store.
    private func onApplier(_ body: @escaping @Sendable () -> Void) async {
        await withCheckedContinuation { (done: CheckedContinuation<Void, Never>) in
            applierQueue.async {
                body()
                done.resume()
            }
        }
    }

    /// Records what the pass decided for one request. Returns whether it placed anything.
    private func record(_ decision: SchedulingDecision, at now: Double, in s: inout EngineState, into batch: inout StoreBatch) -> Bool {
        switch decision {
        case .placed(let id, let placement, let first):
            guard var record = s.open[id] else {
                logger.error("placed \(id), which is not open; releasing it")
                s.scheduling.credit(id)
                s.cluster.release(id)
                return false
            }
            for victim in placement.preempted { preempt(victim.requestID, by: id, at: now, in: &s, into: &batch) }
            record.hold(s.cluster.allocations[id], at: now, into: &batch)
            if !first, record.spec.scaling != nil {
                let placed = placement.replicas.map { "\(id)/\($0.replica) on \($0.nodeID)" }.joined(separator: ", ")
                batch.history.append(HistoryEntry(requestID: id, at: now, phase: record.phase.name, reason: "placed \(placed)", actor: "scheduler"))
                s.open.updateRuntime(of: id) { $0.scaling.lastNote = nil }
                // The rest, if any, waits: for capacity, or for quota.
                if let reason = s.scheduling.waitReason(of: id) { noteScalingWait(id, reason, at: now, in: &s, into: &batch) }
            }
            if first {
                let nodes = placement.replicas.map(\.nodeID).joined(separator: ", ")
                let victims = placement.preempted.isEmpty ? "" : ", preempting \(placement.preempted.map(\.requestID).joined(separator: ", "))"
                try? Self.transition(&record, .place, at: now, by: "scheduler", note: "on \(nodes)\(victims)", into: &batch)
                s.counters.placed += 1
                if let lease = record.spec.leaseSeconds {
                    record.leaseEndsAt = now + Double(lease)
                    s.scheduleLease(of: record)
                }
            }
            record.updatedAt = now
            if record.workload == nil {
                // It only reserves capacity: nothing to start, it holds what it asked for now.
                if first { try? Self.transition(&record, .start, at: now, by: "scheduler", note: "capacity only: nothing to start", into: &batch) }
            } else {
                for replica in placement.replicas {
                    let workload = Workload(requestID: id, replica: replica.replica, tenant: record.tenant, kind: record.spec.kind, assignment: replica, spec: record.workload, leaseEndsAt: record.leaseEndsAt)
                    s.fleet.outbox.append((replica.nodeID, .start(workload)))
                }
            }
            batch.requests.append(record)
            Self.store(record, in: &s)
            return true
        case .waiting(let id, let reason):
            if case .conflict = reason { s.counters.commitConflicts += 1 }
            noteScalingWait(id, reason, at: now, in: &s, into: &batch)
            return false
        case .invalid(let id, let error):
            guard var record = s.open[id] else { return false }
            // Said in the API's names and units, as at submission.
            let reason = ServiceError(error).description
            try? Self.transition(&record, .reject(reason: reason), at: now, by: "scheduler", into: &batch)
            batch.requests.append(record)
            batch.audit.append(AuditEntry(at: now, actor: "scheduler", action: "request.reject", target: "request/\(id)", detail: reason))
            Self.store(record, in: &s)
            return false
        }
    }

    /// Ends a victim of preemption; the pass released its allocation and took it out of the queue.
    private func preempt(_ id: String, by preemptor: String, at now: Double, in s: inout EngineState, into batch: inout StoreBatch) {
        guard var victim = s.open[id] else { return }
        var effects = Effects()
        do {
            try Self.transition(&victim, .preempt(by: preemptor), at: now, by: "scheduler", into: &batch, effects: &effects, in: s)
        } catch {
            logger.error("cannot preempt \(id): \(error)")
            return
        }
        effects.releases.removeAll { $0 == id }
        effects.apply(to: &s)
        batch.requests.append(victim)
        batch.audit.append(AuditEntry(at: now, actor: "scheduler", action: "request.preempt", target: "request/\(id)", detail: "by \(preemptor)"))
        Self.store(victim, in: &s)
    }

    /// Lease ends, queue deadlines and expired grants.
    private func timeDrivenEvents(at now: Double, in s: inout EngineState, into batch: inout StoreBatch) {
        while let next = s.leases.min, next.at <= now {
            s.leases.removeMin()
            if next.notice {
                guard var record = s.open[next.requestID], let end = record.leaseEndsAt, end - Double(LeaseEnd.noticeSeconds) == next.at,
                      record.phase.holdsAllocation, record.leaseNoticeSentFor != end else { continue }
                record.leaseNoticeSentFor = end
                batch.notices.append(Notice(
                    kind: "lease.ending", tenant: record.tenant, subject: "request/\(record.id)",
                    message: "the lease of \(record.id) ends within a day, at \(Moment.text(end)): extend it to keep it", at: now,
                    recipients: [record.submittedBy]))
                batch.requests.append(record)
                Self.store(record, in: &s)
                continue
            }
            guard let record = s.open[next.requestID], record.leaseEndsAt == next.at, record.phase.holdsAllocation else { continue }
            endInPass(record, .leaseExpired, action: "request.expire", at: now, in: &s, into: &batch)
        }
        let refused = s.refused
        s.refused = []
        for rejection in refused + s.scheduling.expire(now: now) {
            guard var record = s.open[rejection.requestID] else { continue }
            try? Self.transition(&record, .reject(reason: rejection.message), at: now, by: "scheduler", into: &batch)
            batch.requests.append(record)
            batch.audit.append(AuditEntry(at: now, actor: "scheduler", action: "request.reject", target: "request/\(record.id)", detail: rejection.message))
            Self.store(record, in: &s)
        }
        for grant in s.directory.grants.values where grant.expiresAt <= now && !s.directory.expiredGrants.contains(grant.id) {
            s.directory.expiredGrants.insert(grant.id)
            let directory = s.directory
            let affected = s.open.records.filter { $0.tenant == grant.tenant && !$0.phase.isTerminal && $0.phase != .releasing && !directory.covers($0, at: now) }
            for record in affected.sorted(by: { $0.id < $1.id }) {
                endInPass(record, .grantRevoked(reason: "grant \(grant.id) for partition \(grant.partition) expired"), action: "request.revoke", at: now, in: &s, into: &batch)
            }
        }
        for var grant in s.directory.grants.values where grant.expiryNoticeSent != true && grant.isEnding(at: now, warning: config.grantExpiryWarningSeconds) {
            grant.expiryNoticeSent = true
            s.directory.grants[grant.id] = grant
            batch.grants.append(grant)
            batch.notices.append(Notice(
                kind: "grant.expiring", tenant: grant.tenant, subject: "grant/\(grant.id)",
                message: "grant \(grant.id) for partition \(grant.partition) ends at \(Moment.text(grant.expiresAt)): what only it covers is then released",
                at: now, recipients: s.directory.users(of: grant.tenant)))
        }
        expireApplications(at: now, in: &s, into: &batch)
    }

    /// Applies an ending event inside a pass.
    func endInPass(_ record: RequestRecord, _ event: RequestEvent, action: String, at now: Double, in s: inout EngineState, into batch: inout StoreBatch) {
        var record = record
        var effects = Effects()
        do {
            try Self.transition(&record, event, at: now, by: "scheduler", into: &batch, effects: &effects, in: s)
        } catch {
            logger.error("cannot \(action) \(record.id): \(error)")
            return
        }
        effects.apply(to: &s)
        batch.requests.append(record)
        batch.audit.append(AuditEntry(at: now, actor: "scheduler", action: action, target: "request/\(record.id)", detail: record.phase.name))
        Self.store(record, in: &s)
    }

    /// Rebuilds the working state from the store, which holds everything acknowledged, after a
    /// failed commit. The agents keep their streams and learn the reloaded state from a new sync.
    func reload(_ s: inout EngineState) {
        do {
            let sessions = s.fleet.sessions
            var batch = StoreBatch()
            s = try Self.restore(try store.snapshot(), config: config, now: now(), logger: logger, into: &batch)
            try store.commit(batch)
            s.fleet.sessions = sessions
            for (node, session) in sessions { session.continuation.yield(.sync(Self.desiredWorkloads(on: node, in: s))) }
        } catch {
            logger.critical("cannot reload from the store: \(error)")
        }
    }
}
