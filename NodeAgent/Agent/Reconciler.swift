import Foundation
import Logging
import WorkloadDriver

/// Converges what runs on the node (the drivers' view) to what the scheduler assigned (the
/// store), and meters what runs. Every step is idempotent: a pass after a crash, a lost answer
/// or an agent restart adopts what already runs and starts nothing twice. Works the same while
/// the scheduler is unreachable: exited workloads are restarted per their policy.
public actor Reconciler {
    private let store: AgentStore
    private let drivers: [any WorkloadDriver]
    private let now: @Sendable () -> Double
    private let stopGrace: Double
    private let logger: Logger
    /// Called after a pass queued reports, so that they are sent without waiting.
    private let onReport: @Sendable () -> Void

    /// `stopGraceSeconds` is how long a workload asked to stop may take before it is killed
    /// (0 kills at once); `now` gives seconds since the Unix epoch (injected for tests).
    public init(
        store: AgentStore, drivers: [any WorkloadDriver], logger: Logger, stopGraceSeconds: Double = 30,
        now: @escaping @Sendable () -> Double = { Date().timeIntervalSince1970 }, onReport: @escaping @Sendable () -> Void = {}
    ) {
        self.store = store
        self.drivers = drivers
        self.now = now
        stopGrace = stopGraceSeconds
        self.logger = logger
        self.onReport = onReport
    }

    /// One pass: starts what should run, restarts or reports what exited, stops what outlived
    /// its lease, removes what is no longer assigned. A driver that cannot be reached is skipped
    /// until the next pass.
    public func reconcile() throws {
        let time = now()
        var observed: [String: (workload: ObservedWorkload, driver: any WorkloadDriver)] = [:]
        var reachable: [String: Bool] = [:]
        for driver in drivers {
            do {
                for workload in try driver.list() { observed[workload.id] = (workload, driver) }
                reachable[driver.name] = true
            } catch {
                reachable[driver.name] = false
                logger.warning("driver unreachable", metadata: ["driver": "\(driver.name)", "error": "\(error)"])
            }
        }
        let desired = try store.workloads()
        var reported = false
        for workload in desired {
            guard let driver = drivers.first(where: { $0.runs(workload.definition.runtime) }) else {
                switch workload.phase {
                case .finished: continue
                case .stopping: try store.reportRemoved(workload.id, reason: Self.unassigned, at: time)
                case .pending, .running, .replacing:
                    try store.transition(workload.id, to: .finished, report: (.failed, "this node runs no \(Self.runtimeName(workload.definition.runtime)) workloads"), at: time)
                }
                reported = true
                continue
            }
            guard reachable[driver.name] == true else { continue }
            reported = try step(workload, observed[workload.id]?.workload, driver, time) || reported
        }
        // What runs tagged as ours but the store does not know (its data directory was reset).
        let known = Set(desired.map(\.id))
        for (id, (_, driver)) in observed where !known.contains(id) {
            do {
                try driver.remove(id: id)
                try store.reportRemoved(id, reason: Self.unassigned, at: time)
                logger.info("removed", metadata: ["workload": "\(id)", "driver": "\(driver.name)"])
                reported = true
            } catch {
                logger.error("cannot remove", metadata: ["workload": "\(id)", "error": "\(error)"])
            }
        }
        if reported { onReport() }
    }

    /// The reason reported for a workload removed because the scheduler no longer assigns it.
    private static let unassigned = "stopped: no longer assigned to this node"

    /// Moves one workload forward; true when it queued a report.
    private func step(_ workload: LocalWorkload, _ seen: ObservedWorkload?, _ driver: any WorkloadDriver, _ time: Double) throws -> Bool {
        let id = workload.id
        if let end = workload.definition.leaseEndsAt, time >= end, workload.phase != .finished, workload.phase != .stopping {
            // Enforced here too, so that a node cut off from the scheduler releases on time.
            guard try stop(workload, seen, driver, time) else { return false }
            try store.transition(id, to: .finished, report: (.stopped, "stopped: its lease ended at \(Date(timeIntervalSince1970: end).ISO8601Format())"), at: time) {
                $0.stopDeadline = nil
            }
            logger.info("lease ended", metadata: ["workload": "\(id)"])
            return true
        }
        switch workload.phase {
        case .pending:
            guard time >= workload.retryAt else { return false }
            do throws(DriverError) {
                try driver.start(workload.definition)
            } catch where error.kind == .rejected || workload.definition.restart == .never {
                try store.transition(id, to: .finished, report: (.failed, error.message), at: time)
                logger.error("cannot start", metadata: ["workload": "\(id)", "error": "\(error.message)"])
                return true
            } catch {
                try store.transition(id, to: .pending, report: nil, at: time) {
                    $0.restarts += 1
                    $0.retryAt = time + Self.backoff($0.restarts)
                }
                logger.warning("start failed, retrying", metadata: ["workload": "\(id)", "error": "\(error.message)"])
                return false
            }
            // The baseline of its metering, read as it starts: a domain's counters may not start at
            // zero (libvirt's test driver counts from 1970); a unit that has nothing to read yet
            // starts at zero.
            let baseline = ((try? driver.usage(id: id)) ?? nil) ?? UsageCounters(cpuNanoseconds: 0, memoryBytes: 0)
            try store.transition(id, to: .running, report: (.running, "started by \(driver.name)"), at: time) {
                $0.startedAt = time
                $0.sampledAt = time
                $0.counters = baseline
            }
            logger.info("started", metadata: ["workload": "\(id)", "driver": "\(driver.name)"])
            return true
        case .running:
            let exit: (failed: Bool, message: String)
            switch seen?.state {
            case .running, .starting: return false
            case .exited(let failed, let message): exit = (failed, message)
            case nil: exit = (false, "it is gone from \(driver.name)")
            }
            if workload.definition.restart == .always || (workload.definition.restart == .onFailure && exit.failed) {
                // Restarted by the next pass after the back-off; its counters start again.
                try store.transition(id, to: .pending, report: nil, at: time) {
                    $0.restarts += 1
                    $0.retryAt = time + Self.backoff($0.restarts)
                    $0.counters = nil
                }
                logger.warning("exited, restarting", metadata: ["workload": "\(id)", "reason": "\(exit.message)", "policy": "\(workload.definition.restart.rawValue)"])
                return false
            }
            try? driver.remove(id: id)
            try store.transition(id, to: .finished, report: (exit.failed ? .failed : .stopped, exit.message), at: time)
            logger.info("exited", metadata: ["workload": "\(id)", "reason": "\(exit.message)"])
            return true
        case .replacing:
            guard try stop(workload, seen, driver, time) else { return false }
            try store.transition(id, to: .pending, report: nil, at: time) {
                $0.retryAt = 0
                $0.counters = nil
                $0.stopDeadline = nil
            }
            return false
        case .stopping:
            guard try stop(workload, seen, driver, time) else { return false }
            try store.reportRemoved(id, reason: Self.unassigned, at: time)
            logger.info("removed", metadata: ["workload": "\(id)", "driver": "\(driver.name)"])
            return true
        case .finished:
            return false
        }
    }

    /// Ends a workload the agent stops, over as many passes as it takes: metered, then asked to
    /// stop cleanly; removed once it has exited or, still running after the grace period,
    /// metered again and killed. True once it is gone from its runtime.
    private func stop(_ workload: LocalWorkload, _ seen: ObservedWorkload?, _ driver: any WorkloadDriver, _ time: Double) throws -> Bool {
        guard let seen else { return true }
        if case .exited = seen.state {
            try driver.remove(id: workload.id)
            return true
        }
        if let deadline = workload.stopDeadline, time < deadline { return false }
        if workload.startedAt != nil, seen.state == .running { try sample(workload, driver, time) }
        if workload.stopDeadline == nil, stopGrace > 0 {
            do {
                try driver.stop(id: workload.id)
                try store.stopRequested(workload.id, deadline: time + stopGrace)
                logger.info("stopping", metadata: ["workload": "\(workload.id)", "graceSeconds": "\(stopGrace)"])
                return false
            } catch let error as DriverError {
                logger.warning("cannot stop cleanly, killing", metadata: ["workload": "\(workload.id)", "error": "\(error.message)"])
            }
        }
        try driver.remove(id: workload.id)
        return true
    }

    /// Seconds before the n-th start attempt: 1, 2, 4... up to a minute.
    static func backoff(_ attempt: Int) -> Double {
        min(60, pow(2, Double(max(0, attempt - 1))))
    }

    /// Takes one metering sample of every running workload: the usage since its last sample.
    /// CPU and network are measured deltas of the runtime's counters; memory is what is in use now
    /// over the interval; storage and GPUs are what the workload holds. The counters read as the
    /// agent starts a workload are its baseline; a workload with none (adopted without them) or
    /// whose counters went back takes its next reading as the baseline, never as usage: a domain
    /// or unit that ran before has counters from long ago.
    public func meter() throws {
        let time = now()
        // Workloads being stopped are metered too, until they are gone.
        for workload in try store.workloads() where [.running, .replacing, .stopping].contains(workload.phase) {
            guard let driver = drivers.first(where: { $0.runs(workload.definition.runtime) }) else { continue }
            try sample(workload, driver, time)
        }
        onReport()
    }

    /// Appends one sample of `workload`: its usage from its last reading to `time`, or takes this
    /// reading as its baseline. A runtime that cannot be read is logged and skipped (the next
    /// sample covers the interval).
    private func sample(_ workload: LocalWorkload, _ driver: any WorkloadDriver, _ time: Double) throws {
        let counters: UsageCounters
        do {
            guard let read = try driver.usage(id: workload.id) else { return }
            counters = read
        } catch {
            logger.warning("cannot meter", metadata: ["workload": "\(workload.id)", "error": "\(error)"])
            return
        }
        guard let previous = workload.counters, let start = workload.sampledAt,
              counters.cpuNanoseconds >= previous.cpuNanoseconds, counters.networkBytes >= previous.networkBytes
        else {
            if workload.counters != nil { logger.info("counters went back: a new baseline", metadata: ["workload": "\(workload.id)"]) }
            try store.setBaseline(of: workload.id, counters: counters, at: time)
            return
        }
        let hours = (time - start) / 3600
        guard hours > 0 else { return }
        let gpus = workload.definition.gpuMillis.values.reduce(0) { $0 + Double($1) } / 1000
        let usage = SampleUsage(
            cpuCoreHours: Double(counters.cpuNanoseconds - previous.cpuNanoseconds) / 3.6e12,
            memoryGiBHours: Double(counters.memoryBytes) / 1_073_741_824 * hours,
            gpuHours: gpus * hours,
            storageGiBHours: Double(workload.definition.diskGiB) * hours,
            bandwidthMbpsHours: Double(counters.networkBytes - previous.networkBytes) * 8 / 1e6 / 3600)
        try store.appendSample(NewSample(workloadID: workload.id, start: start, end: time, usage: usage), counters: counters)
    }

    static func runtimeName(_ runtime: WorkloadDefinition.Runtime) -> String {
        switch runtime {
        case .virtualMachine: "virtual machine"
        case .service: "service"
        }
    }
}
