import Foundation
import Placement

/// A random number drawn per request: a constant, a weighted choice, a uniform range, an
/// exponential (by its mean) or a log-normal (by its median and the sigma of its logarithm).
public enum Distribution: Sendable, Hashable {
    case constant(Double)
    case choice([Double], weights: [Double])
    case uniform(Double, Double)
    case exponential(mean: Double)
    case logNormal(median: Double, sigma: Double)

    public func sample(using rng: inout SplitMix64) -> Double {
        switch self {
        case .constant(let value): return value
        case .choice(let values, let weights): return values[pickIndex(weights: weights, using: &rng)]
        case .uniform(let low, let high): return low == high ? low : Double.random(in: low...high, using: &rng)
        case .exponential(let mean): return -mean * log(1 - Double.random(in: 0..<1, using: &rng))
        case .logNormal(let median, let sigma):
            // Box–Muller.
            let u1 = 1 - Double.random(in: 0..<1, using: &rng), u2 = Double.random(in: 0..<1, using: &rng)
            return median * exp(sigma * (-2 * log(u1)).squareRoot() * cos(2 * .pi * u2))
        }
    }

    /// The mean, used to size a scenario's load before it runs.
    public var mean: Double {
        switch self {
        case .constant(let value): value
        case .choice(let values, let weights): zip(values, weights).map { $0 * $1 }.reduce(0, +) / weights.reduce(0, +)
        case .uniform(let low, let high): (low + high) / 2
        case .exponential(let mean): mean
        case .logNormal(let median, let sigma): median * exp(sigma * sigma / 2)
        }
    }
}

/// An index drawn with the given (non-negative, not all zero) weights.
func pickIndex(weights: [Double], using rng: inout SplitMix64) -> Int {
    let total = weights.reduce(0, +)
    var x = Double.random(in: 0..<total, using: &rng)
    for (i, w) in weights.enumerated() {
        if x < w { return i }
        x -= w
    }
    return weights.count - 1
}

/// Arrival rate over the week: a base rate in arrivals per hour times a factor per hour of the day
/// and a factor per day of the week (simulated time 0 is Monday 00:00).
public struct ArrivalPattern: Sendable, Hashable {
    public var perHour: Double
    public var daily: [Double]
    public var weekly: [Double]

    public init(perHour: Double, daily: [Double] = ArrivalPattern.flatDay, weekly: [Double] = ArrivalPattern.flatWeek) {
        self.perHour = perHour
        self.daily = daily
        self.weekly = weekly
    }

    public static let flatDay = [Double](repeating: 1, count: 24)
    public static let flatWeek = [Double](repeating: 1, count: 7)
    /// Named shapes of a day, by hour.
    public static let days: [String: [Double]] = [
        "flat": flatDay,
        // Office hours: quiet at night, a morning ramp, a peak 9:00–17:00.
        "daytime": [0.2, 0.15, 0.1, 0.1, 0.1, 0.2, 0.4, 0.8, 1.4, 2.0, 2.2, 2.2, 1.8, 2.0, 2.2, 2.2, 2.0, 1.6, 1.0, 0.7, 0.5, 0.4, 0.3, 0.25],
        // Evenings: video, streets and homes.
        "evening": [0.6, 0.4, 0.3, 0.2, 0.2, 0.3, 0.5, 0.8, 0.9, 0.9, 0.9, 1.0, 1.0, 1.0, 1.0, 1.0, 1.1, 1.3, 1.7, 2.0, 2.0, 1.8, 1.3, 0.9],
        // Nightly batch windows, 22:00–06:00.
        "nightly": [2.5, 2.5, 2.5, 2.5, 2.5, 2.0, 0.5, 0.2, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.2, 0.3, 0.5, 1.0, 2.0, 2.5],
    ]
    /// Named shapes of a week, Monday first.
    public static let weeks: [String: [Double]] = [
        "flat": flatWeek,
        "weekdays": [1.2, 1.2, 1.2, 1.2, 1.1, 0.5, 0.4],
        "weekends": [0.9, 0.9, 0.9, 0.9, 1.0, 1.3, 1.3],
    ]

    /// Arrivals per second at simulated time `t`.
    public func rate(at t: Double) -> Double {
        let hour = Int((t / 3_600).rounded(.down))
        return perHour / 3_600 * daily[((hour % 24) + 24) % 24] * weekly[(((hour / 24) % 7) + 7) % 7]
    }

    /// The highest rate of the week, the envelope for thinning.
    public var peakRate: Double { perHour / 3_600 * (daily.max() ?? 1) * (weekly.max() ?? 1) }

    /// The next arrival after `t` of the non-homogeneous Poisson process (Lewis–Shedler thinning),
    /// or nil when there is none before `end`.
    public func nextArrival(after t: Double, before end: Double, using rng: inout SplitMix64) -> Double? {
        let peak = peakRate
        guard peak > 0 else { return nil }
        var time = t
        while true {
            time += -log(1 - Double.random(in: 0..<1, using: &rng)) / peak
            if time >= end { return nil }
            if Double.random(in: 0..<1, using: &rng) * peak < rate(at: time) { return time }
        }
    }
}

/// A synthetic source of requests of one kind: when they arrive, how long they run, how large
/// they are, who sends them and with what priority and constraints.
public struct GeneratorSpec: Sendable {
    public var name: String
    public var kind: WorkloadKind
    public var arrivals: ArrivalPattern
    /// Active from `start` to `end` simulated seconds (nil: the whole run).
    public var start: Double
    public var end: Double?
    /// Seconds a request runs once placed.
    public var duration: Distribution
    /// Cores per replica.
    public var cpu: Distribution
    public var memoryGiB: Distribution
    public var diskGiB: Distribution
    public var bandwidthMbps: Distribution
    /// GPUs per replica, and the share of each (1 = whole GPUs).
    public var gpus: Distribution
    public var gpuShare: Distribution
    public var gpuModels: [String]
    public var replicas: Distribution
    public var gang: Bool
    public var priorities: [(PriorityClass, Double)]
    /// Tenants with weights; empty: every tenant of the scenario, equally.
    public var tenants: [(String, Double)]
    public var classes: Set<NodeClass>?
    /// The partition; nil: the tenant's.
    public var partition: String?
    /// Where the users are, one drawn per request, and the round-trip bound to them.
    public var originSites: [String]
    public var maxLatencyMs: Double?
    /// Seconds a request may wait in the queue before it is given up.
    public var queueDeadline: Double?
    /// Seconds a lease lasts; work still running then is stopped.
    public var lease: Double?
    public var spreadOverSites: Bool

    public init(name: String, kind: WorkloadKind, arrivals: ArrivalPattern, duration: Distribution, cpu: Distribution, memoryGiB: Distribution) {
        self.name = name
        self.kind = kind
        self.arrivals = arrivals
        self.start = 0
        self.end = nil
        self.duration = duration
        self.cpu = cpu
        self.memoryGiB = memoryGiB
        self.diskGiB = .constant(0)
        self.bandwidthMbps = .constant(0)
        self.gpus = .constant(0)
        self.gpuShare = .constant(1)
        self.gpuModels = []
        self.replicas = .constant(1)
        self.gang = false
        self.priorities = [(.standard, 1)]
        self.tenants = []
        self.classes = nil
        self.partition = nil
        self.originSites = []
        self.maxLatencyMs = nil
        self.queueDeadline = nil
        self.lease = nil
        self.spreadOverSites = false
    }

    /// A request of this generator arriving at `time`, with how long it runs.
    func request(id: String, at time: Double, tenants fallback: [TenantSpec], using rng: inout SplitMix64) -> TimedRequest {
        let tenant: String
        if tenants.isEmpty {
            tenant = fallback.isEmpty ? "default" : fallback[Int.random(in: 0..<fallback.count, using: &rng)].name
        } else {
            tenant = tenants[pickIndex(weights: tenants.map(\.1), using: &rng)].0
        }
        let priority = priorities[pickIndex(weights: priorities.map(\.1), using: &rng)].0
        var request = PlacementRequest(id: id, tenant: tenant, priority: priority, kind: kind, submittedAt: time)
        request.replicas = max(1, Int(replicas.sample(using: &rng).rounded()))
        request.gang = gang && request.replicas > 1
        request.resources = Resources(
            cpuMillis: max(1, Int64((cpu.sample(using: &rng) * 1_000).rounded())),
            memoryMiB: max(1, Int64((memoryGiB.sample(using: &rng) * 1_024).rounded())),
            diskGiB: max(0, Int64(diskGiB.sample(using: &rng).rounded())),
            bandwidthMbps: max(0, Int64(bandwidthMbps.sample(using: &rng).rounded())))
        let gpuCount = Int(gpus.sample(using: &rng).rounded())
        if gpuCount > 0 {
            let share = min(1, max(0.001, gpuShare.sample(using: &rng)))
            request.gpu = GPURequest(count: share < 1 ? 1 : gpuCount, milliPerGPU: Int32((share * 1_000).rounded()), models: gpuModels)
        }
        request.allowedClasses = classes
        request.partition = partition ?? fallback.first { $0.name == tenant }?.partition ?? "public"
        if !originSites.isEmpty {
            request.originSite = originSites[Int.random(in: 0..<originSites.count, using: &rng)]
            request.maxLatencyMs = maxLatencyMs
        }
        if let queueDeadline { request.queueDeadline = time + queueDeadline }
        if let lease { request.leaseSeconds = Int64(lease.rounded(.up)) }
        if spreadOverSites && request.replicas > 1 { request.spread = SpreadConstraint(key: .site) }
        return TimedRequest(request: request, duration: max(1, duration.sample(using: &rng)))
    }

    /// The mean number of arrivals within a run of `duration` seconds: the rate times the mean of
    /// the day and week shapes over the generator's active time.
    public func expectedArrivals(within duration: Double) -> Double {
        let active = max(0, min(end ?? duration, duration) - start)
        let shape = arrivals.daily.reduce(0, +) / Double(arrivals.daily.count) * arrivals.weekly.reduce(0, +) / Double(arrivals.weekly.count)
        return arrivals.perHour / 3_600 * shape * active
    }
}

/// A request and how long it runs once placed.
public struct TimedRequest: Sendable {
    public var request: PlacementRequest
    public var duration: Double
    /// The file and line of a trace's record, for errors found across traces.
    public var origin: (file: String, line: Int)?

    public init(request: PlacementRequest, duration: Double, origin: (file: String, line: Int)? = nil) {
        self.request = request
        self.duration = duration
        self.origin = origin
    }
}
