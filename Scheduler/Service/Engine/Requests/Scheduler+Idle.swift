import Placement

/// What new metering samples say about idleness: requests that went idle (since when), and
/// requests active again (their notice withdrawn).
struct IdleObservations: Sendable {
    var idleSince: [String: Double] = [:]
    var active: [RequestRecord] = []

    func apply(to s: inout EngineState) {
        for (id, since) in idleSince { s.open.updateRuntime(of: id) { $0.idleSince = $0.idleSince ?? since } }
        for record in active {
            s.open[record.id] = record
            s.open.updateRuntime(of: record.id) { runtime in
                runtime.idleSince = nil
                runtime.idleNoticeAt = nil
            }
        }
    }
}

extension Scheduler {
    /// Reads new samples of running requests: a replica using under `threshold` of its CPU
    /// allocation over a sample is idle from the sample's start; one above it makes the request
    /// active again, withdrawing a notice. Autoscaled requests are left to their policy, which
    /// gives back idle replicas down to the minimum their owner asked for.
    static func idleObservations(_ samples: [MeteringSample], in s: borrowing EngineState, threshold: Double, into batch: inout StoreBatch) -> IdleObservations {
        var observations = IdleObservations()
        var active: [String: RequestRecord] = [:]
        for sample in samples.sorted(by: { $0.start < $1.start }) where sample.end > sample.start {
            guard let record = s.open[sample.requestID], record.phase == .running, record.spec.resources.cpuMillis > 0, record.spec.scaling == nil else { continue }
            let usedCores = sample.amounts.cpuCoreHours * 3600 / (sample.end - sample.start)
            let allocatedCores = Double(record.spec.resources.cpuMillis) / 1000
            if usedCores < threshold * allocatedCores {
                if active[record.id] == nil { observations.idleSince[record.id] = min(observations.idleSince[record.id] ?? sample.start, sample.start) }
            } else if active[record.id] == nil {
                observations.idleSince[record.id] = nil
                var record = record
                if record.lifecycle.idleNoticeSent {
                    try? transition(&record, .activity, at: sample.end, by: "agent/\(sample.node)", into: &batch)
                    batch.requests.append(record)
                }
                active[record.id] = record
            }
        }
        observations.active = active.values.sorted { $0.id < $1.id }
        return observations
    }

    /// Sends notices to requests idle for the policy's period and reclaims those still idle when
    /// the notice runs out, for tenants whose policy reclaims. Runs in the applier's pass.
    func reclaimIdle(at now: Double, in s: inout EngineState, into batch: inout StoreBatch) {
        let policy = config.idle
        for id in s.open.idle.sorted() {
            guard let record = s.open[id], let since = s.open.runtime(of: id)?.idleSince else { continue }
            guard record.phase == .running else {
                s.open.updateRuntime(of: id) { $0.idleSince = nil }
                continue
            }
            guard s.directory.tenants[record.tenant]?.reclaimIdle ?? policy.reclaimByDefault else { continue }
            if !record.lifecycle.idleNoticeSent {
                guard now - since >= policy.idleSeconds else { continue }
                endInPass(record, .idleDetected, action: "request.idle-notice", at: now, in: &s, into: &batch)
                s.open.updateRuntime(of: id) { $0.idleNoticeAt = now }
            } else {
                // A notice restored from the store starts its period again.
                let noticed = s.open.runtime(of: id)?.idleNoticeAt ?? now
                s.open.updateRuntime(of: id) { $0.idleNoticeAt = noticed }
                guard now - noticed >= policy.noticeSeconds else { continue }
                endInPass(record, .noticeElapsed, action: "request.reclaim", at: now, in: &s, into: &batch)
            }
        }
    }
}
