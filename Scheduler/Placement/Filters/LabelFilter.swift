/// The node carries every required label and none of the forbidden ones.
public struct LabelFilter: NodeFilter {
    public var name: String { "labels" }
    public init() {}

    public func check(node: Int, in context: PlacementContext) -> NoFitReason? {
        let request = context.request
        guard let required = request.requiredLabelIDs else { return .labels }
        if required.isEmpty && request.forbiddenLabelIDs.isEmpty { return nil }
        let labels = context.state.table.labelIDs[node]
        for id in required where !labels.contains(id) { return .labels }
        for id in request.forbiddenLabelIDs where labels.contains(id) { return .labels }
        return nil
    }
}
