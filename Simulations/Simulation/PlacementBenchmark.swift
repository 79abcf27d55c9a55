import Placement

/// Figures of one benchmark run.
public struct BenchmarkResult: Sendable, Codable {
    public var nodes: Int
    public var requests: Int
    /// Requests placed, untimed, to bring the cluster to its target load before timing starts.
    public var warmupRequests: Int = 0
    public var placed: Int = 0
    public var partiallyPlaced: Int = 0
    public var noFit: Int = 0
    public var invalid: Int = 0
    public var conflicts: Int = 0
    public var preemptions: Int = 0
    public var gangsPlaced: Int = 0
    public var decisionsPerSecond: Double = 0
    public var p50DecisionMicros: Double = 0
    public var p99DecisionMicros: Double = 0
    public var p999DecisionMicros: Double = 0
    public var maxDecisionMicros: Double = 0
    /// Seconds spent in place + commit, the figure the throughput is computed from.
    public var decisionSeconds: Double = 0
    /// Seconds of the whole loop, including releases and generating requests.
    public var wallSeconds: Double = 0
    /// Mean share of ready CPU and GPU capacity allocated over the timed requests, sampled every 1,000.
    public var meanCPUUtilization: Double = 0
    public var meanGPUUtilization: Double = 0
    public var policy: String
    public var scan: String

    enum CodingKeys: String, CodingKey {
        case nodes, requests, placed, conflicts, preemptions, policy, scan, invalid
        case partiallyPlaced = "partially_placed"
        case noFit = "no_fit"
        case warmupRequests = "warmup_requests"
        case gangsPlaced = "gangs_placed"
        case decisionsPerSecond = "decisions_per_second"
        case p50DecisionMicros = "p50_decision_us"
        case p99DecisionMicros = "p99_decision_us"
        case p999DecisionMicros = "p999_decision_us"
        case maxDecisionMicros = "max_decision_us"
        case decisionSeconds = "decision_seconds"
        case wallSeconds = "wall_seconds"
        case meanCPUUtilization = "mean_cpu_utilization"
        case meanGPUUtilization = "mean_gpu_utilization"
    }
}

/// Places a stream of city requests on a synthetic city, one at a time, committing each decision
/// and releasing requests when their lifetime (counted in later arrivals) ends, so the cluster runs
/// near full and preemption, no-fit and gang paths are all exercised. An untimed warm-up first
/// brings the busier of CPU and GPU to the target load; then `requestCount` requests are timed.
public struct PlacementBenchmark: Sendable {
    public var nodeCount: Int
    public var requestCount: Int
    public var seed: UInt64
    public var policy: PlacementPolicy
    /// Share of the busier of CPU and GPU capacity the live requests aim to hold.
    public var targetLoad: Double

    public init(nodeCount: Int, requestCount: Int, seed: UInt64 = 1, policy: PlacementPolicy, targetLoad: Double = 0.85) {
        self.nodeCount = nodeCount
        self.requestCount = requestCount
        self.seed = seed
        self.policy = policy
        self.targetLoad = targetLoad
    }

    public func run() throws -> BenchmarkResult {
        let city = SyntheticCity(nodeCount: nodeCount, seed: seed)
        var state = try city.clusterState()
        var placer = Placer(policy: policy, seed: seed)
        var workload = CityWorkload(city: city, seed: seed)

        // Mean lifetime (in arrivals) that would keep about `targetLoad` of the CPU allocated. It is
        // corrected every 1,000 arrivals toward `targetLoad` of the busier of CPU and GPU (gangs that
        // do not fit make the estimate high; GPUs and some classes fill before CPU does).
        var sampler = CityWorkload(city: city, seed: seed &+ 1)
        let sample = (0..<5_000).map { _ in sampler.next() }
        let meanCPU = Double(sample.reduce(0) { $0 + $1.resources.cpuMillis * Int64($1.replicas) }) / Double(sample.count)
        var meanLife = max(1, targetLoad * Double(state.totals().capacity.cpuMillis) / meanCPU)
        var lifetimeRNG = SplitMix64(seed: seed ^ 0x11FE)
        let warmupLimit = 30 * nodeCount

        var releaseAt: [Int: [String]] = [:]
        var latencies: [Double] = []
        latencies.reserveCapacity(requestCount)
        var result = BenchmarkResult(nodes: nodeCount, requests: requestCount, policy: policy.name, scan: "\(policy.scan)")
        var utilizationSamples: [(Double, Double)] = []
        let clock = ContinuousClock()
        let loopStart = clock.now
        var decisionTime = Duration.zero
        var warming = true
        var step = 0

        while latencies.count < requestCount {
            for id in releaseAt.removeValue(forKey: step) ?? [] { state.release(id) }
            let request = workload.next(at: Double(step))

            let start = clock.now
            let decision = placer.place(request, in: state)
            var committed: Placement?
            if case .placed(let placement) = decision {
                do {
                    try state.commit(placement, of: request)
                    committed = placement
                } catch {
                    if !warming { result.conflicts += 1 }
                }
            }
            let elapsed = clock.now - start
            if let committed {
                let life = Int(Double.random(in: 0.5...1.5, using: &lifetimeRNG) * meanLife)
                releaseAt[step + max(1, life), default: []].append(request.id)
                if !warming {
                    if committed.unplaced == nil { result.placed += 1 } else { result.partiallyPlaced += 1 }
                    if request.gang { result.gangsPlaced += 1 }
                    result.preemptions += committed.preempted.count
                }
            }
            if !warming {
                decisionTime += elapsed
                latencies.append(elapsed.seconds * 1e6)
                switch decision {
                case .invalid: result.invalid += 1
                case .noFit: result.noFit += 1
                case .placed: break
                }
            }
            step += 1
            if step % 1_000 == 0 {
                let totals = state.totals()
                let cpu = 1 - Double(totals.free.cpuMillis) / Double(max(1, totals.capacity.cpuMillis))
                let gpu = totals.gpuMilli == 0 ? 0 : 1 - Double(totals.freeGPUMilli) / Double(totals.gpuMilli)
                let load = max(cpu, gpu)
                if warming && (load >= 0.97 * targetLoad || step >= warmupLimit) {
                    warming = false
                    result.warmupRequests = step
                }
                if !warming { utilizationSamples.append((cpu, gpu)) }
                // Bounded: where constraints keep the load below target, requests live for the run.
                meanLife = min(meanLife * min(1.5, max(0.67, targetLoad / max(load, 0.01))), Double(warmupLimit + requestCount))
            }
        }
        let wall = clock.now - loopStart
        latencies.sort()
        func percentile(_ p: Double) -> Double { latencies.isEmpty ? 0 : latencies[min(latencies.count - 1, Int(p * Double(latencies.count)))] }
        result.decisionSeconds = decisionTime.seconds
        result.wallSeconds = wall.seconds
        result.decisionsPerSecond = Double(requestCount) / max(result.decisionSeconds, 1e-9)
        result.p50DecisionMicros = percentile(0.50)
        result.p99DecisionMicros = percentile(0.99)
        result.p999DecisionMicros = percentile(0.999)
        result.maxDecisionMicros = latencies.last ?? 0
        if !utilizationSamples.isEmpty {
            result.meanCPUUtilization = utilizationSamples.map(\.0).reduce(0, +) / Double(utilizationSamples.count)
            result.meanGPUUtilization = utilizationSamples.map(\.1).reduce(0, +) / Double(utilizationSamples.count)
        }
        return result
    }
}

extension Duration {
    /// The duration in seconds, as a floating-point number.
    public var seconds: Double { Double(components.seconds) + Double(components.attoseconds) / 1e18 }
}
