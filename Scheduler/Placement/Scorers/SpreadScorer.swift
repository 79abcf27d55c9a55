/// Spreads a request's replicas: prefers domains (per its spread key) that hold fewer of the
/// replicas placed so far in this decision. Neutral (1) for a request without a spread key and for
/// its first replica, so it can sit in any policy.
public struct SpreadScorer: PlacementScorer {
    public var name: String { "spread" }
    public init() {}

    public func score(node: Int, in context: PlacementContext) -> Double {
        guard let key = context.request.request.spread?.key, !context.earlierReplicas.isEmpty else { return 1 }
        let table = context.state.table
        let domain = table.domain(of: node, by: key)
        let sharing = context.earlierReplicas.count { table.domain(of: $0, by: key) == domain }
        return 1 / Double(1 + sharing)
    }
}
