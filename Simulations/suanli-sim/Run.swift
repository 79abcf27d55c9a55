import ArgumentParser
import Foundation
import Simulation

struct Run: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Simulate a scenario (JSON or YAML) through the production placement core.",
        discussion: """
            A virtual clock drives arrivals (synthetic generators and traces), departures, lease ends, queue \
            deadlines, node failures, maintenance windows and preemptions. Prints a summary; --output writes \
            summary.json, timeseries.json, timeseries.csv, waits.csv and report.html (same scenario and seed, \
            same files). The scenario format is described in the README.
            """)

    @Argument(help: "The scenario file (.json, .yaml or .yml).")
    var scenario: String

    @Option(help: "Override the scenario's seed.")
    var seed: UInt64?

    @Option(help: "Override the scenario's policy: a policy name or scorer weights.")
    var policy: String?

    @Option(help: "Directory to write the report files to.")
    var output: String?

    @Flag(help: "Print the totals as one JSON object (with wall_seconds) instead of the summary table.")
    var json = false

    @Option(help: "Write every decision of the scheduling passes to this CSV file (time,request,outcome,nodes,preempted,reason).")
    var decisions: String?

    func run() throws {
        let input = try ScenarioLoading.input(scenario, seed: seed, policy: policy)
        try ScenarioLoading.prepareOutput(output)
        let clock = ContinuousClock()
        let start = clock.now
        let bar = ProgressBar(label: "simulating")
        let progress = bar.map { bar in { bar.update($0) } }
        let simulator = Simulator(input: input)
        let result: SimulationResult
        if let decisions {
            let (logged, decisionLog) = try ScenarioLoading.surface { () throws(InputFileError) in try simulator.runLoggingDecisions(progress: progress) }
            result = logged
            do { try decisionLog.csv.write(toFile: decisions, atomically: true, encoding: String.Encoding.utf8) } catch {
                throw ValidationError("cannot write \(decisions): \(error.localizedDescription)")
            }
        } else {
            result = try ScenarioLoading.surface { () throws(InputFileError) in try simulator.runComparingFixedReplicas(progress: progress) }
        }
        bar?.finish()
        let wall = (clock.now - start).seconds
        if let output { try ReportFiles.write(result, to: output) }
        if json {
            print(try RunSummary(result: result, wallSeconds: wall).jsonLine())
        } else {
            print(RunSummary(result: result, wallSeconds: wall).table)
            if let output { print("report: \(output)/report.html") }
        }
    }
}

/// Reading a scenario for a command: overrides applied, errors shown as file:line: field: message.
enum ScenarioLoading {
    static func input(_ path: String, seed: UInt64?, policy: String?) throws -> SimulationInput {
        try surface { () throws(InputFileError) in
            var scenario = try Scenario.load(file: path)
            if let seed { scenario.seed = seed }
            if let policy { scenario.policy = policy }
            let input = try SimulationInput(scenario: scenario)
            for note in input.notes { FileHandle.standardError.write(Data("note: \(note)\n".utf8)) }
            return input
        }
    }

    /// Makes the `--output` directory before a run, so that a path it cannot write stops the
    /// command at once rather than after the run.
    static func prepareOutput(_ path: String?) throws {
        guard let path else { return }
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), !isDirectory.boolValue {
            throw ValidationError("--output \(path): a file is there; name a directory")
        }
        do { try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true) } catch {
            throw ValidationError("--output \(path): cannot make the directory (\(error.localizedDescription))")
        }
    }

    /// Runs `body`, turning an input error into a command-line error with its location.
    static func surface<T>(_ body: () throws(InputFileError) -> T) throws -> T {
        do {
            return try body()
        } catch {
            throw ValidationError(error.description)
        }
    }
}

/// The run's totals on the terminal or as one JSON line.
struct RunSummary: Encodable {
    var scenario: String
    var policy: String
    var seed: UInt64
    var nodes: Int
    var totals: SimulationResult.Totals
    var wallSeconds: Double
    var waits: [SimulationResult.WaitStats]
    var services: SimulationResult.ServiceTotals?
    var missed: [String]

    init(result: SimulationResult, wallSeconds: Double) {
        scenario = result.scenario
        policy = result.policy
        seed = result.seed
        nodes = result.nodes.values.reduce(0, +)
        totals = result.totals
        self.wallSeconds = wallSeconds
        waits = result.waits
        services = result.services
        missed = result.missed
    }

    enum CodingKeys: String, CodingKey {
        case scenario, policy, seed, nodes, waits, services, missed
        case wallSeconds = "wall_seconds"
    }

    /// Totals flattened beside the run's identity, so `events`, `placed` and `wall_seconds` are top-level keys.
    func encode(to encoder: any Encoder) throws {
        try totals.encode(to: encoder)
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(scenario, forKey: .scenario)
        try c.encode(policy, forKey: .policy)
        try c.encode(seed, forKey: .seed)
        try c.encode(nodes, forKey: .nodes)
        try c.encode(wallSeconds, forKey: .wallSeconds)
        try c.encode(waits, forKey: .waits)
        try c.encodeIfPresent(services, forKey: .services)
        try c.encode(missed, forKey: .missed)
    }

    func jsonLine() throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return String(decoding: try encoder.encode(self), as: UTF8.self)
    }

    var table: String {
        let t = totals
        var lines = [
            "scenario \(scenario), policy \(policy), seed \(seed), \(nodes) nodes, \(String(format: "%.1f", t.simulatedSeconds / 3_600)) simulated hours in \(String(format: "%.2f", wallSeconds)) s",
            "",
            "events        \(t.events)",
            "arrivals      \(t.arrivals)",
            "placed        \(t.placed) (+\(t.replaced) placed again after preemption, failure or maintenance)",
            "completed     \(t.completed), lease expired \(t.leaseExpired), queue deadline expired \(t.deadlineExpired), rejected \(t.rejected)",
            "preemptions   \(t.preemptions); node failures \(t.nodeFailures) (interrupting \(t.interruptedByFailure)); evicted for maintenance \(t.evictedForMaintenance)",
            "at the end    \(t.runningAtEnd) running, \(t.pendingAtEnd) pending",
            "latency       \(t.latencyBound) latency-bound requests, \(t.latencyViolations) violations",
            "allocated     CPU \(String(format: "%.1f%%", t.meanCPUUtilization * 100)), GPU \(String(format: "%.1f%%", t.meanGPUUtilization * 100)) (mean of samples)",
            "energy        \(String(format: "%.0f", t.energyKWh)) kWh (\(String(format: "%.0f", t.greenEnergyKWh)) kWh green), cost \(String(format: "%.2f", t.cost))",
            "",
            "queue wait       requests        p50        p95        p99        max   p95 target",
        ]
        func right(_ text: String, _ width: Int) -> String { String(repeating: " ", count: max(0, width - text.count)) + text }
        for w in waits where w.group == "priority" {
            let target = w.target.map { right(DurationText.text($0), 12) + (w.met == false ? " MISSED" : "") } ?? ""
            lines.append(
                w.name.padding(toLength: 16, withPad: " ", startingAt: 0) + right("\(w.count)", 9)
                    + [w.p50, w.p95, w.p99, w.max].map { right(DurationText.text($0), 11) }.joined() + target)
        }
        if let services {
            lines.append("")
            lines.append("service          replicas (min-max)   peak   mean   replica-h  scalings  overloaded  unserved")
            for s in services.services {
                let range = s.autoscaled ? "\(s.minReplicas)-\(s.maxReplicas)" : "fixed \(s.maxReplicas)"
                func right(_ text: String, _ width: Int) -> String { String(repeating: " ", count: max(0, width - text.count)) + text }
                lines.append(
                    s.name.padding(toLength: 16, withPad: " ", startingAt: 0) + right(range, 20)
                        + String(format: " %6d %6.1f %11.1f %9d", s.peakReplicas, s.meanReplicas, s.replicaHours, s.scalings)
                        + right(DurationText.text(s.overloadedSeconds), 12) + String(format: " %8.2f%%", s.unservedShare * 100) + (s.met == false ? " MISSED" : ""))
            }
            lines.append(String(format: "node-hours       %.1f (nodes holding any allocation)", services.nodeHours))
            if let fixed = services.fixedAtMax {
                lines.append(String(
                    format: "at max_replicas %.1f node-hours, %.1f replica-hours, targets met ", fixed.nodeHours, fixed.replicaHours)
                    + (fixed.targetsMet ? "yes" : "no (not a fair comparison)")
                    + (fixed.saving >= 0 ? String(format: ": autoscaling saves %.1f%% of node-hours", fixed.saving * 100)
                        : String(format: ": autoscaling takes %.1f%% more node-hours", -fixed.saving * 100)))
            }
        }
        lines.append("")
        lines.append("targets met: \(t.targetsMet ? "yes" : "no")")
        for miss in missed { lines.append("  missed: \(miss)") }
        return lines.joined(separator: "\n")
    }
}
