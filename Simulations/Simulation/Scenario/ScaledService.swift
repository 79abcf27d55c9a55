import Placement

/// A long-running service under a daily load of calls: one request from the start of the run to
/// its end whose replicas follow the load through the scheduler's autoscaler (`scaling`), or stay
/// at `replicas` without it. A replica serves at most `callsPerReplica` calls per second, at full
/// CPU; what it cannot serve is counted as overload.
public struct ScaledService: Sendable, Hashable {
    public var name: String
    public var tenant: String
    public var priority: PriorityClass
    public var resources: Resources
    public var classes: Set<NodeClass>?
    public var originSite: String?
    public var maxLatencyMs: Double?
    /// The mean load in calls per second, shaped over the day by `daily`.
    public var callsPerSecond: Double
    /// 24 factors, one per hour (their mean need not be 1), interpolated between hours.
    public var daily: [Double]
    public var callsPerReplica: Double
    /// The fixed number of replicas, or where an autoscaled service starts.
    public var replicas: Int
    public var scaling: ScalingPolicy?

    public init(
        name: String, tenant: String, priority: PriorityClass = .standard, resources: Resources, classes: Set<NodeClass>? = nil, originSite: String? = nil,
        maxLatencyMs: Double? = nil, callsPerSecond: Double, daily: [Double] = ArrivalPattern.flatDay, callsPerReplica: Double, replicas: Int,
        scaling: ScalingPolicy? = nil
    ) {
        self.name = name
        self.tenant = tenant
        self.priority = priority
        self.resources = resources
        self.classes = classes
        self.originSite = originSite
        self.maxLatencyMs = maxLatencyMs
        self.callsPerSecond = callsPerSecond
        self.daily = daily
        self.callsPerReplica = callsPerReplica
        self.replicas = replicas
        self.scaling = scaling
    }

    /// The request id of the service in a run.
    public var requestID: String { "service:\(name)" }

    /// Calls per second at simulated time `t` (seconds; 0 is midnight).
    public func load(at t: Double) -> Double {
        let hours = (t / 3_600).truncatingRemainder(dividingBy: 24)
        let hour = Int(hours.rounded(.down)) % 24
        let share = hours - hours.rounded(.down)
        return callsPerSecond * (daily[hour] * (1 - share) + daily[(hour + 1) % 24] * share)
    }

    /// Replicas that can serve the load at `t` at full CPU.
    public func neededReplicas(at t: Double) -> Int { Int((load(at: t) / callsPerReplica).rounded(.up)) }

    /// What the autoscaler reads with `running` replicas serving the load at `t`: CPU share or
    /// calls per replica.
    public func reading(at t: Double, running: Int) -> ScalingReading? {
        guard running > 0, let scaling else { return nil }
        let perReplica = load(at: t) / Double(running)
        switch scaling.target {
        case .cpuUtilization: return ScalingReading(value: min(1, perReplica / callsPerReplica), replicas: running)
        case .callsPerSecond: return ScalingReading(value: perReplica, replicas: running)
        }
    }

    /// The request the service places, submitted at `now`.
    public func request(at now: Double) -> PlacementRequest {
        var request = PlacementRequest(
            id: requestID, tenant: tenant, priority: priority, kind: .service, replicas: replicas, resources: resources, originSite: originSite,
            maxLatencyMs: maxLatencyMs, allowedClasses: classes, spread: SpreadConstraint(key: .node), submittedAt: now)
        request.scaling = scaling
        return request
    }

    /// The same service without its autoscaler, fixed at its `maxReplicas`: what it would take to
    /// be sized for the peak it may reach all day.
    public var fixedAtMax: ScaledService {
        var fixed = self
        fixed.replicas = scaling?.maxReplicas ?? replicas
        fixed.scaling = nil
        return fixed
    }
}
