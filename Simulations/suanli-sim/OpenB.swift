import ArgumentParser
import Foundation
import Placement
import Simulation

struct OpenB: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "openb",
        abstract: "Reproduce the FGD paper's experiment on the Alibaba openb GPU trace with a placement policy.",
        discussion: """
            Protocol (USENIX ATC 2023, "Beware of Fragmentation"): the GPU nodes, every GPU tracked in \
            thousandths; pods sorted by name, shuffled with the seed, then drawn with replacement until their GPU \
            request would exceed 130% of the GPUs; placed one at a time, no departures, no retries. Prints the \
            GPU allocation ratio against the arrived GPU load, as means over the seeds (1...N).
            """)

    @Option(help: "The GPU node list (openb_node_list_gpu_node.csv).")
    var nodes: String

    @Option(help: "The pod list (openb_pod_list_default.csv).")
    var pods: String

    @Option(help: "Placement policy: \(PolicyRegistry.policies.map(\.name).joined(separator: ", ")), or scorer weights such as gpu-fragmentation=1,best-fit=0.2 (scorers: \(PolicyRegistry.scorerNames.joined(separator: ", "))).")
    var policy = PolicyRegistry.defaultPolicyName

    @Option(help: "Number of seeds (1...N); the figures are means over them.")
    var seeds = 10

    @Flag(help: "Print one JSON object.")
    var json = false

    func validate() throws {
        guard seeds > 0 else { throw ValidationError("--seeds must be positive") }
    }

    func run() async throws {
        let trace: OpenBTrace
        do {
            trace = try OpenBTrace.load(nodes: nodes, pods: pods)
        } catch {
            throw ValidationError(error.description)
        }
        let profile = WorkloadProfile(typicalOf: trace.pods)
        let placementPolicy: PlacementPolicy
        do {
            placementPolicy = try PolicyRegistry.policy(spec: policy, profile: profile, scan: .all)
        } catch {
            throw ValidationError("--policy: \(error.message)")
        }
        let experiment = OpenBExperiment(trace: trace, policy: placementPolicy)
        let runs = try await withThrowingTaskGroup(of: OpenBExperiment.Run.self) { group in
            for seed in 1...UInt64(seeds) { group.addTask { try experiment.run(seed: seed) } }
            return try await group.reduce(into: []) { $0.append($1) }.sorted { $0.seed < $1.seed }
        }
        let summary = OpenBSummary(policy: policy, runs: runs)
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            print(String(decoding: try encoder.encode(summary), as: UTF8.self))
        } else {
            print(summary.table)
        }
    }
}

/// Means over the seeds, in the shape the published results are given.
struct OpenBSummary: Encodable {
    var policy: String
    var seeds: Int
    var allocatedPctAt100: Double
    var allocatedPctAt130: Double
    var curve: [OpenBExperiment.Point]
    var runs: [OpenBExperiment.Run]

    init(policy: String, runs: [OpenBExperiment.Run]) {
        self.policy = policy
        self.seeds = runs.count
        self.runs = runs
        curve = OpenBExperiment.curvePoints.map { point in
            OpenBExperiment.Point(arrivedPct: point, allocatedPct: runs.map { $0.allocated(atArrived: point) ?? 0 }.reduce(0, +) / Double(runs.count))
        }
        allocatedPctAt100 = curve.first { $0.arrivedPct == 100 }!.allocatedPct
        allocatedPctAt130 = curve.first { $0.arrivedPct == 130 }!.allocatedPct
    }

    enum CodingKeys: String, CodingKey {
        case policy, seeds, curve, runs
        case allocatedPctAt100 = "allocated_pct_at_100"
        case allocatedPctAt130 = "allocated_pct_at_130"
    }

    var table: String {
        var lines = ["policy \(policy), mean of \(seeds) seed\(seeds == 1 ? "" : "s")", "arrived %  allocated %  unallocated %"]
        for point in curve {
            lines.append(
                String(format: "%9.0f  %11.2f  %13.2f", point.arrivedPct, point.allocatedPct, min(point.arrivedPct, 100) - point.allocatedPct))
        }
        lines.append(String(format: "allocated at 100%% arrived: %.2f%%, at 130%%: %.2f%%", allocatedPctAt100, allocatedPctAt130))
        return lines.joined(separator: "\n")
    }
}
