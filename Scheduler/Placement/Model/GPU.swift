/// One physical GPU of a node. Its capacity is 1000 thousandths ("milli"), shared or whole.
public struct GPUDevice: Sendable, Hashable, Codable {
    public var model: String
    public var memoryMiB: Int64

    public init(model: String, memoryMiB: Int64 = 0) {
        self.model = model
        self.memoryMiB = memoryMiB
    }

    /// The share of one whole GPU, in thousandths.
    public static let wholeMilli: Int32 = 1000
}

/// The GPUs one replica needs: `count` distinct physical GPUs, each with `milliPerGPU` thousandths free.
///
/// A request for a fraction of a GPU (`count == 1, milliPerGPU < 1000`) lands on ONE physical GPU.
public struct GPURequest: Sendable, Hashable, Codable {
    public var count: Int
    public var milliPerGPU: Int32
    /// Allowed models; empty means any model.
    public var models: [String]
    /// The least device memory each GPU must have, 0 for no bound.
    public var minMemoryMiB: Int64

    public init(count: Int, milliPerGPU: Int32 = GPUDevice.wholeMilli, models: [String] = [], minMemoryMiB: Int64 = 0) {
        self.count = count
        self.milliPerGPU = milliPerGPU
        self.models = models
        self.minMemoryMiB = minMemoryMiB
    }

    /// Total thousandths of GPU this request takes.
    public var totalMilli: Int64 { saturatingProduct(Int64(count), Int64(milliPerGPU)) }
}
