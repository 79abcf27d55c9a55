/// Prefers nodes where one replica costs less per hour, relative to the dearest rate in the cluster.
public struct CostScorer: PlacementScorer {
    public var name: String { "cost" }
    public init() {}

    public func score(node: Int, in context: PlacementContext) -> Double {
        let request = context.request.request
        let table = context.state.table
        let dearest = table.highestPrice.hourlyCost(of: request.resources, gpuMilli: request.gpuMilliPerReplica)
        guard dearest > 0 else { return 1 }
        return 1 - table.prices[node].hourlyCost(of: request.resources, gpuMilli: request.gpuMilliPerReplica) / dearest
    }
}
