/// The node has the replica's CPU, memory, local disk and uplink bandwidth free.
public struct ResourceFitFilter: NodeFilter {
    public var name: String { "resource-fit" }
    public init() {}

    public func check(node: Int, in context: PlacementContext) -> NoFitReason? {
        context.request.request.resources.firstExceeded(in: context.free(node)).map { .insufficient($0) }
    }
}
