import Foundation
import Placement

/// Several futures side by side: each scenario run on the same seeds, its figures averaged over
/// them, every other one's difference from the first (the base).
public struct Comparison: Sendable, Codable, Equatable {
    public var seeds: [UInt64]
    public var scenarios: [Column]
    /// One row per figure, in the order printed.
    public var rows: [Row]

    /// One scenario's figures over the seeds.
    public struct Column: Sendable, Codable, Equatable {
        public var name: String
        /// Seeds on which every target was met, of `seeds.count`.
        public var seedsMeetingTargets: Int
        /// What the first seed that missed missed, and that seed.
        public var missed: [String]
        public var missedOnSeed: UInt64?
    }

    /// A figure of every scenario, in its unit, and the difference of each from the base; nil
    /// where a scenario has no such figure (a class or tenant it lacks).
    public struct Row: Sendable, Codable, Equatable {
        public var figure: String
        public var unit: String
        public var values: [Double?]
        public var differences: [Double?]
    }

    /// Runs `scenarios` (the first is the base) on `seeds` seeds each, from each scenario's own
    /// seed on. `progress` is told each run as it starts.
    public static func run(
        _ scenarios: [(name: String, input: SimulationInput)], seeds: Int, progress: ((_ scenario: String, _ seed: UInt64) -> Void)? = nil
    ) throws(InputFileError) -> Comparison {
        precondition(!scenarios.isEmpty, "a comparison needs a base")
        let seedList = (0..<UInt64(max(1, seeds))).map { scenarios[0].input.scenario.seed &+ $0 }
        var results: [[SimulationResult]] = []
        for (name, input) in scenarios {
            var runs: [SimulationResult] = []
            for seed in seedList {
                progress?(name, seed)
                var seeded = input
                seeded.scenario.seed = seed
                runs.append(try Simulator(input: seeded).run())
            }
            results.append(runs)
        }
        let columns = zip(scenarios, results).map { scenario, runs in
            Column(
                name: scenario.name, seedsMeetingTargets: runs.count { $0.totals.targetsMet },
                missed: runs.first { !$0.totals.targetsMet }?.missed ?? [], missedOnSeed: runs.first { !$0.totals.targetsMet }?.seed)
        }
        return Comparison(seeds: seedList, scenarios: columns, rows: rows(results))
    }

    /// The figures compared: waits per priority class and tenant, latency violations, requests
    /// left waiting, utilization, energy, green share, cost.
    static func rows(_ results: [[SimulationResult]]) -> [Row] {
        func mean(_ runs: [SimulationResult], _ value: (SimulationResult) -> Double?) -> Double? {
            let values = runs.compactMap(value)
            return values.isEmpty ? nil : values.reduce(0, +) / Double(values.count)
        }
        func p95(_ group: String, _ name: String) -> (SimulationResult) -> Double? {
            { result in result.waits.first { $0.group == group && $0.name == name && $0.count > 0 }?.p95 }
        }
        var figures: [(figure: String, unit: String, value: (SimulationResult) -> Double?)] = []
        let priorities = PriorityClass.allCases.filter { p in results.joined().contains { r in r.waits.contains { $0.group == "priority" && $0.name == p.rawValue && $0.count > 0 } } }
        for priority in priorities { figures.append(("p95 wait, \(priority.rawValue)", "s", p95("priority", priority.rawValue))) }
        let tenants = Set(results.joined().flatMap { $0.waits.filter { $0.group == "tenant" }.map(\.name) }).sorted()
        for tenant in tenants { figures.append(("p95 wait, tenant \(tenant)", "s", p95("tenant", tenant))) }
        figures += [
            ("latency violations", "requests", { Double($0.totals.latencyViolations) }),
            ("waiting at the end", "requests", { Double($0.totals.pendingAtEnd) }),
            ("rejected or expired", "requests", { Double($0.totals.rejected + $0.totals.deadlineExpired) }),
            ("CPU allocated", "share", { $0.totals.meanCPUUtilization }),
            ("GPU allocated", "share", { $0.totals.meanGPUUtilization }),
            ("energy", "kWh", { $0.totals.energyKWh }),
            ("green share of energy", "share", { $0.totals.energyKWh > 0 ? $0.totals.greenEnergyKWh / $0.totals.energyKWh : nil }),
            ("cost", "currency", { $0.totals.cost }),
        ]
        return figures.map { figure in
            let values = results.map { mean($0, figure.value) }
            return Row(figure: figure.figure, unit: figure.unit, values: values, differences: values.map { value in value.flatMap { v in values[0].map { v - $0 } } })
        }
    }

    /// The comparison as CSV: one row per figure, a value and a difference column per scenario.
    public var csv: String {
        var header = ["figure", "unit"]
        for (i, column) in scenarios.enumerated() { header += i == 0 ? [column.name] : [column.name, "\(column.name) - \(scenarios[0].name)"] }
        var lines = [header.map(Self.csvField).joined(separator: ",")]
        for row in rows {
            var fields = [row.figure, row.unit]
            let number = { (value: Double?) in value.map(ReportFiles.number) ?? "" }
            for i in row.values.indices { fields += i == 0 ? [number(row.values[i])] : [number(row.values[i]), number(row.differences[i])] }
            lines.append(fields.map(Self.csvField).joined(separator: ","))
        }
        return lines.joined(separator: "\n") + "\n"
    }

    static func csvField(_ text: String) -> String {
        text.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" }) ? "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : text
    }

    /// A figure in its unit as people read it; a difference of shares is in percentage points.
    public static func text(_ value: Double?, unit: String, difference: Bool = false) -> String {
        guard let value else { return "—" }
        switch unit {
        case "s": return DurationText.text(value)
        case "share": return "\(ReportFiles.number((value * 1_000).rounded() / 10))" + (difference ? " points" : "%")
        case "requests": return ReportFiles.number((value * 10).rounded() / 10)
        default: return ReportFiles.number((value * 100).rounded() / 100) + " " + unit
        }
    }
}
