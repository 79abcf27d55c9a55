/// Alignment of the request with what the node has free (the dot product of the two vectors, each
/// normalized by the node's capacity): prefers nodes whose free shape matches the request's shape.
public struct DotProductScorer: PlacementScorer {
    public var name: String { "dot-product" }
    public init() {}

    public func score(node: Int, in context: PlacementContext) -> Double {
        let capacity = context.state.table.capacities[node]
        let free = context.free(node)
        let asked = context.request.request.resources
        var dot = 0.0, count = 0
        for dimension in Resources.dimensions {
            let cap = Double(capacity.value(of: dimension))
            guard cap > 0 else { continue }
            dot += Double(asked.value(of: dimension)) / cap * Double(free.value(of: dimension)) / cap
            count += 1
        }
        let gpus = context.state.table.gpuRange(of: node)
        if !gpus.isEmpty {
            let cap = Double(gpus.count) * Double(GPUDevice.wholeMilli)
            let freeMilli = Double(context.freeGPUMilli(ofNode: node))
            dot += Double(context.request.request.gpuMilliPerReplica) / cap * freeMilli / cap
            count += 1
        }
        return count == 0 ? 0 : dot / Double(count)
    }
}
