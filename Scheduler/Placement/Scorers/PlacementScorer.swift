/// Rates a feasible node for one more replica of a request.
public protocol PlacementScorer: Sendable {
    var name: String { get }
    /// From 0 (worst) to 1 (best). Called only for nodes that pass every filter.
    func score(node: Int, in context: PlacementContext) -> Double
}

extension PlacementContext {
    /// The fraction of each of the node's dimensions in use after one more replica, for the
    /// dimensions the node has and the request touches (CPU and memory always; GPU on GPU nodes,
    /// counted `gpuWeight` times), summed, with the total weight.
    func utilizationAfter(node: Int, gpuWeight: Int = 1) -> (sum: Double, dimensions: Int) {
        let capacity = state.table.capacities[node]
        let free = self.free(node)
        let asked = request.request.resources
        var sum = 0.0, count = 0
        for dimension in Resources.dimensions {
            let cap = capacity.value(of: dimension)
            guard cap > 0, dimension == .cpu || dimension == .memory || asked.value(of: dimension) > 0 else { continue }
            sum += Double(cap - free.value(of: dimension) + asked.value(of: dimension)) / Double(cap)
            count += 1
        }
        let gpus = state.table.gpuRange(of: node)
        if !gpus.isEmpty {
            let freeMilli = freeGPUMilli(ofNode: node)
            let cap = Double(gpus.count) * Double(GPUDevice.wholeMilli)
            sum += Double(gpuWeight) * (cap - Double(freeMilli) + Double(request.request.gpuMilliPerReplica)) / cap
            count += gpuWeight
        }
        return (sum, count)
    }
}
