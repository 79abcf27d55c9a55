/// Only ready nodes take new work: not cordoned, draining, suspect or lost ones.
public struct NodeStateFilter: NodeFilter {
    public var name: String { "node-state" }
    public init() {}

    public func check(node: Int, in context: PlacementContext) -> NoFitReason? {
        context.state.nodeStates[node].acceptsWork ? nil : .nodeNotReady
    }
}
