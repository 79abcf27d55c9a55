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
        guard let allocation, let since = allocatedAt, now > since else { return [] }
        let held = UsageAmounts.allocatedHour(of: spec) * ((now - since) / 3600)
        return allocation.replicas.map { replica in
            MeteringSample(node: replica.nodeID, sequence: 0, requestID: id, tenant: tenant, start: since, end: now, amounts: held)
        }
    }
}
