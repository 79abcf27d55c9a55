import Placement

/// The published protocol of the FGD paper (Weng et al., USENIX ATC 2023) on the openb trace, run
/// through the production placement core: pods sorted by name and shuffled with a seed, then drawn
/// uniformly with replacement and appended until their GPU request would exceed `overload` times
/// the cluster's GPUs; placed one at a time, no departures, no retries. The curve is the GPU
/// allocation ratio against the GPU load that has arrived.
public struct OpenBExperiment: Sendable {
    public struct Point: Sendable, Hashable, Codable {
        /// Cumulative GPU request of the pods submitted so far, % of the cluster's GPUs.
        public var arrivedPct: Double
        /// Allocated GPU thousandths, % of the cluster's GPUs.
        public var allocatedPct: Double

        public init(arrivedPct: Double, allocatedPct: Double) {
            self.arrivedPct = arrivedPct
            self.allocatedPct = allocatedPct
        }

        enum CodingKeys: String, CodingKey {
            case arrivedPct = "arrived_pct"
            case allocatedPct = "allocated_pct"
        }
    }

    public struct Run: Sendable, Hashable, Codable {
        public var seed: UInt64
        public var pods: Int
        public var placed: Int
        public var failed: Int
        /// The allocation ratio at each of `OpenBExperiment.curvePoints`: after the last pod whose
        /// arrival kept the arrived load at or below the point.
        public var curve: [Point]

        public func allocated(atArrived pct: Double) -> Double? { curve.first { $0.arrivedPct == pct }?.allocatedPct }
    }

    public static let curvePoints: [Double] = Array(stride(from: 5.0, through: 130.0, by: 5.0))

    public var trace: OpenBTrace
    public var policy: PlacementPolicy
    public var overload: Double

    public init(trace: OpenBTrace, policy: PlacementPolicy, overload: Double = 1.3) {
        self.trace = trace
        self.policy = policy
        self.overload = overload
    }

    /// The workload of one seed, in submission order (copies drawn again get `#k` suffixes).
    public func workload(seed: UInt64) -> [PlacementRequest] {
        var rng = SplitMix64(seed: seed)
        var pods = trace.pods
        pods.shuffle(using: &rng)
        let limit = overload * Double(trace.gpuCapacityMilli)
        var total = pods.reduce(0.0) { $0 + Double($1.gpuMilliPerReplica) }
        var copies = 0
        while true {
            var pod = trace.pods[Int.random(in: 0..<trace.pods.count, using: &rng)]
            guard total + Double(pod.gpuMilliPerReplica) <= limit else { break }
            total += Double(pod.gpuMilliPerReplica)
            copies += 1
            pod.id += "#\(copies)"
            pods.append(pod)
        }
        return pods
    }

    public func run(seed: UInt64) throws -> Run {
        var state = try ClusterState(nodes: trace.nodes)
        var placer = Placer(policy: policy, seed: seed)
        let capacity = Double(trace.gpuCapacityMilli)
        var arrived = 0.0, allocated = 0.0
        var curve: [Point] = []
        var placed = 0, failed = 0
        let pods = workload(seed: seed)
        for pod in pods {
            let before = allocated
            arrived += Double(pod.gpuMilliPerReplica)
            if case .placed(let placement) = placer.place(pod, in: state) {
                try state.commit(placement, of: pod)
                allocated += Double(placement.replicas.reduce(0) { $0 + $1.gpuMilli })
                placed += 1
            } else {
                failed += 1
            }
            while curve.count < Self.curvePoints.count && arrived / capacity * 100 > Self.curvePoints[curve.count] + 1e-9 {
                curve.append(Point(arrivedPct: Self.curvePoints[curve.count], allocatedPct: before / capacity * 100))
            }
        }
        while curve.count < Self.curvePoints.count {
            curve.append(Point(arrivedPct: Self.curvePoints[curve.count], allocatedPct: allocated / capacity * 100))
        }
        return Run(seed: seed, pods: pods.count, placed: placed, failed: failed, curve: curve)
    }
}
