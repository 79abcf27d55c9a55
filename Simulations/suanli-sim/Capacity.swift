import ArgumentParser
import Foundation
import Simulation

struct Capacity: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "How many nodes each class needs so that every target is met on several seeds, and which target binds each class.",
        discussion: """
            Searches over the scenario's pool sizes, running the whole simulation for each candidate on every \
            seed: first every pool scaled together (doubling) until the targets are met, then the fewest nodes \
            per class by binary search, class after class, then one node fewer of each class to name the \
            target that binds it. Every request counts: p95 waits per priority class, requests still waiting \
            past their target at the end, queue deadlines, rejections, latency bounds, autoscaled services' \
            unserved calls. Needs wait_targets in the scenario.
            """)

    @Argument(help: "The scenario file (.json, .yaml or .yml).")
    var scenario: String

    @Option(help: "Override the scenario's seed.")
    var seed: UInt64?

    @Option(help: "Override the scenario's policy.")
    var policy: String?

    @Option(help: "Largest factor the pools are scaled by before giving up.")
    var maxFactor = 16.0

    @Option(help: "Seeds every size is run on (the scenario's and the ones after it); a size meets the targets only on all of them.")
    var seeds = 3

    @Option(name: .customLong("demand"), help: "SELECTOR=FACTOR: size for this demand instead (a generator or service name, a workload kind, or all); repeat to combine.")
    var demands: [String] = []

    @Option(help: "Directory to write capacity.json, capacity.csv (per pool: nodes now and needed, price) and the report files of the answer's run to.")
    var output: String?

    @Flag(help: "Print one JSON object.")
    var json = false

    func validate() throws {
        guard maxFactor >= 1 else { throw ValidationError("--max-factor must be at least 1") }
        guard (1...100).contains(seeds) else { throw ValidationError("--seeds must be between 1 and 100, got \(seeds)") }
        for demand in demands { if case .failure(let error) = DemandOverlay.parse(demand) { throw ValidationError("--demand: \(error.message)") } }
    }

    /// The answer per pool as CSV, for a spreadsheet or a budget request.
    static func csv(_ answer: CapacitySearch.Answer, now: [Int]) -> String {
        var lines = ["pool,class,site,nodes_now,nodes_needed,price_per_node_hour,monthly_cost"]
        for (cost, current) in zip(answer.costs, now) {
            lines.append([cost.pool, cost.nodeClass, cost.site, "\(current)", "\(cost.nodes)", String(format: "%.4f", cost.hourlyPerNode), String(format: "%.2f", cost.monthly)].joined(separator: ","))
        }
        return lines.joined(separator: "\n") + "\n"
    }

    func run() throws {
        var input = try ScenarioLoading.input(scenario, seed: seed, policy: policy)
        for demand in demands {
            guard case .success(let overlay) = DemandOverlay.parse(demand) else { continue }
            do { input.scenario = try input.scenario.applying(overlay) } catch { throw ValidationError("--demand: \(error.message)") }
        }
        try ScenarioLoading.prepareOutput(output)
        let interactive = isatty(FileHandle.standardError.fileDescriptor) == 1
        let answer = try ScenarioLoading.surface { () throws(InputFileError) in
            try CapacitySearch(input: input, maxFactor: maxFactor, seeds: seeds).run { runs, counts in
                if interactive { FileHandle.standardError.write(Data("\rsearching: run \(runs), \(counts.reduce(0, +)) nodes   ".utf8)) }
            }
        }
        if interactive { FileHandle.standardError.write(Data("\n".utf8)) }
        if let output {
            try ReportFiles.write(answer.result, to: output)
            let directory = URL(fileURLWithPath: output)
            try Data(try ReportFiles.json(answer).utf8).write(to: directory.appendingPathComponent("capacity.json"))
            try Data(Self.csv(answer, now: input.poolCounts).utf8).write(to: directory.appendingPathComponent("capacity.csv"))
        }
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            print(String(decoding: try encoder.encode(answer), as: UTF8.self))
            return
        }
        let seedList = answer.seeds.map(String.init).joined(separator: ", ")
        if answer.found {
            print("Fewest nodes meeting every target on seeds \(seedList) (\(answer.runs) simulations):")
        } else {
            print("No size up to \(maxFactor)x meets every target on seeds \(seedList); even the largest missed:")
            for miss in answer.unreachable { print("  \(miss)") }
            print("Fewest nodes that miss no more than that (\(answer.runs) simulations):")
        }
        print("class      now   needed   change")
        for c in answer.classes {
            print(c.nodeClass.padding(toLength: 8, withPad: " ", startingAt: 0) + String(format: "%6d %8d %+8d", c.current, c.needed, c.change))
        }
        print("\nWhat binds each class (one node fewer misses):")
        for c in answer.classes {
            let binding = c.binding.isEmpty ? ["nothing: none of its nodes is needed"] : c.binding
            print("  \(c.nodeClass): " + binding.joined(separator: "; "))
        }
        print("\np95 wait over the seeds:")
        for w in answer.spread {
            let target = w.target.map { ", target \(DurationText.text($0))" } ?? ""
            print("  \(w.priority): \(DurationText.text(w.lowestP95)) to \(DurationText.text(w.highestP95))\(target)")
        }
        print("\npool               class    site          nodes   per node-hour      a month (730 h)")
        for cost in answer.costs {
            print(
                cost.pool.padding(toLength: 18, withPad: " ", startingAt: 0) + " " + cost.nodeClass.padding(toLength: 8, withPad: " ", startingAt: 0) + " "
                    + cost.site.padding(toLength: 12, withPad: " ", startingAt: 0) + String(format: "%7d %15.2f %20.2f", cost.nodes, cost.hourlyPerNode, cost.monthly))
        }
        let result = answer.result.totals
        print("all".padding(toLength: 40, withPad: " ", startingAt: 0)
            + String(format: "%7d %36.2f", answer.costs.reduce(0) { $0 + $1.nodes }, answer.costs.reduce(0) { $0 + $1.monthly }))
        print(String(format: "energy in the run: %.0f kWh, %.1f%% green", result.energyKWh, result.energyKWh > 0 ? result.greenEnergyKWh / result.energyKWh * 100 : 0))
        print("\nAt that size:")
        print(RunSummary(result: answer.result, wallSeconds: 0).table.split(separator: "\n", omittingEmptySubsequences: false).dropFirst(2).joined(separator: "\n"))
    }
}
