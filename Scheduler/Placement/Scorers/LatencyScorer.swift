/// Prefers nodes closer to the request's origin site, relative to its latency bound (or to
/// `referenceMs` without one). Without an origin every node scores 1.
public struct LatencyScorer: PlacementScorer {
    public var name: String { "latency" }
    public var referenceMs: Double

    public init(referenceMs: Double = 50) {
        self.referenceMs = referenceMs
    }

    public func score(node: Int, in context: PlacementContext) -> Double {
        guard let origin = context.request.originSite else { return 1 }
        let latency = context.state.topology.latencyMs(origin, context.state.table.siteOfNode[node])
        let scale = context.request.request.maxLatencyMs ?? referenceMs
        return max(0, 1 - latency / scale)
    }
}
