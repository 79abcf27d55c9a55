/// A reading of a scaling policy's metric: the average per replica over the replicas measured.
public struct ScalingReading: Sendable, Hashable {
    /// CPU share of the allocation (0.9: 90%), or calls per second per replica.
    public var value: Double
    /// How many replicas the average is over.
    public var replicas: Int

    public init(value: Double, replicas: Int) {
        self.value = value
        self.replicas = replicas
    }
}

/// What one evaluation of a policy decided, with the figures behind it.
public struct ScalingDecision: Sendable, Hashable {
    /// The replicas before.
    public var current: Int
    /// What the metric alone asks for (the current number within the tolerance or without a reading).
    public var recommended: Int
    /// The replicas after: stabilized, rate-limited, within the floor and the maximum.
    public var desired: Int
    public var reading: ScalingReading?
    /// Why `desired` differs from `recommended`, when it does: the window, a rate, a cool-down,
    /// the floor or the maximum.
    public var limitedBy: String?

    public var changes: Bool { desired != current }

    /// In words, with the metric's values, e.g. "2 -> 4: CPU 95% of the allocation on 2 replicas,
    /// target 60%; at most +4 or x2 per 15 s".
    public func explanation(for target: ScalingTarget) -> String {
        let measured = reading.map { "\(target.describe($0.value)) on \($0.replicas) replica\($0.replicas == 1 ? "" : "s"), \(target.text)" }
            ?? "no reading of the metric in its window"
        let limit = limitedBy.map { "; \($0)" } ?? ""
        let change = desired == current ? "stays at \(current)" : "\(current) -> \(desired)"
        return "\(change): \(measured), recommends \(recommended)\(limit)"
    }
}

/// The autoscaler of one request: its past recommendations and changes, and the rule that turns
/// a reading and the clock into a number of replicas. A value with no clock and no I/O: the same
/// readings at the same times give the same decisions, in the scheduler and the simulator alike.
public struct Autoscaler: Sendable, Hashable {
    public var policy: ScalingPolicy
    /// A number of replicas at a time: a recommendation, or a change (negative: fewer).
    private struct Point: Sendable, Hashable {
        var at: Double
        var replicas: Int
    }

    private var recommendations: [Point] = []
    private var changes: [Point] = []

    /// Starts with `current` replicas recommended at `now`: scaling down waits a whole window even
    /// after a restart, which forgets the history.
    public init(policy: ScalingPolicy, current: Int, now: Double) {
        self.policy = policy
        recommendations = [Point(at: now, replicas: current)]
    }

    /// The replicas to run at `now`, given the current number and a reading of the metric (nil:
    /// none in its window). A change is remembered for the rate limits of later evaluations.
    public mutating func evaluate(current: Int, reading: ScalingReading?, now: Double) -> ScalingDecision {
        let target = policy.target.value
        var recommended = current
        if let reading, reading.replicas > 0 {
            let ratio = reading.value / target
            if abs(ratio - 1) > policy.tolerance {
                let wanted = (Double(reading.replicas) * ratio).rounded(.up)
                recommended = wanted >= Double(ScalingPolicy.maxReplicasLimit) ? ScalingPolicy.maxReplicasLimit : Int(wanted)
            }
        }
        let horizon = max(policy.scaleUp.stabilizationSeconds, policy.scaleDown.stabilizationSeconds)
        recommendations.removeAll { $0.at < now - horizon }
        let longestPeriod = (policy.scaleUp.rates ?? []).map(\.periodSeconds) + (policy.scaleDown.rates ?? []).map(\.periodSeconds)
        changes.removeAll { $0.at < now - max(longestPeriod.max() ?? 0, policy.scaleUp.cooldownSeconds, policy.scaleDown.cooldownSeconds) }

        // The safest recommendation of each window (strictly inside it: a window of 0 is the
        // present alone): the lowest of the up window, the highest of the down window.
        var upward = recommended, downward = recommended
        for past in recommendations {
            if past.at > now - policy.scaleUp.stabilizationSeconds { upward = min(upward, past.replicas) }
            if past.at > now - policy.scaleDown.stabilizationSeconds { downward = max(downward, past.replicas) }
        }
        recommendations.append(Point(at: now, replicas: recommended))
        var desired = current
        var limitedBy: String?
        if desired < upward { desired = upward }
        if desired > downward { desired = downward }
        if desired != recommended {
            limitedBy = desired > recommended ? "no lower than \(desired), the highest recommendation of the last \(Self.seconds(policy.scaleDown.stabilizationSeconds))"
                : "no higher than \(desired), the lowest recommendation of the last \(Self.seconds(policy.scaleUp.stabilizationSeconds))"
        }

        if desired > current {
            let (limit, why) = reach(up: true, current: current, now: now)
            if desired > limit {
                desired = limit
                limitedBy = why
            }
        } else if desired < current {
            let (limit, why) = reach(up: false, current: current, now: now)
            if desired < limit {
                desired = limit
                limitedBy = why
            }
        }

        let floor = policy.floor(at: now)
        if desired > policy.maxReplicas {
            desired = policy.maxReplicas
            limitedBy = "at most \(policy.maxReplicas) (maxReplicas)"
        }
        if desired < floor {
            desired = floor
            limitedBy = floor > policy.minReplicas ? "at least \(floor) at this hour (a scheduled floor)" : "at least \(floor) (minReplicas)"
        }
        if desired != current { changes.append(Point(at: now, replicas: desired - current)) }
        return ScalingDecision(current: current, recommended: recommended, desired: desired, reading: reading, limitedBy: limitedBy)
    }

    /// How far scaling up (the most replicas) or down (the fewest) may reach now, and what bounds
    /// it: each rate allows a step from the replicas at its period's start (a number, or a
    /// percentage of them rounded up), and `select` takes the rate allowing the most change or
    /// the least.
    private func reach(up: Bool, current: Int, now: Double) -> (Int, String) {
        let rules = up ? policy.scaleUp : policy.scaleDown
        if let why = blocked(rules, direction: up ? "up" : "down", now: now) { return (current, why) }
        let sign = up ? 1 : -1
        // Distances in the direction of the change.
        let distances = (rules.rates ?? []).map { rate in
            let start = current - added(within: rate.periodSeconds, now: now) + removed(within: rate.periodSeconds, now: now)
            let step = rate.kind == .replicas ? rate.value : Int((Double(start) * Double(rate.value) / 100).rounded(.up))
            return sign * (start + sign * step) - sign * current
        }
        let distance = max(0, (rules.select == .min ? distances.min() : distances.max()) ?? 0)
        return (current + sign * distance, "at most " + Self.describe(rules, sign: up ? "+" : "-"))
    }

    /// Why a direction may not change now: disabled, or within its cool-down.
    private func blocked(_ rules: ScalingRules, direction: String, now: Double) -> String? {
        if rules.select == .disabled { return "scaling \(direction) is disabled" }
        if rules.cooldownSeconds > 0, let last = changes.last, now - last.at < rules.cooldownSeconds {
            return "cooling down for \(Self.seconds(rules.cooldownSeconds)) after the last change"
        }
        return nil
    }

    private func added(within period: Double, now: Double) -> Int {
        changes.filter { $0.at > now - period && $0.replicas > 0 }.reduce(0) { $0 + $1.replicas }
    }

    private func removed(within period: Double, now: Double) -> Int {
        changes.filter { $0.at > now - period && $0.replicas < 0 }.reduce(0) { $0 - $1.replicas }
    }

    static func describe(_ rules: ScalingRules, sign: String) -> String {
        let rates = (rules.rates ?? []).map { rate in
            let amount = rate.kind == .replicas ? "\(sign)\(rate.value)" : "\(sign)\(rate.value)%"
            return "\(amount) per \(seconds(rate.periodSeconds))"
        }
        return rates.joined(separator: rules.select == .min ? " and " : " or ")
    }

    static func seconds(_ value: Double) -> String {
        value >= 60 && value.truncatingRemainder(dividingBy: 60) == 0 ? "\(Int(value / 60)) min" : "\(Int(value)) s"
    }
}
