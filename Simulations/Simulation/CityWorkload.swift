import Placement

/// A synthetic stream of city requests in realistic shares: services and VMs of departments, batch
/// work, AI inference on shared GPUs, AI training gangs, HPC gangs (MPI), latency-bound video
/// analytics at the edge, and a few critical and emergency requests that may preempt. Sizes come
/// from discrete catalogs (as instance types do). Deterministic for a seed.
public struct CityWorkload: Sendable {
    public let city: SyntheticCity
    private var rng: SplitMix64
    private var counter = 0

    public init(city: SyntheticCity, seed: UInt64) {
        self.city = city
        self.rng = SplitMix64(seed: seed ^ 0x5EED)
    }

    private mutating func pick<T>(_ options: [T]) -> T { options[Int.random(in: 0..<options.count, using: &rng)] }
    private mutating func chance(_ p: Double) -> Bool { Double.random(in: 0..<1, using: &rng) < p }

    /// The next request, submitted at `time` seconds.
    public mutating func next(at time: Double = 0) -> PlacementRequest {
        counter += 1
        let tenant = pick(SyntheticCity.tenants)
        var request = PlacementRequest(id: "r\(counter)", tenant: tenant, submittedAt: time)
        request.partition = SyntheticCity.partition(of: tenant)
        let roll = Double.random(in: 0..<1, using: &rng)
        switch roll {
        case ..<0.38:
            request.kind = .service
            request.priority = chance(0.4) ? .production : .standard
            request.replicas = pick([1, 1, 2, 3])
            request.resources = Resources(cpuMillis: pick([500, 1_000, 2_000, 4_000]), memoryMiB: pick([1_024, 2_048, 4_096, 8_192]), bandwidthMbps: pick([10, 50, 100]))
            if request.replicas > 1 { request.spread = SpreadConstraint(key: .site) }
        case ..<0.54:
            request.kind = .vm
            request.priority = .standard
            let cores = pick([2, 4, 8, 16])
            request.resources = Resources(cpuMillis: Int64(cores) * 1_000, memoryMiB: Int64(cores) * 4_096, diskGiB: pick([20, 50, 100]), bandwidthMbps: 100)
            request.volumes = [VolumeRequest(kind: .block, sizeGiB: pick([50, 100, 200]))]
        case ..<0.70:
            request.kind = .batch
            request.priority = chance(0.5) ? .batch : .bestEffort
            request.resources = Resources(cpuMillis: pick([1_000, 2_000, 4_000, 8_000]), memoryMiB: pick([2_048, 4_096, 16_384]))
        case ..<0.82:
            request.kind = .aiInference
            request.priority = chance(0.5) ? .production : .standard
            request.resources = Resources(cpuMillis: pick([2_000, 4_000]), memoryMiB: pick([8_192, 16_384]), bandwidthMbps: 100)
            request.gpu = chance(0.6) ? GPURequest(count: 1, milliPerGPU: pick([250, 500])) : GPURequest(count: 1)
        case ..<0.84:
            request.kind = .aiTraining
            request.priority = chance(0.5) ? .batch : .standard
            request.replicas = pick([2, 2, 4])
            request.gang = true
            request.resources = Resources(cpuMillis: 16_000, memoryMiB: 131_072, bandwidthMbps: 10_000)
            request.gpu = GPURequest(count: pick([2, 4, 8]), models: chance(0.5) ? ["A100"] : [])
        case ..<0.87:
            request.kind = .hpc
            request.priority = .batch
            request.replicas = pick([2, 4, 8, 16])
            request.gang = true
            request.resources = Resources(cpuMillis: pick([16_000, 32_000, 64_000]), memoryMiB: 65_536, bandwidthMbps: 5_000)
        case ..<0.98:
            request.kind = .aiInference
            request.priority = chance(0.3) ? .emergency : .production
            request.partition = "public"
            request.originSite = pick(city.edgeSites)
            request.maxLatencyMs = pick([5, 8])
            request.resources = Resources(cpuMillis: 2_000, memoryMiB: 4_096, bandwidthMbps: 50)
            if chance(0.5) { request.gpu = GPURequest(count: 1, milliPerGPU: 500) }
        default:
            request.kind = .service
            request.priority = chance(0.5) ? .critical : .emergency
            request.resources = Resources(cpuMillis: pick([8_000, 16_000]), memoryMiB: pick([16_384, 32_768]), bandwidthMbps: 500)
        }
        if request.kind == .service || request.kind == .vm {
            if chance(0.05) { request.requiredLabels = ["ssd": "true"] }
            if chance(0.05) { request.forbiddenLabels = ["arch": "arm"] }
        }
        return request
    }
}
