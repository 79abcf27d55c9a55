/// A retry after a failure goes to another node than the ones the request failed on, as Nomad's
/// rescheduling avoids the previous node. The placer checks it only for requests with nodes to
/// avoid (`PlacementRequest.avoidNodes`).
public struct FailedHereFilter: NodeFilter {
    public var name: String { "failed-here" }
    public init() {}

    public func check(node: Int, in context: PlacementContext) -> NoFitReason? {
        guard let avoided = context.request.request.avoidNodes, avoided.contains(context.state.node(at: node).id) else { return nil }
        return .failedHere
    }
}
