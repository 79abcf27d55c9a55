import Placement

extension Scheduler {
    // MARK: Metrics

    /// Takes a reading of an autoscaled request's calls counter: the calls its workload (or its
    /// gateway) has served since the counter started. A smaller total than the last is a restart
    /// of the counter. The rate over the policy's window drives a `callsPerSecondPerReplica`
    /// target. Returns the calls per second per running replica the readings now give, if any.
    public func reportCalls(_ id: String, total: Double, by caller: Principal) throws(ServiceError) -> ScalingReading? {
        guard total.isFinite, total >= 0 else { throw ServiceError.invalid("total", "must be a count of calls, 0 or more, got \(total)") }
        let id = Self.resolveRequestID(id, for: caller)
        let now = now()
        if state.withLock({ $0.open[id] == nil }) {
            guard let ended = try store.request(id: id), caller.may(.changeRequests, tenant: ended.tenant) else { throw ServiceError.notFound("request \(id)") }
            throw ServiceError.conflict("request \(id) has ended (\(ended.phase.name)): its calls drive nothing", field: "total")
        }
        return try state.withLock { (s: inout EngineState) throws(ServiceError) -> ScalingReading? in
            guard let record = s.open[id], caller.may(.changeRequests, tenant: record.tenant) else { throw ServiceError.notFound("request \(id)") }
            guard let policy = record.spec.scaling else {
                throw ServiceError.conflict("request \(id) has no scaling policy: its calls drive nothing", field: "total")
            }
            guard case .callsPerSecond = policy.target else {
                throw ServiceError.conflict("request \(id) scales on CPU utilization, not on calls", field: "total")
            }
            var reading: ScalingReading?
            s.open.updateRuntime(of: id) { runtime in
                runtime.scaling.add(calls: total, at: now)
                runtime.scaling.prune(window: policy.metricWindowSeconds, now: now)
                reading = runtime.scaling.reading(of: policy.target, window: policy.metricWindowSeconds, running: Self.runningReplicas(of: record, runtime), now: now)
            }
            return reading
        }
    }

    /// Feeds new metering samples to the autoscaled requests that scale on CPU.
    static func noteScalingSamples(_ samples: [MeteringSample], in s: inout EngineState) {
        for sample in samples {
            guard let record = s.open[sample.requestID], let policy = record.spec.scaling, case .cpuUtilization = policy.target else { continue }
            let cores = CPU.cores(record.spec.resources.cpuMillis)
            s.open.updateRuntime(of: sample.requestID) { $0.scaling.add(sample, coresPerReplica: cores) }
        }
    }

    /// Replicas agents report running that the request still holds; for a request that only
    /// reserves capacity, what it holds.
    static func runningReplicas(of record: RequestRecord, _ runtime: RequestRuntime) -> Int {
        let held = Set((record.allocation?.replicas ?? []).map(\.replica))
        return record.workload == nil ? held.count : runtime.runningReplicas.intersection(held).count
    }

    // MARK: Decisions

    /// Evaluates the scaling policy of every autoscaled request that holds its placement, every
    /// `scalingIntervalSeconds`, and scales those whose decision changes their number. Runs in
    /// the applier's pass.
    func autoscale(at now: Double, in s: inout EngineState, into batch: inout StoreBatch) {
        if let last = s.scaledAt, now - last < config.scalingIntervalSeconds { return }
        s.scaledAt = now
        let spent = s.spentBudgets
        for id in s.open.scaled.sorted() {
            guard let record = s.open[id], let policy = record.spec.scaling, record.phase.holdsAllocation, record.phase != .releasing,
                  let runtime = s.open.runtime(of: id) else { continue }
            var metrics = runtime.scaling
            metrics.prune(window: policy.metricWindowSeconds, now: now)
            let reading = metrics.reading(of: policy.target, window: policy.metricWindowSeconds, running: Self.runningReplicas(of: record, runtime), now: now)
            var autoscaler = metrics.autoscaler ?? Autoscaler(policy: policy, current: record.spec.replicas, now: now)
            var decision = autoscaler.evaluate(current: record.spec.replicas, reading: reading, now: now)
            if decision.desired > decision.current, spent.contains(record.tenant), decision.desired > policy.floor(at: now) {
                // A spent budget holds it where it is: only its floor may still raise it.
                decision.desired = max(decision.current, policy.floor(at: now))
                decision.limitedBy = "held: \(record.tenant)'s budget for the month is spent"
            }
            metrics.autoscaler = autoscaler
            if decision.changes {
                scale(record, to: decision, policy: policy, at: now, in: &s, into: &batch)
                metrics.lastNote = nil
            } else if let held = decision.limitedBy, decision.recommended != decision.current, metrics.lastNote != held {
                // Held back from what the metric asks: said once, not at every evaluation.
                note(decision.explanation(for: policy.target), on: id, at: now, in: &s, into: &batch)
                metrics.lastNote = held
            }
            s.open.updateRuntime(of: id) { $0.scaling = metrics }
        }
    }

    /// Changes a request's number of replicas. Up: the new replicas queue and are placed by the
    /// placement pass (nearest first, spread as the request asks), waiting with their reason when
    /// over quota or capacity. Down: replicas still waiting are dropped first, then those placed
    /// farthest from the request's origin (the newest among equals) are stopped on their nodes,
    /// with their capacity given back and metered until now.
    private func scale(_ record: RequestRecord, to decision: ScalingDecision, policy: ScalingPolicy, at now: Double, in s: inout EngineState, into batch: inout StoreBatch) {
        var record = record
        let id = record.id
        let explanation = decision.explanation(for: policy.target)
        record.spec.replicas = decision.desired
        record.updatedAt = now
        let held = record.allocation?.replicas.count ?? 0
        let freed = s.scheduling.rescale(record.spec, cluster: &s.cluster)
        var stopped: [String] = []
        for replica in freed {
            let workload = Workload.id(request: id, replica: replica.replica)
            stopped.append("\(workload) on \(replica.nodeID)")
            if record.workload != nil, s.fleet.isConnected(replica.nodeID) {
                s.fleet.outbox.append((replica.nodeID, .stop(workloadID: workload, reason: "scaled in: \(explanation)")))
            }
        }
        if !freed.isEmpty {
            record.hold(s.cluster.allocations[id], at: now, into: &batch)
            s.open.updateRuntime(of: id) { $0.runningReplicas.subtract(freed.map(\.replica)) }
        }
        let direction = decision.desired > decision.current ? "scaled out" : "scaled in"
        // Scaling in gives back the replicas still waiting first.
        let dropped = decision.desired < decision.current ? max(0, decision.current - max(held, decision.desired)) : 0
        var detail = explanation
        if dropped > 0 { detail += "; \(dropped) waiting replica\(dropped == 1 ? "" : "s") no longer wanted" }
        if !stopped.isEmpty { detail += "; stopping \(stopped.sorted().joined(separator: ", "))" }
        batch.history.append(HistoryEntry(requestID: id, at: now, phase: record.phase.name, reason: "\(direction) \(detail)", actor: "autoscaler"))
        batch.audit.append(AuditEntry(at: now, actor: "autoscaler", action: "request.scale", target: "request/\(id)", detail: detail))
        batch.requests.append(record)
        Self.store(record, in: &s)
        logger.info("request scaled", metadata: ["request": "\(id)", "from": "\(decision.current)", "to": "\(decision.desired)", "why": "\(explanation)"])
    }

    /// A line in a request's history from the autoscaler that changes nothing.
    private func note(_ text: String, on id: String, at now: Double, in s: inout EngineState, into batch: inout StoreBatch) {
        guard let record = s.open[id] else { return }
        batch.history.append(HistoryEntry(requestID: id, at: now, phase: record.phase.name, reason: text, actor: "autoscaler"))
    }

    /// Tells an autoscaled request's history why its new replicas wait, once per reason.
    func noteScalingWait(_ id: String, _ reason: WaitReason, at now: Double, in s: inout EngineState, into batch: inout StoreBatch) {
        guard let record = s.open[id], record.spec.scaling != nil, record.allocation != nil, let runtime = s.open.runtime(of: id) else { return }
        let text = "new replicas wait: \(reason.message)"
        guard runtime.scaling.lastNote != text else { return }
        note(text, on: id, at: now, in: &s, into: &batch)
        s.open.updateRuntime(of: id) { $0.scaling.lastNote = text }
    }
}
