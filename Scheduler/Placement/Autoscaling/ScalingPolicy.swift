/// How many replicas a service keeps, and what drives the number: the semantics of Kubernetes'
/// HorizontalPodAutoscaler (a target per replica, a tolerance, stabilization windows and rate
/// limits per direction), plus floors by time of day and cool-downs.
public struct ScalingPolicy: Sendable, Hashable, Codable {
    public var minReplicas: Int
    public var maxReplicas: Int
    public var target: ScalingTarget
    /// No change while the metric is within this share of its target (0.1: 10%).
    public var tolerance: Double
    /// Samples older than this many seconds say nothing about the load now.
    public var metricWindowSeconds: Double
    public var scaleUp: ScalingRules
    public var scaleDown: ScalingRules
    /// More replicas than `minReplicas` at some hours (office hours).
    public var floors: [ScheduledFloor]

    public init(
        minReplicas: Int = 1, maxReplicas: Int, target: ScalingTarget, tolerance: Double = 0.1, metricWindowSeconds: Double = 60,
        scaleUp: ScalingRules = .defaultUp, scaleDown: ScalingRules = .defaultDown, floors: [ScheduledFloor] = []
    ) {
        self.minReplicas = minReplicas
        self.maxReplicas = maxReplicas
        self.target = target
        self.tolerance = tolerance
        self.metricWindowSeconds = metricWindowSeconds
        self.scaleUp = scaleUp
        self.scaleDown = scaleDown
        self.floors = floors
    }

    /// The most replicas a policy may ask for: a bound on what one request can hold.
    public static let maxReplicasLimit = 1_000
    /// The longest window or period a policy may name: an hour, as Kubernetes allows.
    public static let maxWindowSeconds = 3_600.0

    /// The fewest replicas allowed at `now`: the minimum, or a floor in force then if higher.
    public func floor(at now: Double) -> Int {
        floors.filter { $0.applies(at: now) }.map(\.minReplicas).reduce(minReplicas, max)
    }

    /// Throws naming the field (under `prefix`) of a policy that cannot work.
    public func validate(prefix: String = "scaling.") throws(ValidationError) {
        func fail(_ field: String, _ message: String) -> ValidationError {
            ValidationError(field: prefix + field, code: .outOfRange, message: message)
        }
        guard (1...Self.maxReplicasLimit).contains(minReplicas) else {
            throw fail("minReplicas", "must be between 1 and \(Self.maxReplicasLimit), got \(minReplicas)")
        }
        guard (1...Self.maxReplicasLimit).contains(maxReplicas) else {
            throw fail("maxReplicas", "must be between 1 and \(Self.maxReplicasLimit), got \(maxReplicas)")
        }
        guard minReplicas <= maxReplicas else {
            throw ValidationError(field: prefix + "minReplicas", code: .contradictory, message: "\(minReplicas) is more than maxReplicas \(maxReplicas)")
        }
        switch target {
        case .cpuUtilization(let share):
            guard share.isFinite, share >= 0.01, share <= 1 else { throw fail("target.cpuUtilizationPercent", "must be between 1 and 100, got \(share * 100)") }
        case .callsPerSecond(let rate):
            guard rate.isFinite, rate > 0, rate <= 1e9 else { throw fail("target.callsPerSecondPerReplica", "must be more than 0 and at most 1e9, got \(rate)") }
        }
        guard tolerance.isFinite, tolerance >= 0, tolerance < 1 else { throw fail("tolerancePercent", "must be at least 0 and less than 100, got \(tolerance * 100)") }
        guard metricWindowSeconds.isFinite, metricWindowSeconds >= 1, metricWindowSeconds <= Self.maxWindowSeconds else {
            throw fail("metricWindowSeconds", "must be between 1 and \(Int(Self.maxWindowSeconds)) seconds, got \(metricWindowSeconds)")
        }
        try scaleUp.validate(prefix: prefix + "scaleUp.")
        try scaleDown.validate(prefix: prefix + "scaleDown.")
        for (i, floor) in floors.enumerated() {
            let field = prefix + "floors[\(i)]."
            guard (1...Self.maxReplicasLimit).contains(floor.minReplicas) else {
                throw ValidationError(field: field + "minReplicas", code: .outOfRange, message: "must be between 1 and \(Self.maxReplicasLimit), got \(floor.minReplicas)")
            }
            guard floor.minReplicas <= maxReplicas else {
                throw ValidationError(field: field + "minReplicas", code: .contradictory, message: "\(floor.minReplicas) is more than maxReplicas \(maxReplicas)")
            }
        }
    }
}

/// What the number of replicas follows.
public enum ScalingTarget: Sendable, Hashable, Codable {
    /// The replicas' average CPU use as a share of their allocation (0.6: 60%), from the agents'
    /// metering.
    case cpuUtilization(Double)
    /// Calls per second per replica, from the counter the workload reports.
    case callsPerSecond(Double)

    public var value: Double {
        switch self {
        case .cpuUtilization(let share): share
        case .callsPerSecond(let rate): rate
        }
    }

    /// A reading of this metric in the words and units of the API.
    public func describe(_ reading: Double) -> String {
        switch self {
        case .cpuUtilization: "CPU \(Self.percent(reading)) of the allocation"
        case .callsPerSecond: "\(Self.rate(reading)) calls/s per replica"
        }
    }

    /// The target in the words and units of the API.
    public var text: String {
        switch self {
        case .cpuUtilization(let share): "target \(Self.percent(share))"
        case .callsPerSecond(let rate): "target \(Self.rate(rate))"
        }
    }

    static func percent(_ share: Double) -> String { "\(Int((share * 100).rounded()))%" }
    static func rate(_ value: Double) -> String {
        value >= 100 ? "\(Int(value.rounded()))" : "\(Double(Int((value * 10).rounded())) / 10)"
    }
}

/// How fast one direction may go: the safest recommendation of the stabilization window, at most
/// what the rates allow per period, none within the cool-down of the last change.
public struct ScalingRules: Sendable, Hashable, Codable {
    public var stabilizationSeconds: Double
    /// Nil when this direction is disabled.
    public var rates: [ScalingRate]?
    /// With several rates: `max` takes the one allowing the most change, `min` the least.
    public var select: RateSelection
    /// No change in this direction until this long after the last change in either.
    public var cooldownSeconds: Double

    public enum RateSelection: String, Sendable, Hashable, Codable, CaseIterable { case max, min, disabled }

    public init(stabilizationSeconds: Double, rates: [ScalingRate], select: RateSelection = .max, cooldownSeconds: Double = 0) {
        self.stabilizationSeconds = stabilizationSeconds
        self.rates = rates
        self.select = select
        self.cooldownSeconds = cooldownSeconds
    }

    /// Kubernetes' defaults: up at once, by the larger of doubling and 4 replicas per 15 s.
    public static let defaultUp = ScalingRules(
        stabilizationSeconds: 0, rates: [ScalingRate(kind: .percent, value: 100, periodSeconds: 15), ScalingRate(kind: .replicas, value: 4, periodSeconds: 15)])
    /// Kubernetes' defaults: down to the highest recommendation of the last 5 minutes, by up to
    /// 100% per 15 s.
    public static let defaultDown = ScalingRules(stabilizationSeconds: 300, rates: [ScalingRate(kind: .percent, value: 100, periodSeconds: 15)])

    func validate(prefix: String) throws(ValidationError) {
        let limit = ScalingPolicy.maxWindowSeconds
        guard stabilizationSeconds.isFinite, (0...limit).contains(stabilizationSeconds) else {
            throw ValidationError(field: prefix + "stabilizationSeconds", code: .outOfRange, message: "must be between 0 and \(Int(limit)) seconds, got \(stabilizationSeconds)")
        }
        guard cooldownSeconds.isFinite, (0...limit).contains(cooldownSeconds) else {
            throw ValidationError(field: prefix + "cooldownSeconds", code: .outOfRange, message: "must be between 0 and \(Int(limit)) seconds, got \(cooldownSeconds)")
        }
        if select != .disabled, rates?.isEmpty ?? true {
            throw ValidationError(field: prefix + "rates", code: .invalid, message: "needs at least one rate unless select is disabled")
        }
        for (i, rate) in (rates ?? []).enumerated() {
            let field = prefix + "rates[\(i)]."
            guard (1...10_000).contains(rate.value) else {
                throw ValidationError(field: field + "value", code: .outOfRange, message: "must be between 1 and 10000, got \(rate.value)")
            }
            guard rate.periodSeconds.isFinite, rate.periodSeconds >= 1, rate.periodSeconds <= limit else {
                throw ValidationError(field: field + "periodSeconds", code: .outOfRange, message: "must be between 1 and \(Int(limit)) seconds, got \(rate.periodSeconds)")
            }
        }
    }
}

/// At most `value` replicas (or `value` percent of those at the period's start) per period.
public struct ScalingRate: Sendable, Hashable, Codable {
    public enum Kind: String, Sendable, Hashable, Codable, CaseIterable { case replicas, percent }
    public var kind: Kind
    public var value: Int
    public var periodSeconds: Double

    public init(kind: Kind, value: Int, periodSeconds: Double) {
        self.kind = kind
        self.value = value
        self.periodSeconds = periodSeconds
    }
}

/// At least `minReplicas` on some days between two times of day (local time at `utcOffsetMinutes`).
public struct ScheduledFloor: Sendable, Hashable, Codable {
    /// ISO weekdays: 1 is Monday, 7 is Sunday.
    public var days: Set<Int>
    /// Minutes after local midnight; a floor whose end is before its start runs over midnight.
    public var startMinute: Int
    public var endMinute: Int
    public var minReplicas: Int
    public var utcOffsetMinutes: Int

    public init(days: Set<Int>, startMinute: Int, endMinute: Int, minReplicas: Int, utcOffsetMinutes: Int) {
        self.days = days
        self.startMinute = startMinute
        self.endMinute = endMinute
        self.minReplicas = minReplicas
        self.utcOffsetMinutes = utcOffsetMinutes
    }

    /// Whether the floor is in force at `now` (seconds since 1970 UTC). A floor over midnight
    /// belongs to the day it starts on.
    public func applies(at now: Double) -> Bool {
        let local = now + Double(utcOffsetMinutes) * 60
        let day = Int((local / 86_400).rounded(.down))
        let minute = Int((local - Double(day) * 86_400) / 60)
        // 1970-01-01 was a Thursday (ISO 4).
        func weekday(_ day: Int) -> Int { ((day + 3) % 7 + 7) % 7 + 1 }
        if startMinute <= endMinute { return days.contains(weekday(day)) && minute >= startMinute && minute < endMinute }
        return (days.contains(weekday(day)) && minute >= startMinute) || (days.contains(weekday(day - 1)) && minute < endMinute)
    }
}
