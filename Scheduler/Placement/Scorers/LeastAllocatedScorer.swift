/// Spreads load: prefers the node that is emptiest after the placement (the mirror of best fit),
/// leaving headroom on every node for bursts.
public struct LeastAllocatedScorer: PlacementScorer {
    public var name: String { "least-allocated" }
    public init() {}

    public func score(node: Int, in context: PlacementContext) -> Double {
        let (used, count) = context.utilizationAfter(node: node)
        return count == 0 ? 1 : 1 - used / Double(count)
    }
}
