import Placement

/// A scaling policy as submitted: every field but `maxReplicas` and `target` has Kubernetes' HPA
/// default. Percentages are in percent, times in seconds, floors in local time.
public struct ScalingSpec: Sendable, Hashable, Codable {
    public var minReplicas: Int?
    public var maxReplicas: Int
    public var target: Target
    public var tolerancePercent: Double?
    public var metricWindowSeconds: Double?
    public var scaleUp: Rules?
    public var scaleDown: Rules?
    public var floors: [Floor]?

    /// Exactly one of the two.
    public struct Target: Sendable, Hashable, Codable {
        public var cpuUtilizationPercent: Double?
        public var callsPerSecondPerReplica: Double?

        public init(cpuUtilizationPercent: Double? = nil, callsPerSecondPerReplica: Double? = nil) {
            self.cpuUtilizationPercent = cpuUtilizationPercent
            self.callsPerSecondPerReplica = callsPerSecondPerReplica
        }
    }

    public struct Rules: Sendable, Hashable, Codable {
        public var stabilizationSeconds: Double?
        public var rates: [Rate]?
        public var select: ScalingRules.RateSelection?
        public var cooldownSeconds: Double?

        public init(stabilizationSeconds: Double? = nil, rates: [Rate]? = nil, select: ScalingRules.RateSelection? = nil, cooldownSeconds: Double? = nil) {
            self.stabilizationSeconds = stabilizationSeconds
            self.rates = rates
            self.select = select
            self.cooldownSeconds = cooldownSeconds
        }
    }

    public struct Rate: Sendable, Hashable, Codable {
        public var type: ScalingRate.Kind
        public var value: Int
        public var periodSeconds: Double

        public init(type: ScalingRate.Kind, value: Int, periodSeconds: Double) {
            self.type = type
            self.value = value
            self.periodSeconds = periodSeconds
        }
    }

    /// At least `minReplicas` on `days` from `from` to `to` (`HH:MM`, local time at `utcOffset`).
    public struct Floor: Sendable, Hashable, Codable {
        public var days: [Weekday]
        public var from: String
        public var to: String
        public var minReplicas: Int
        /// `+08:00` (China Standard Time) when left out.
        public var utcOffset: String?

        public init(days: [Weekday], from: String, to: String, minReplicas: Int, utcOffset: String? = nil) {
            self.days = days
            self.from = from
            self.to = to
            self.minReplicas = minReplicas
            self.utcOffset = utcOffset
        }
    }

    public enum Weekday: String, Sendable, Hashable, Codable, CaseIterable { case mon, tue, wed, thu, fri, sat, sun }

    public init(
        minReplicas: Int? = nil, maxReplicas: Int, target: Target, tolerancePercent: Double? = nil, metricWindowSeconds: Double? = nil,
        scaleUp: Rules? = nil, scaleDown: Rules? = nil, floors: [Floor]? = nil
    ) {
        self.minReplicas = minReplicas
        self.maxReplicas = maxReplicas
        self.target = target
        self.tolerancePercent = tolerancePercent
        self.metricWindowSeconds = metricWindowSeconds
        self.scaleUp = scaleUp
        self.scaleDown = scaleDown
        self.floors = floors
    }

    /// The policy this spec describes, every default filled in; throws naming the field.
    public func policy(prefix: String = "scaling.") throws(ValidationError) -> ScalingPolicy {
        let target: ScalingTarget
        switch (self.target.cpuUtilizationPercent, self.target.callsPerSecondPerReplica) {
        case (let percent?, nil): target = .cpuUtilization(percent / 100)
        case (nil, let rate?): target = .callsPerSecond(rate)
        default:
            throw ValidationError(field: prefix + "target", code: .invalid, message: "give exactly one of cpuUtilizationPercent and callsPerSecondPerReplica")
        }
        let policy = ScalingPolicy(
            minReplicas: minReplicas ?? 1, maxReplicas: maxReplicas, target: target, tolerance: (tolerancePercent ?? 10) / 100,
            metricWindowSeconds: metricWindowSeconds ?? 60,
            scaleUp: scaleUp.map { $0.rules(over: .defaultUp) } ?? .defaultUp, scaleDown: scaleDown.map { $0.rules(over: .defaultDown) } ?? .defaultDown,
            floors: try (floors ?? []).enumerated().map { (i, floor) throws(ValidationError) in try floor.scheduled(field: prefix + "floors[\(i)].") })
        try policy.validate(prefix: prefix)
        return policy
    }

    /// The spec a policy stands for, every default spelled out (as the API shows it).
    public init(_ policy: ScalingPolicy) {
        let target: Target = switch policy.target {
        case .cpuUtilization(let share): Target(cpuUtilizationPercent: share * 100)
        case .callsPerSecond(let rate): Target(callsPerSecondPerReplica: rate)
        }
        self.init(
            minReplicas: policy.minReplicas, maxReplicas: policy.maxReplicas, target: target, tolerancePercent: policy.tolerance * 100,
            metricWindowSeconds: policy.metricWindowSeconds, scaleUp: Rules(policy.scaleUp), scaleDown: Rules(policy.scaleDown),
            floors: policy.floors.map(Floor.init))
    }
}

extension ScalingSpec.Rules {
    init(_ rules: ScalingRules) {
        self.init(
            stabilizationSeconds: rules.stabilizationSeconds,
            rates: rules.rates?.map { ScalingSpec.Rate(type: $0.kind, value: $0.value, periodSeconds: $0.periodSeconds) }, select: rules.select,
            cooldownSeconds: rules.cooldownSeconds)
    }

    /// These rules over a direction's defaults: what is left out keeps the default.
    func rules(over defaults: ScalingRules) -> ScalingRules {
        var rules = defaults
        if let stabilizationSeconds { rules.stabilizationSeconds = stabilizationSeconds }
        if let rates { rules.rates = rates.map { ScalingRate(kind: $0.type, value: $0.value, periodSeconds: $0.periodSeconds) } }
        if let select { rules.select = select }
        if let cooldownSeconds { rules.cooldownSeconds = cooldownSeconds }
        return rules
    }
}

extension ScalingSpec.Floor {
    static let defaultUTCOffsetMinutes = 8 * 60

    init(_ floor: ScheduledFloor) {
        let offset = abs(floor.utcOffsetMinutes)
        self.init(
            days: ScalingSpec.Weekday.allCases.enumerated().filter { floor.days.contains($0.offset + 1) }.map(\.element),
            from: Self.clock(floor.startMinute), to: Self.clock(floor.endMinute), minReplicas: floor.minReplicas,
            utcOffset: (floor.utcOffsetMinutes < 0 ? "-" : "+") + Self.clock(offset))
    }

    func scheduled(field: String) throws(ValidationError) -> ScheduledFloor {
        guard !days.isEmpty else { throw ValidationError(field: field + "days", code: .invalid, message: "name at least one day (mon ... sun)") }
        let start = try Self.minutes(from, field: field + "from")
        guard start < 24 * 60 else { throw ValidationError(field: field + "from", code: .invalid, message: "must be a time of day 00:00 to 23:59, got '\(from)'") }
        let end = try Self.minutes(to, field: field + "to")
        guard start != end else { throw ValidationError(field: field + "to", code: .contradictory, message: "is the same time as from (\(from))") }
        var offset = Self.defaultUTCOffsetMinutes
        if let utcOffset {
            let sign = utcOffset.first
            guard sign == "+" || sign == "-", let minutes = try? Self.minutes(String(utcOffset.dropFirst()), field: field), minutes <= 14 * 60 else {
                throw ValidationError(field: field + "utcOffset", code: .invalid, message: "must be +HH:MM or -HH:MM within 14 hours of UTC, got '\(utcOffset)'")
            }
            offset = sign == "-" ? -minutes : minutes
        }
        let weekdays = Set(days.map { ScalingSpec.Weekday.allCases.firstIndex(of: $0)! + 1 })
        return ScheduledFloor(days: weekdays, startMinute: start, endMinute: end, minReplicas: minReplicas, utcOffsetMinutes: offset)
    }

    /// Minutes after midnight of `HH:MM` (00:00 to 24:00).
    static func minutes(_ text: String, field: String) throws(ValidationError) -> Int {
        let parts = text.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 2, parts.allSatisfy({ $0.count == 2 && $0.allSatisfy { ("0"..."9").contains($0) } }), let hours = Int(parts[0]), let minutes = Int(parts[1]),
              (0...24).contains(hours), (0..<60).contains(minutes), hours * 60 + minutes <= 24 * 60
        else { throw ValidationError(field: field, code: .invalid, message: "must be a time of day HH:MM, got '\(text)'") }
        return hours * 60 + minutes
    }

    static func clock(_ minutes: Int) -> String {
        let h = minutes / 60, m = minutes % 60
        return (h < 10 ? "0" : "") + "\(h):" + (m < 10 ? "0" : "") + "\(m)"
    }
}
