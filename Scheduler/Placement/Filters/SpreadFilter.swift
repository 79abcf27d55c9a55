/// With a required spread, no two replicas of one request share a domain (node, site, region or
/// label value).
public struct SpreadFilter: NodeFilter {
    public var name: String { "spread" }
    public init() {}

    public func check(node: Int, in context: PlacementContext) -> NoFitReason? {
        guard let spread = context.request.request.spread, spread.required, !context.earlierReplicas.isEmpty else { return nil }
        let table = context.state.table
        let domain = table.domain(of: node, by: spread.key)
        return context.earlierReplicas.contains { table.domain(of: $0, by: spread.key) == domain } ? .spread : nil
    }
}

extension NodeTable {
    /// The node's failure domain under a spread key, as a number: equal numbers, same domain.
    /// Nodes without the label share one domain.
    func domain(of node: Int, by key: SpreadKey) -> Int {
        switch key {
        case .node: node
        case .site: siteOfNode[node]
        case .region: regionOfNode[node]
        case .label(let label): nodes[node].labels[label].flatMap { labelID(key: label, value: $0) }.map(Int.init) ?? -1
        }
    }
}
