import ArgumentParser
import Foundation
import Placement
import Simulation

struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Placement throughput and latency on a synthetic city.",
        discussion: """
            Builds a city of heterogeneous nodes (general, AI with GPUs, HPC, edge; 20 sites; 3 partitions) and \
            places a stream of mixed requests one at a time (services, VMs, batch, shared-GPU inference, training \
            and MPI gangs, latency-bound edge work, preempting critical work), committing each decision and \
            releasing requests as they end. An untimed warm-up brings the busier of CPU and GPU to 85% first; \
            then each timed decision is place + commit, on one core.
            """)

    @Option(help: "Nodes in the synthetic city.")
    var nodes = 10_000

    @Option(help: "Requests to place.")
    var requests = 100_000

    @Option(help: "Random seed of city and workload.")
    var seed: UInt64 = 1

    @Option(help: "Placement policy: \(PolicyRegistry.policies.map(\.name).joined(separator: ", ")), or scorer weights such as gpu-fragmentation=1,best-fit=0.2 (scorers: \(PolicyRegistry.scorerNames.joined(separator: ", "))).")
    var policy = PolicyRegistry.defaultPolicyName

    @Option(help: "Feasible nodes scored per replica before choosing; 0 scores every feasible node.")
    var scan = 64

    @Option(help: "Runs per size; the run with the median throughput is reported (this machine's timing noise is ~20%).")
    var `repeat` = 1

    @Flag(help: "Also run 1,000 to 100,000 nodes and print the curve.")
    var curve = false

    @Flag(help: "Print one JSON object (one per line with --curve).")
    var json = false

    func validate() throws {
        guard nodes > 0 else { throw ValidationError("--nodes must be positive") }
        guard requests > 0 else { throw ValidationError("--requests must be positive") }
        guard scan >= 0 else { throw ValidationError("--scan must not be negative") }
        guard `repeat` > 0 else { throw ValidationError("--repeat must be positive") }
    }

    func run() throws {
        let placementPolicy: PlacementPolicy
        do {
            placementPolicy = try PolicyRegistry.policy(spec: policy, scan: scan == 0 ? .all : .feasible(scan))
        } catch {
            throw ValidationError("--policy: \(error.message)")
        }
        let sizes = curve ? [1_000, 3_000, 10_000, 30_000, 100_000] : [nodes]
        if !json { print(Self.header) }
        for size in sizes {
            let benchmark = PlacementBenchmark(nodeCount: size, requestCount: requests, seed: seed, policy: placementPolicy)
            let runs = try (0..<`repeat`).map { _ in try benchmark.run() }.sorted { $0.decisionsPerSecond < $1.decisionsPerSecond }
            let result = runs[runs.count / 2]
            if json {
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.sortedKeys]
                print(String(decoding: try encoder.encode(result), as: UTF8.self))
            } else {
                print(Self.row(result))
            }
        }
    }

    static let header = """
        nodes    warm-up   requests  placed   partial  no-fit   preempted  decisions/s  p50 us  p99 us  p99.9 us  cpu util  gpu util
        """

    static func row(_ r: BenchmarkResult) -> String {
        func pad(_ s: String, _ n: Int) -> String { s.count >= n ? s + " " : s + String(repeating: " ", count: n - s.count) }
        return pad("\(r.nodes)", 9) + pad("\(r.warmupRequests)", 10) + pad("\(r.requests)", 10) + pad("\(r.placed)", 9) + pad("\(r.partiallyPlaced)", 9)
            + pad("\(r.noFit)", 9) + pad("\(r.preemptions)", 11) + pad(String(format: "%.0f", r.decisionsPerSecond), 13)
            + pad(String(format: "%.1f", r.p50DecisionMicros), 8) + pad(String(format: "%.1f", r.p99DecisionMicros), 8)
            + pad(String(format: "%.1f", r.p999DecisionMicros), 10) + pad(String(format: "%.1f%%", r.meanCPUUtilization * 100), 10)
            + String(format: "%.1f%%", r.meanGPUUtilization * 100)
    }
}
