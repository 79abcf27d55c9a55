import Placement

/// What an autoscaled request's policy decides on: its autoscaler, the CPU its replicas used (from
/// the agents' samples) and its calls counter (from the workload). Runtime facts: a restart
/// forgets them, and the autoscaler starts again with a whole window before scaling in.
struct ScalingMetrics: Sendable, Hashable {
    /// Created at the first evaluation.
    var autoscaler: Autoscaler?
    /// Core-seconds used and held, per sample.
    var cpu: [CPUUse] = []
    /// The counter's readings, oldest first; a smaller total than the one before starts again.
    var calls: [CallCount] = []
    /// The last note the request's history got about waiting or being held, not to repeat it.
    var lastNote: String?

    struct CPUUse: Sendable, Hashable {
        var end: Double
        var usedCoreSeconds: Double
        var heldCoreSeconds: Double
    }

    struct CallCount: Sendable, Hashable {
        var at: Double
        var total: Double
    }

    /// Takes a sample of one replica's use over `[start, end)`; one of a request holding
    /// `coresPerReplica` cores.
    mutating func add(_ sample: MeteringSample, coresPerReplica: Double) {
        let seconds = sample.end - sample.start
        guard seconds > 0, coresPerReplica > 0 else { return }
        cpu.append(CPUUse(end: sample.end, usedCoreSeconds: sample.amounts.cpuCoreHours * 3600, heldCoreSeconds: coresPerReplica * seconds))
    }

    /// Takes a reading of the calls counter at `now`.
    mutating func add(calls total: Double, at now: Double) {
        if let last = calls.last, total < last.total { calls.removeAll() }
        calls.append(CallCount(at: now, total: total))
    }

    /// Forgets readings older than `window` before `now`.
    mutating func prune(window: Double, now: Double) {
        cpu.removeAll { $0.end < now - window }
        calls.removeAll { $0.at < now - window }
    }

    /// The shortest span of counter readings a rate is taken over: readings a moment apart say
    /// more about the gateway's timing than about the load.
    static let shortestCallSpan = 1.0

    /// The metric of `target` over the window before `now`, averaged over the `running`
    /// replicas; nil without enough readings in the window.
    func reading(of target: ScalingTarget, window: Double, running: Int, now: Double) -> ScalingReading? {
        guard running > 0 else { return nil }
        switch target {
        case .cpuUtilization:
            let inside = cpu.filter { $0.end >= now - window }
            let held = inside.reduce(0) { $0 + $1.heldCoreSeconds }
            guard held > 0 else { return nil }
            return ScalingReading(value: inside.reduce(0) { $0 + $1.usedCoreSeconds } / held, replicas: running)
        case .callsPerSecond:
            let inside = calls.filter { $0.at >= now - window }
            guard let first = inside.first, let last = inside.last, last.at - first.at >= Self.shortestCallSpan else { return nil }
            let perSecond = (last.total - first.total) / (last.at - first.at)
            return ScalingReading(value: perSecond / Double(running), replicas: running)
        }
    }
}
