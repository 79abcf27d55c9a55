import ArgumentParser
import Foundation
import Simulation

struct Compare: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run several futures on the same seeds and print their differences from the first.",
        discussion: """
            The first scenario is the base; every other file is a variant, and --demand makes one more \
            variant of the base with the arrival rates (and services' calls) it names scaled. Each runs on \
            the same seeds; the figures are means over them: p95 waits per priority class and tenant, \
            latency violations, requests left waiting, rejected or expired, CPU and GPU allocated, energy, \
            green share and cost, each variant's difference from the base beside it.
            """)

    @Argument(help: "The base scenario, then variants (.json, .yaml or .yml).")
    var scenarios: [String]

    @Option(name: .customLong("demand"), help: "SELECTOR=FACTOR: a variant of the base with this demand scaled (a generator or service name, a workload kind, or all); repeat to combine.")
    var demands: [String] = []

    @Option(help: "Seeds each scenario runs on (the base's seed and the ones after it).")
    var seeds = 3

    @Option(help: "Directory to write compare.csv and compare.json to.")
    var output: String?

    @Flag(help: "Print one JSON object.")
    var json = false

    func validate() throws {
        guard !scenarios.isEmpty else { throw ValidationError("name the base scenario") }
        guard scenarios.count > 1 || !demands.isEmpty else { throw ValidationError("name a variant scenario or give --demand SELECTOR=FACTOR") }
        guard (1...100).contains(seeds) else { throw ValidationError("--seeds must be between 1 and 100, got \(seeds)") }
        for demand in demands { if case .failure(let error) = DemandOverlay.parse(demand) { throw ValidationError("--demand: \(error.message)") } }
    }

    func run() throws {
        var inputs: [(name: String, input: SimulationInput)] = []
        for path in scenarios { inputs.append((URL(fileURLWithPath: path).deletingPathExtension().lastPathComponent, try ScenarioLoading.input(path, seed: nil, policy: nil))) }
        if !demands.isEmpty {
            var scenario = inputs[0].input.scenario
            for demand in demands {
                guard case .success(let overlay) = DemandOverlay.parse(demand) else { continue }
                do { scenario = try scenario.applying(overlay) } catch { throw ValidationError("--demand: \(error.message)") }
            }
            let name = "\(inputs[0].name) with " + demands.joined(separator: ", ")
            inputs.append((name, try ScenarioLoading.surface { () throws(InputFileError) in try SimulationInput(scenario: scenario) }))
        }
        try ScenarioLoading.prepareOutput(output)
        let interactive = isatty(FileHandle.standardError.fileDescriptor) == 1
        let comparison = try ScenarioLoading.surface { () throws(InputFileError) in
            try Comparison.run(inputs, seeds: seeds) { name, seed in
                if interactive { FileHandle.standardError.write(Data("\rrunning \(name), seed \(seed)          ".utf8)) }
            }
        }
        if interactive { FileHandle.standardError.write(Data("\n".utf8)) }
        if let output {
            try FileManager.default.createDirectory(atPath: output, withIntermediateDirectories: true)
            try Data(comparison.csv.utf8).write(to: URL(fileURLWithPath: output).appendingPathComponent("compare.csv"))
            try Data(try ReportFiles.json(comparison).utf8).write(to: URL(fileURLWithPath: output).appendingPathComponent("compare.json"))
        }
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            print(String(decoding: try encoder.encode(comparison), as: UTF8.self))
            return
        }
        print(Self.table(comparison))
    }

    /// The comparison for a terminal: a column per scenario, each variant's difference in brackets.
    static func table(_ comparison: Comparison) -> String {
        let seedList = comparison.seeds.map(String.init).joined(separator: ", ")
        var lines = comparison.scenarios.enumerated().map { i, column in
            "\(i == 0 ? "base   " : "variant") \(column.name): targets met on \(column.seedsMeetingTargets) of \(comparison.seeds.count) seeds"
                + (column.missed.isEmpty ? "" : " (missed on seed \(column.missedOnSeed.map(String.init) ?? "?"): " + column.missed.joined(separator: "; ") + ")")
        }
        lines.append("\nmeans over seeds \(seedList)")
        let width = 32
        for row in comparison.rows {
            var line = row.figure.padding(toLength: width, withPad: " ", startingAt: 0)
            for i in row.values.indices {
                var cell = Comparison.text(row.values[i], unit: row.unit)
                if i > 0, let difference = row.differences[i] {
                    cell += " (" + (difference > 0 ? "+" : "") + Comparison.text(difference, unit: row.unit, difference: true) + ")"
                }
                line += String(repeating: " ", count: max(1, 24 - cell.count)) + cell
            }
            lines.append(line)
        }
        return lines.joined(separator: "\n")
    }
}
