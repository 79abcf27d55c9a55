/// The typical request shapes of a workload with their frequencies: what the fragmentation scorer
/// measures free GPU capacity against.
public struct WorkloadProfile: Sendable, Hashable, Codable {
    public struct Shape: Sendable, Hashable, Codable {
        public var resources: Resources
        public var gpu: GPURequest?
        /// Share of requests with this shape; the weights of a profile sum to 1.
        public var weight: Double

        public init(resources: Resources, gpu: GPURequest?, weight: Double) {
            self.resources = resources
            self.gpu = gpu
            self.weight = weight
        }
    }

    public var shapes: [Shape]

    public init(shapes: [Shape]) {
        self.shapes = shapes
    }

    /// The most frequent shapes of `requests` that together cover at least `coverage` of them,
    /// weighted by frequency (ties broken by shape, so the result does not depend on input order).
    public init(typicalOf requests: [PlacementRequest], coverage: Double = 0.95) {
        struct Key: Hashable { var resources: Resources; var gpu: GPURequest? }
        var counts: [Key: Int] = [:]
        for request in requests { counts[Key(resources: request.resources, gpu: request.gpu), default: 0] += 1 }
        let ordered = counts.sorted { a, b in
            if a.value != b.value { return a.value > b.value }
            let x = a.key, y = b.key
            return (x.resources.cpuMillis, x.resources.memoryMiB, x.gpu?.count ?? 0, x.gpu?.milliPerGPU ?? 0, x.gpu?.models.joined() ?? "")
                < (y.resources.cpuMillis, y.resources.memoryMiB, y.gpu?.count ?? 0, y.gpu?.milliPerGPU ?? 0, y.gpu?.models.joined() ?? "")
        }
        var chosen: [(Key, Int)] = [], covered = 0
        for (key, count) in ordered where Double(covered) < coverage * Double(requests.count) {
            chosen.append((key, count))
            covered += count
        }
        shapes = chosen.map { Shape(resources: $0.0.resources, gpu: $0.0.gpu, weight: Double($0.1) / Double(max(covered, 1))) }
    }
}
