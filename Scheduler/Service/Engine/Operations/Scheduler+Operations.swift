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

/// Something an operator, or the tenant whose resources it is about, should look at.
public struct Alert: Sendable, Hashable {
    public var kind: String
    public var target: String
    public var message: String
    /// The tenant whose resources it is about; nil for the platform's (nodes, agents).
    public var tenant: String?
}

extension Scheduler {
    /// Capacity and allocation grouped by node class, site or partition.
    public func utilization(by key: KeyPath<Node, String>, by caller: Principal) throws(ServiceError) -> [Utilization] {
        try caller.require(.readOperations)
        return state.withLock { s in Self.utilization(by: key, in: s) }
    }

    /// Allocation by node class over the last day, a sample a minute.
    public func utilizationHistory(by caller: Principal) throws(ServiceError) -> UtilizationHistory {
        try caller.require(.readOperations)
        return state.withLock { $0.utilizationHistory }
    }

    /// Takes the minute's sample of allocation by node class (the placement loop's ticker).
    func sampleUtilization() {
        let now = now()
        state.withLock { s in s.utilizationHistory.record(Self.utilization(by: \.nodeClass.rawValue, in: s), at: now) }
    }

    private static func utilization(by key: KeyPath<Node, String>, in s: borrowing EngineState) -> [Utilization] {
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

    /// Nodes suspect, lost, cordoned or draining, tenants near a quota, idle requests under notice, agents sending
    /// impossible samples, grants about to end, budgets. A tenant user sees those about its own
    /// tenant's resources.
    public func alerts(tenant: String? = nil, by caller: Principal) throws(ServiceError) -> [Alert] {
        let scope = try caller.scope(tenant, for: .readAlerts)
        try requireTenant(scope)
        return allAlerts().filter { scope == nil || $0.tenant == scope }
    }

    private func allAlerts() -> [Alert] {
        let now = now()
        return state.withLock { s in
            var alerts: [Alert] = []
            for index in 0..<s.cluster.nodeCount where [.suspect, .lost, .cordoned, .draining].contains(s.cluster.nodeStates[index]) {
                let id = s.cluster.node(at: index).id
                let state = s.cluster.nodeStates[index].rawValue
                let message =
                    switch s.cluster.nodeStates[index] {
                    case .cordoned: "node \(id) is cordoned: it takes no new work until it is made ready"
                    case .draining: "node \(id) is draining: its work is moved off and it takes no new work"
                    default:
                        s.fleet.nodes[id]?.awaitingAgent == true ? "node \(id) is \(state): no agent has claimed it since it was registered" : "node \(id) is \(state)"
                    }
                alerts.append(Alert(kind: "node_\(state)", target: "node/\(id)", message: message))
            }
            for (tenant, policy) in s.scheduling.admission.config.tenants.sorted(by: { $0.key < $1.key }) {
                for (priority, quota) in policy.quotas.sorted(by: { $0.key.rawValue < $1.key.rawValue }) {
                    let used = s.scheduling.admission.usage(of: tenant, priority: priority)
                    let share = Self.largestShare(of: used, in: quota)
                    if share >= config.quotaAlertShare {
                        alerts.append(Alert(
                            kind: "quota_near_limit", target: "tenant/\(tenant)/quota/\(priority.rawValue)",
                            message: "\(tenant) uses \(Int(saturating: share * 100))% of its \(priority.rawValue) quota", tenant: tenant))
                    }
                }
            }
            for id in s.open.idle.sorted() {
                guard let record = s.open[id], let noticed = s.open.runtime(of: id)?.idleNoticeAt else { continue }
                let reclaimAt = Int(saturating: noticed + config.idle.noticeSeconds - now)
                alerts.append(Alert(
                    kind: "idle_allocation", target: "request/\(id)",
                    message: "\(record.tenant)'s request \(id) is idle and will be reclaimed in \(max(0, reclaimAt)) s unless it becomes active", tenant: record.tenant))
            }
            for (node, refused) in s.fleet.refusedSamples.sorted(by: { $0.key < $1.key }) {
                alerts.append(Alert(
                    kind: "metering_refused", target: "node/\(node)",
                    message: "\(refused.count) sample\(refused.count == 1 ? "" : "s") from node \(node)'s agent refused as impossible (kept in the audit log), the last: \(refused.last)"))
            }
            for grant in s.directory.grants.values.sorted(by: { $0.id < $1.id }) where grant.isEnding(at: now, warning: config.grantExpiryWarningSeconds) {
                alerts.append(Alert(
                    kind: "grant_expiring", target: "grant/\(grant.id)", message: "\(grant.tenant)'s grant for \(grant.partition) ends in \(Int(saturating: grant.expiresAt - now)) s",
                    tenant: grant.tenant))
            }
            return alerts
        } + budgetAlerts()
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
