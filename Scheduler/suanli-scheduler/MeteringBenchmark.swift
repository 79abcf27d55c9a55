import ArgumentParser
import Foundation
import Logging
import Placement
import SchedulerService
import SchedulerSQLite

/// `suanli-scheduler bench metering`: a city's metering month through the path agents' samples
/// take (`recordAgentSamples`: checked against the allocation, taken once, committed to the
/// ledger with its rollups), then bills read from it, with the process's memory before and after.
///
/// A full month of a 10,000-node city with ten workloads a node, sampled every minute, is 4.3
/// billion samples; the benchmark sends `--minutes-per-day` minutes of them on each of `--days`
/// days, so that the rollups a month's bill reads (a row per request, node and day) are as many
/// as the full month's. Then every agent comes back from a cut with `--backlog-minutes` of
/// samples, the burst the ingest rate is measured on.
struct MeteringBenchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "metering", abstract: "Measure metering ingest, bills and memory over a simulated city month.")

    @Option(help: "Nodes, each with its agent.") var nodes = 10_000
    @Option(help: "Workloads on each node, each sampled once a minute.") var workloadsPerNode = 10
    @Option(help: "Days of the month.") var days = 30
    @Option(help: "Minutes of samples sent on each day (1440 for all of them).") var minutesPerDay = 2
    @Option(help: "Departments the workloads belong to.") var tenants = 50
    @Option(help: "Samples in one agent's report (500: the burst after a reconnect).") var batch = 500
    @Option(help: "Minutes of samples each agent sends when it reconnects after being cut off.") var backlogMinutes = 50
    @Option(help: "Bills of each kind to time.") var bills = 20
    @Flag(help: "Print the figures as one JSON object.") var json = false

    func validate() throws {
        guard nodes > 0, workloadsPerNode > 0, tenants > 0, batch > 0, bills > 0 else { throw ValidationError("every count must be at least 1") }
        guard (1...31).contains(days) else { throw ValidationError("--days: between 1 and 31, got \(days)") }
        guard (1...720).contains(minutesPerDay) else { throw ValidationError("--minutes-per-day: between 1 and 720, got \(minutesPerDay)") }
        guard (1...720).contains(backlogMinutes) else { throw ValidationError("--backlog-minutes: between 1 and 720, got \(backlogMinutes)") }
    }

    func run() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("suanli-bench-metering-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        var logger = Logger(label: "suanli.bench")
        logger.logLevel = .error
        let store = try SQLiteStore(path: directory.appendingPathComponent("suanli.sqlite").path)
        let scheduler = try Scheduler(store: store, logger: logger)
        let admin = Principal(user: "admin", role: .admin)
        let tenantIDs = (0..<tenants).map { String(format: "dept-%03d", $0) }
        for tenant in tenantIDs { _ = try scheduler.createTenant(id: tenant, name: nil, by: admin) }
        let nodeIDs = (0..<nodes).map { String(format: "n%05d", $0) }
        for id in nodeIDs {
            _ = try scheduler.registerNode(
                Node(id: id, nodeClass: .general, site: "s\(id.hashValue & 7)", capacity: Resources(cpuMillis: 64_000, memoryMiB: 262_144)),
                awaitingAgent: false, by: admin)
        }
        // One request a workload, one core and 2 GiB each, placed by the scheduler.
        let workloads = nodes * workloadsPerNode
        let specs = (0..<workloads).map { i in RequestSpec(id: "w\(i)", tenant: tenantIDs[i % tenants], cpu: 1, memoryMiB: 2048) }
        for chunk in stride(from: 0, to: specs.count, by: 1_000) {
            _ = try scheduler.submit(Array(specs[chunk..<min(chunk + 1_000, specs.count)]), batch: true, by: admin)
            _ = scheduler.placePending()
        }
        while scheduler.placePending() > 0 {}
        var placedOn: [String: [String]] = [:]
        for status in try scheduler.requests(RequestQuery(limit: workloads), by: admin) {
            guard let node = status.record.allocation?.replicas.first?.nodeID else { continue }
            placedOn[node, default: []].append(status.record.id)
        }
        let rssBefore = Self.residentMiB()

        // The month: each agent's samples of day d at its first minutes, reported `batch` at a time.
        let month = try CalendarMonth.range(of: "2026-11").from
        var sequences: [String: UInt64] = [:]
        func send(minutes: [Double]) throws -> (samples: Int, seconds: Double) {
            var sent = 0
            let started = ContinuousClock.now
            for node in nodeIDs {
                let requests = placedOn[node] ?? []
                var pending: [AgentSample] = []
                func report() throws {
                    guard !pending.isEmpty else { return }
                    _ = try scheduler.recordAgentSamples(pending, node: node)
                    sent += pending.count
                    pending.removeAll(keepingCapacity: true)
                }
                for start in minutes {
                    for request in requests {
                        let sequence = sequences[node, default: 0] + 1
                        sequences[node] = sequence
                        pending.append(AgentSample(
                            sequence: sequence, workloadID: "\(request)/0", start: start, end: start + 60,
                            amounts: UsageAmounts(cpuCoreHours: 0.5 / 60, memoryGiBHours: 1.5 / 60)))
                        if pending.count == batch { try report() }
                    }
                }
                try report()
            }
            return (sent, (ContinuousClock.now - started).seconds)
        }
        var monthMinutes: [Double] = []
        for day in 0..<days {
            for minute in 0..<minutesPerDay { monthMinutes.append(month + Double(day) * 86_400 + Double(minute) * 60) }
        }
        let filled = try send(minutes: monthMinutes)
        // Then every agent reconnects with a backlog: its minutes since it was cut off, in order.
        let cutOff = month + Double(days - 1) * 86_400 + 12 * 3_600
        let burst = try send(minutes: (0..<backlogMinutes).map { cutOff + Double($0) * 60 })

        // Bills for the month: one department's, then every department's.
        let monthEnd = try CalendarMonth.range(of: "2026-11").to
        func timed(_ body: () throws -> Void) rethrows -> [Double] {
            try (0..<bills).map { _ in
                let began = ContinuousClock.now
                try body()
                return (ContinuousClock.now - began).seconds * 1000
            }.sorted()
        }
        var checked = 0.0
        let oneTenant = try timed {
            let bill = try scheduler.bills(from: month, to: monthEnd, tenant: tenantIDs[Int.random(in: 0..<tenants)], by: admin)
            checked = bill[0].used.usage.cpuCoreHours
        }
        let allTenants = try timed { _ = try scheduler.bills(from: month, to: monthEnd, tenant: nil, by: admin) }
        let rssAfter = Self.residentMiB()
        // Each department's month: its workloads, half a core for every minute sent.
        let expected = Double(workloads / tenants) * Double(days * minutesPerDay + backlogMinutes) * 0.5 / 60
        guard abs(checked - expected) <= 1e-6 * expected else {
            throw ValidationError("a department's bill shows \(checked) core-hours used, not the \(expected) sent")
        }
        func p99(_ sorted: [Double]) -> Double { sorted[min(sorted.count - 1, Int(Double(sorted.count) * 0.99))] }
        let figures: [String: Any] = [
            "nodes": nodes, "workloads": workloads, "tenants": tenants, "days": days, "minutes_per_day": minutesPerDay, "batch": batch,
            "month_samples": filled.samples, "month_samples_per_second": (Double(filled.samples) / filled.seconds).rounded(),
            "backlog_minutes": backlogMinutes, "burst_samples": burst.samples, "samples_per_second": (Double(burst.samples) / burst.seconds).rounded(),
            "tenant_bill_p50_ms": oneTenant[oneTenant.count / 2], "tenant_bill_p99_ms": p99(oneTenant),
            "all_bills_p50_ms": allTenants[allTenants.count / 2], "all_bills_p99_ms": p99(allTenants),
            "rss_before_mib": rssBefore, "rss_after_mib": rssAfter,
        ]
        if json {
            print(String(decoding: try JSONSerialization.data(withJSONObject: figures, options: [.sortedKeys]), as: UTF8.self))
        } else {
            print("\(workloads) workloads on \(nodes) nodes of \(tenants) departments; reports of \(batch) samples")
            print(String(format: "the month (%d min on each of %d days): %d samples at %.0f samples/s", minutesPerDay, days, filled.samples, Double(filled.samples) / filled.seconds))
            print(String(format: "every agent back with %d min of backlog: %d samples at %.0f samples/s", backlogMinutes, burst.samples, Double(burst.samples) / burst.seconds))
            print(String(format: "one department's month bill: p50 %.1f ms, p99 %.1f ms; all %d departments': p50 %.1f ms, p99 %.1f ms",
                         oneTenant[oneTenant.count / 2], p99(oneTenant), tenants, allTenants[allTenants.count / 2], p99(allTenants)))
            print("resident memory: \(rssBefore) MiB before the samples, \(rssAfter) MiB after")
        }
    }

    /// The process's resident memory (VmRSS), in MiB.
    static func residentMiB() -> Int {
        guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
              let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmRSS:") }),
              let kib = Int(line.split(separator: " ").dropFirst().first ?? "")
        else { return 0 }
        return kib / 1024
    }
}

/// `suanli-scheduler bench`: the benchmarks.
struct Benchmarks: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench", abstract: "Measure the scheduler: API submissions (default), metering or search.",
        subcommands: [SubmitBenchmark.self, MeteringBenchmark.self, SearchBenchmark.self], defaultSubcommand: SubmitBenchmark.self)
}
