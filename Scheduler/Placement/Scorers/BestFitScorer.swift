/// Multi-dimensional best fit: prefers the node that is fullest after the placement, averaged over
/// CPU, memory, GPU (and disk and bandwidth when asked for). Packs work tightly, keeping whole nodes
/// free for large requests. The default scorer.
public struct BestFitScorer: PlacementScorer {
    public var name: String { "best-fit" }
    public init() {}

    public func score(node: Int, in context: PlacementContext) -> Double {
        let (sum, count) = context.utilizationAfter(node: node)
        return count == 0 ? 0 : sum / Double(count)
    }
}
