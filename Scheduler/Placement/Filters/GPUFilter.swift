/// The node has enough GPUs of an allowed model and memory (`gpuModel` when it never could) each
/// with the replica's share free (`insufficient(.gpu)` when they are busy).
public struct GPUFilter: NodeFilter {
    public var name: String { "gpu" }
    public init() {}

    public func check(node: Int, in context: PlacementContext) -> NoFitReason? {
        guard let gpu = context.request.request.gpu else { return nil }
        let allowed = context.request.gpuModels
        return context.withGPUs(ofNode: node) { free, models, memory in
            if GPUFit.eligibleDeviceCount(gpu, allowed: allowed, models: models, memory: memory) < gpu.count { return .gpuModel }
            return GPUFit.fits(gpu, allowed: allowed, free: free, models: models, memory: memory) ? nil : .insufficient(.gpu)
        }
    }
}
