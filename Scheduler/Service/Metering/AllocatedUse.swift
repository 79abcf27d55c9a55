import Placement

extension RequestRecord {
    /// Changes what the request holds, at `now`. What it held until now is accounted on the
    /// allocated basis in `batch`, so that every allocation is charged from placement to release,
    /// whether or not an agent ever reports on it.
    public mutating func hold(_ allocation: Allocation?, at now: Double, into batch: inout StoreBatch) {
        batch.allocatedSamples += allocatedSamples(until: now)
        self.allocation = allocation
        allocatedAt = allocation == nil ? nil : now
        batch.holdings.append(holding)
    }

    /// What it holds now, as the store keeps it beside the record.
    public var holding: Holding {
        Holding(
            requestID: id, tenant: tenant, since: allocatedAt ?? 0, hour: UsageAmounts.allocatedHour(of: spec),
            replicas: allocatedAt == nil ? [] : (allocation?.replicas ?? []).map { Holding.Replica(replica: $0.replica, node: $0.nodeID) })
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

/// What an open request holds from a moment on, per replica: the allocated basis not yet
/// accounted. The store keeps it beside the request, so that a bill reads it without the record.
public struct Holding: Sendable, Hashable {
    public var requestID: String
    public var tenant: String
    public var since: Double
    /// What one replica holds in an hour.
    public var hour: UsageAmounts
    /// None once the allocation is given back.
    public var replicas: [Replica]

    public struct Replica: Sendable, Hashable {
        public var replica: Int
        public var node: String
    }
}
