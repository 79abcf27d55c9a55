import ArgumentParser
import Foundation
import Placement
import Simulation

struct Pack: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Pack bin packing instances (BPPLIB .txt, vector packing .vbp) onto as few bins as the consolidation planner finds.",
        discussion: """
            Prints per instance the bins used, the lower bound (Martello and Toth's L2 per dimension) and the \
            time, then totals. With --reference FILE --column NAME (a tab- or comma-separated file with an \
            instance or instance_name column, e.g. BPPLIB's optimal_values.tsv with UB, or the vector packing \
            Panigrahy_summary_known.csv with OPT or best_overall), also the excess over the reference per set.
            """)

    @Argument(help: "Instance files or folders (searched recursively).")
    var paths: [String]

    @Option(help: "Time budget per instance, seconds.")
    var budget = 0.5

    @Option(help: "Seed of the local search.")
    var seed: UInt64 = 1

    @Option(help: "A file of reference bin counts per instance.")
    var reference: String?

    @Option(help: "The column of --reference to compare with.")
    var column = "UB"

    @Flag(help: "Print one JSON object per instance instead of the table.")
    var json = false

    func validate() throws {
        guard budget.isFinite, budget > 0 else { throw ValidationError("--budget must be a positive number of seconds") }
    }

    func run() async throws {
        let references: PackingReference?
        var files: [String] = []
        do {
            references = try reference.map { path throws(InputFileError) in try PackingReference.load(path, column: column) }
            for path in paths { files += try PackingInstance.files(at: path) }
        } catch {
            throw ValidationError(error.description)
        }
        let planner = ConsolidationPlanner(seed: seed)
        var totals: [String: PackTotals] = [:]
        if !json { print("instance".padding(toLength: 28, withPad: " ", startingAt: 0) + "   items   bins  lower bound  reference   seconds") }
        for file in files {
            let instance: PackingInstance
            do { instance = try PackingInstance.load(file) } catch {
                throw ValidationError(error.description)
            }
            let clock = ContinuousClock()
            let start = clock.now
            let deadline = start + .milliseconds(Int64(budget * 1000))
            let packing = planner.pack(instance.problem, shouldStop: { clock.now >= deadline })
            let seconds = (clock.now - start).seconds
            if let violation = packing.violation(of: instance.problem) {
                throw ValidationError("\(file): the planner produced an invalid packing: \(violation)")
            }
            let bins = packing.bins.count
            let bound = instance.problem.lowerBound
            let target = references?.values[instance.name]
            for set in [instance.set, "all"] { totals[set, default: PackTotals()].add(bins: bins, bound: bound, reference: target, seconds: seconds) }
            if json {
                var object = #"{"instance":"\#(instance.name)","set":"\#(instance.set)","items":\#(instance.problem.itemCount),"bins":\#(bins),"lower_bound":\#(bound),"proven_optimal":\#(bins == bound),"seconds":\#(String(format: "%.4f", seconds))"#
                if let target { object += #","reference":\#(target)"# }
                print(object + "}")
            } else {
                print("\(instance.name.padding(toLength: 28, withPad: " ", startingAt: 0)) \(pad(instance.problem.itemCount, 7)) \(pad(bins, 6)) \(pad(bound, 12)) \(pad(target.map(String.init) ?? "-", 10)) \(pad(String(format: "%.3f", seconds), 9))")
            }
        }
        guard !json else { return }
        print("\nset (excess over the reference where it has one)  instances      bins  lower bound  optimal  referenced  bins there  reference  excess (total)  mean excess  at reference  seconds")
        let sets = totals.keys.sorted().filter { $0 != "all" } + (totals.count > 2 ? ["all"] : [])
        for set in sets {
            let t = totals[set]!
            let referenced = t.referenced > 0
            let excess = referenced ? String(format: "%+.2f%%", 100 * Double(t.referencedBins - t.reference) / Double(t.reference)) : "-"
            let mean = referenced ? String(format: "%+.2f%%", 100 * t.excess / Double(t.referenced)) : "-"
            print(
                "\(set.padding(toLength: 48, withPad: " ", startingAt: 0)) \(pad(t.instances, 10)) \(pad(t.bins, 9)) \(pad(t.bound, 12)) \(pad(t.provenOptimal, 8)) \(pad(t.referenced, 11))"
                    + " \(pad(referenced ? String(t.referencedBins) : "-", 11)) \(pad(referenced ? String(t.reference) : "-", 10)) \(pad(excess, 15)) \(pad(mean, 12)) \(pad(referenced ? String(t.atReference) : "-", 13)) \(pad(String(format: "%.1f", t.seconds), 8))")
        }
    }

    private func pad(_ value: some CustomStringConvertible, _ width: Int) -> String {
        let text = value.description
        return String(repeating: " ", count: max(0, width - text.count)) + text
    }
}

/// Sums over the instances of a set.
struct PackTotals {
    var instances = 0, bins = 0, bound = 0, provenOptimal = 0
    /// Over the instances with a reference value only.
    var referenced = 0, referencedBins = 0, reference = 0, atReference = 0
    /// Sum of the relative excess over the reference, for the mean.
    var excess = 0.0
    var seconds = 0.0

    mutating func add(bins: Int, bound: Int, reference target: Int?, seconds: Double) {
        instances += 1
        self.bins += bins
        self.bound += bound
        if bins == bound { provenOptimal += 1 }
        self.seconds += seconds
        guard let target else { return }
        referenced += 1
        referencedBins += bins
        reference += target
        excess += Double(bins - target) / Double(target)
        if bins <= target { atReference += 1 }
    }
}
