import ArgumentParser
import Foundation
import Simulation

struct Capacity: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "How many nodes each class needs so that every priority class's p95 queue wait meets its target and no latency bound is violated.",
        discussion: """
            Searches over the scenario's pool sizes, running the whole simulation for each candidate: first \
            every pool scaled together (doubling) until the targets are met, then the fewest nodes per class \
            by binary search, class after class. Needs wait_targets in the scenario.
            """)

    @Argument(help: "The scenario file (.json, .yaml or .yml).")
    var scenario: String

    @Option(help: "Override the scenario's seed.")
    var seed: UInt64?

    @Option(help: "Override the scenario's policy.")
    var policy: String?

    @Option(help: "Largest factor the pools are scaled by before giving up.")
    var maxFactor = 16.0

    @Option(help: "Directory to write the report files of the answer's run to.")
    var output: String?

    @Flag(help: "Print one JSON object.")
    var json = false

    func validate() throws {
        guard maxFactor >= 1 else { throw ValidationError("--max-factor must be at least 1") }
    }

    func run() throws {
        let input = try ScenarioLoading.input(scenario, seed: seed, policy: policy)
        let interactive = isatty(FileHandle.standardError.fileDescriptor) == 1
        let answer = try ScenarioLoading.surface { () throws(InputFileError) in
            try CapacitySearch(input: input, maxFactor: maxFactor).run { runs, counts in
                if interactive { FileHandle.standardError.write(Data("\rsearching: run \(runs), \(counts.reduce(0, +)) nodes   ".utf8)) }
            }
        }
        if interactive { FileHandle.standardError.write(Data("\n".utf8)) }
        if let output { try ReportFiles.write(answer.result, to: output) }
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            print(String(decoding: try encoder.encode(answer), as: UTF8.self))
            return
        }
        print(answer.found ? "Fewest nodes meeting every target (\(answer.runs) simulations):" : "No size up to \(maxFactor)x meets the targets (\(answer.runs) simulations); the largest tried:")
        print("class      now   needed   change")
        for c in answer.classes {
            print(c.nodeClass.padding(toLength: 8, withPad: " ", startingAt: 0) + String(format: "%6d %8d %+8d", c.current, c.needed, c.change))
        }
        print("\npools: " + answer.pools.keys.sorted().map { "\($0)=\(answer.pools[$0]!)" }.joined(separator: " "))
        print("\nAt that size:")
        print(RunSummary(result: answer.result, wallSeconds: 0).table.split(separator: "\n", omittingEmptySubsequences: false).dropFirst(2).joined(separator: "\n"))
    }
}
