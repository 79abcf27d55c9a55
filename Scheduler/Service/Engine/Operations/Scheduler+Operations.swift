import Placement

/// Capacity and allocation of one group of nodes (a class, a site or a partition).
public struct Utilization: Sendable, Hashable {
    public var group: String
    public var nodes: Int
    public var capacity: Resources
    public var allocated: Resources
    public var gpuMilli: Int64
    public var allocatedGPUMilli: Int64
}

/// Something an operator should look at.
public struct Alert: Sendable, Hashable {
    public var kind: String
    public var target: String
    public var message: String
}

/// A tenant's charge over a time range.
public struct BillingLine: Sendable, Hashable {
    public var tenant: String
    public var usage: UsageAmounts
    public var charge: Double
}

extension Scheduler {
    /// Records metering samples from a node's agent; samples seen before are ignored. Returns
    /// how many were new.
    public func recordSamples(_ samples: [MeteringSample], by caller: Principal) throws(ServiceError) -> Int {
        try caller.require(.manageNodes)
        return try record(samples)
    }

    /// Records samples in the ledger and the store; returns how many were new.
    func record(_ samples: [MeteringSample]) throws(ServiceError) -> Int {
        try change { (s: borrowing EngineState) throws(ServiceError) in
            var ledger = s.ledger
            let fresh = samples.filter { !ledger.contains(node: $0.node, sequence: $0.sequence) }
            do throws(MeteringError) { _ = try ledger.record(fresh) } catch { throw ServiceError.invalid("samples." + error.field, error.message) }
            var batch = StoreBatch()
            batch.meteringSamples = fresh
            let idle = Self.idleObservations(fresh, in: s, threshold: config.idle.cpuShare, into: &batch)
            let updated = ledger
            return (batch, { s in
                s.ledger = updated
                idle.apply(to: &s)
                return fresh.count
            })
        }
    }

    /// Counts one call to the API by a tenant's user; counts are metered (`apiCalls`, under node
    /// and request `api`) every `apiMeteringInterval` seconds.
    public func countAPICall(tenant: String) {
        apiCalls.withLock { $0[tenant, default: 0] += 1 }
    }

    /// The node and request name under which API calls are metered.
    static let apiMeteringName = "api"
    static let apiSequenceSetting = "apiMeteringSequence"

    /// Turns the API calls counted since the last flush into one sample per tenant over that
    /// interval. Runs in the applier's pass; a crash loses at most one interval of counts.
    func flushAPICalls(at now: Double, in s: inout EngineState, into batch: inout StoreBatch) {
        guard let since = s.apiCallsFlushedAt else {
            s.apiCallsFlushedAt = now
            return
        }
        guard now - since >= config.apiMeteringInterval else { return }
        s.apiCallsFlushedAt = now
        let counts = apiCalls.withLock { counts in
            defer { counts.removeAll() }
            return counts
        }
        guard !counts.isEmpty else { return }
        var sequence = UInt64(s.settings[Self.apiSequenceSetting] ?? "0") ?? 0
        let samples = counts.sorted { $0.key < $1.key }.map { tenant, calls in
            sequence += 1
            return MeteringSample(node: Self.apiMeteringName, sequence: sequence, requestID: Self.apiMeteringName, tenant: tenant, start: since, end: now, amounts: UsageAmounts(apiCalls: Double(calls)))
        }
        do throws(MeteringError) {
            _ = try s.ledger.record(samples)
        } catch {
            logger.error("cannot meter API calls: \(error)")
            return
        }
        s.settings[Self.apiSequenceSetting] = String(sequence)
        batch.settings[Self.apiSequenceSetting] = String(sequence)
        batch.meteringSamples += samples
    }

    /// Metered usage by request, tenant, node and time range. A tenant caller sees its own.
    public func usage(_ query: UsageQuery, by caller: Principal) throws(ServiceError) -> UsageAmounts {
        var query = query
        query.tenant = try caller.scope(query.tenant, for: .readUsage)
        try requireTenant(query.tenant)
        return state.withLock { s in s.ledger.usage(query) }
    }

    /// Each tenant's usage and charge over a range, with the configured weights.
    public func billing(from: Double, to: Double, tenant: String?, by caller: Principal) throws(ServiceError) -> [BillingLine] {
        let scope = try caller.scope(tenant, for: .readUsage)
        try requireTenant(scope)
        return state.withLock { s in
            let tenants = scope.map { [$0] } ?? s.directory.tenants.keys.sorted()
            return tenants.map { tenant in
                let usage = s.ledger.usage(UsageQuery(tenant: tenant, from: from, to: to))
                return BillingLine(tenant: tenant, usage: usage, charge: config.billing.charge(for: usage))
            }
        }
    }

    /// Capacity and allocation grouped by node class, site or partition.
    public func utilization(by key: KeyPath<Node, String>, by caller: Principal) throws(ServiceError) -> [Utilization] {
        try caller.require(.readOperations)
        return state.withLock { s in
            var groups: [String: Utilization] = [:]
            for index in 0..<s.cluster.nodeCount {
                let node = s.cluster.node(at: index)
                let name = node[keyPath: key]
                var group = groups[name] ?? Utilization(group: name, nodes: 0, capacity: .zero, allocated: .zero, gpuMilli: 0, allocatedGPUMilli: 0)
                group.nodes += 1
                group.capacity += node.capacity
                group.allocated += node.capacity - s.cluster.freeResources(ofNode: index)
                let freeGPU = s.cluster.freeGPUMilli(ofNode: index)
                group.gpuMilli += Int64(freeGPU.count) * Int64(GPUDevice.wholeMilli)
                group.allocatedGPUMilli += freeGPU.reduce(0) { $0 + Int64(GPUDevice.wholeMilli - $1) }
                groups[name] = group
            }
            return groups.keys.sorted().map { groups[$0]! }
        }
    }

    /// Nodes suspect or lost, tenants near a quota, idle requests under notice, grants about to end.
    public func alerts(by caller: Principal) throws(ServiceError) -> [Alert] {
        try caller.require(.readOperations)
        let now = now()
        return state.withLock { s in
            var alerts: [Alert] = []
            for index in 0..<s.cluster.nodeCount where [.suspect, .lost].contains(s.cluster.nodeStates[index]) {
                let id = s.cluster.node(at: index).id
                let state = s.cluster.nodeStates[index].rawValue
                let message = s.fleet.nodes[id]?.awaitingAgent == true
                    ? "node \(id) is \(state): no agent has claimed it since it was registered"
                    : "node \(id) is \(state)"
                alerts.append(Alert(kind: "node_\(state)", target: "node/\(id)", message: message))
            }
            for (tenant, policy) in s.scheduling.admission.config.tenants.sorted(by: { $0.key < $1.key }) {
                for (priority, quota) in policy.quotas.sorted(by: { $0.key.rawValue < $1.key.rawValue }) {
                    let used = s.scheduling.admission.usage(of: tenant, priority: priority)
                    let share = Self.largestShare(of: used, in: quota)
                    if share >= config.quotaAlertShare {
                        alerts.append(Alert(kind: "quota_near_limit", target: "tenant/\(tenant)/quota/\(priority.rawValue)", message: "\(tenant) uses \(Int(saturating: share * 100))% of its \(priority.rawValue) quota"))
                    }
                }
            }
            for id in s.open.idle.sorted() {
                guard let record = s.open[id], let noticed = s.open.runtime(of: id)?.idleNoticeAt else { continue }
                let reclaimAt = Int(saturating: noticed + config.idle.noticeSeconds - now)
                alerts.append(Alert(kind: "idle_allocation", target: "request/\(id)", message: "\(record.tenant)'s request \(id) is idle and will be reclaimed in \(max(0, reclaimAt)) s unless it becomes active"))
            }
            for grant in s.directory.grants.values.sorted(by: { $0.id < $1.id }) where grant.expiresAt > now && grant.expiresAt - now <= config.grantExpiryWarningSeconds {
                alerts.append(Alert(kind: "grant_expiring", target: "grant/\(grant.id)", message: "\(grant.tenant)'s grant for \(grant.partition) ends in \(Int(saturating: grant.expiresAt - now)) s"))
            }
            return alerts
        }
    }

    /// The largest share of a quota that `used` takes in any dimension with a limit.
    static func largestShare(of used: Usage, in quota: Quota) -> Double {
        var share = 0.0
        for dimension in Resources.dimensions where quota.resources.value(of: dimension) > 0 {
            share = max(share, Double(used.resources.value(of: dimension)) / Double(quota.resources.value(of: dimension)))
        }
        if quota.gpuMilli > 0 { share = max(share, Double(used.gpuMilli) / Double(quota.gpuMilli)) }
        return share
    }

    /// The audit log, oldest first.
    public func audit(_ query: AuditQuery, by caller: Principal) throws(ServiceError) -> [AuditEntry] {
        try caller.require(.readAudit)
        return try store.audit(query)
    }

    /// Figures for `/metrics`.
    public func metrics() -> (counters: Counters, pending: Int, open: Int, nodes: Int, nodesByState: [NodeState: Int]) {
        state.withLock { s in
            var byState: [NodeState: Int] = [:]
            for state in s.cluster.nodeStates { byState[state, default: 0] += 1 }
            return (s.counters, s.scheduling.pendingCount, s.open.count, s.cluster.nodeCount, byState)
        }
    }
}
