/// Fragmentation gradient descent (Weng et al., USENIX ATC 2023): prefers the node whose GPU
/// fragmentation grows least (or shrinks most) when the replica lands there.
///
/// A node's fragmentation, for one typical shape, is all of its free GPU thousandths when the
/// shape cannot fit on it (CPU, memory, GPU count or model), else the free thousandths on GPUs that
/// have less free than the shape needs per GPU. The node's measure is the frequency-weighted sum
/// over the workload profile's typical shapes.
public struct GPUFragmentationScorer: PlacementScorer {
    public var name: String { "gpu-fragmentation" }
    public var profile: WorkloadProfile {
        didSet { constrainsModels = profile.shapes.contains { !($0.gpu?.models.isEmpty ?? true) } }
    }
    /// Whether any typical shape names GPU models (else model ids need no lookup per node).
    private var constrainsModels: Bool

    public init(profile: WorkloadProfile) {
        self.profile = profile
        constrainsModels = profile.shapes.contains { !($0.gpu?.models.isEmpty ?? true) }
    }

    public func score(node: Int, in context: PlacementContext) -> Double {
        let state = context.state
        let gpus = state.table.gpuRange(of: node)
        guard !gpus.isEmpty, !profile.shapes.isEmpty else { return 1 }
        let request = context.request.request
        let shapeModels = constrainsModels
            ? profile.shapes.map { shape in (shape.gpu?.models ?? []).compactMap { state.table.gpuModelByName[$0] } }
            : []
        return context.withGPUs(ofNode: node) { free, models, memory in
            let nodeFree = context.free(node)
            let before = fragment(free: nodeFree, gpuFree: free, models: models, memory: memory, shapeModels: shapeModels)
            let shares = request.gpu.flatMap { GPUFit.assign($0, allowed: context.request.gpuModels, free: free, models: models, memory: memory) } ?? []
            let after = withUnsafeTemporaryAllocation(of: Int32.self, capacity: free.count) { buffer in
                _ = buffer.initialize(from: free)
                for share in shares { buffer[share.device] -= share.milli }
                return fragment(
                    free: nodeFree - request.resources, gpuFree: UnsafeBufferPointer(buffer), models: models, memory: memory,
                    shapeModels: shapeModels)
            }
            let scale = 2 * Double(state.table.mostGPUs) * Double(GPUDevice.wholeMilli)
            return min(max(0.5 - (after - before) / scale, 0), 1)
        }
    }

    /// The node's fragmentation measure for the profile, in GPU thousandths. `shapeModels` holds
    /// each shape's allowed model ids, or is empty when no shape constrains models.
    func fragment(
        free: Resources, gpuFree: UnsafeBufferPointer<Int32>, models: UnsafeBufferPointer<Int32>,
        memory: UnsafeBufferPointer<Int64>, shapeModels: [[Int32]]
    ) -> Double {
        var totalFree: Int64 = 0
        for g in gpuFree.indices { totalFree += Int64(gpuFree[g]) }
        var measure = 0.0
        for (s, shape) in profile.shapes.enumerated() {
            let fits = shape.resources.cpuMillis <= free.cpuMillis && shape.resources.memoryMiB <= free.memoryMiB
                && (shape.gpu.map { GPUFit.fits($0, allowed: shapeModels.isEmpty ? [] : shapeModels[s], free: gpuFree, models: models, memory: memory) } ?? true)
            guard fits else {
                measure += shape.weight * Double(totalFree)
                continue
            }
            guard let gpu = shape.gpu else { continue }
            var stranded: Int64 = 0
            for g in gpuFree.indices where gpuFree[g] < gpu.milliPerGPU { stranded += Int64(gpuFree[g]) }
            measure += shape.weight * Double(stranded)
        }
        return measure
    }
}
