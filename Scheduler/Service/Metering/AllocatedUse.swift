import Placement

extension RequestRecord {
    /// Changes what the request holds, at `now`. What it held until now is accounted on the
    /// allocated basis in `batch`, so that every allocation is charged from placement to release,
    /// whether or not an agent ever reports on it.
    public mutating func hold(_ allocation: Allocation?, at now: Double, into batch: inout StoreBatch) {
        batch.allocatedSamples += allocatedSamples(until: now)
        self.allocation = allocation
        allocatedAt = allocation == nil ? nil : now
    }

    /// What the current allocation has held from when it was made until `now`: one sample per
    /// replica, on its node.
    public func allocatedSamples(until now: Double) -> [MeteringSample] {
        guard let allocation, let since = allocatedAt else { return [] }
        let hour = UsageAmounts.allocatedHour(of: spec)
        return allocation.replicas.compactMap { replica in
            MeteringSample.held(hour, on: replica.nodeID, by: id, of: tenant, from: since, until: now)
        }
    }
}

extension MeteringSample {
    /// What one replica holding `hour` (per hour) on `node` held from `since` until `now`, on the
    /// allocated basis; nil for no time.
    public static func held(_ hour: UsageAmounts, on node: String, by requestID: String, of tenant: String, from since: Double, until now: Double) -> MeteringSample? {
        guard now > since else { return nil }
        return MeteringSample(node: node, sequence: 0, requestID: requestID, tenant: tenant, start: since, end: now, amounts: hour * ((now - since) / 3600))
    }
}
