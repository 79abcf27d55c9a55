import DequeModule
import Placement

/// What each node class had allocated, as shares of its capacity, once a minute over the last day:
/// the operators' utilization over time. Kept in memory (a restart begins it again); the ledger
/// in the store keeps what each tenant held and used.
public struct UtilizationHistory: Sendable, Hashable {
    public struct Sample: Sendable, Hashable {
        public var at: Double
        /// By node class: allocated CPU, memory and GPU as shares of capacity (GPU nil without GPUs).
        public var classes: [String: Shares]
    }

    public struct Shares: Sendable, Hashable {
        public var cpu: Double
        public var memory: Double
        public var gpu: Double?
    }

    /// How far back it reaches.
    public static let window = 86_400.0

    public private(set) var samples = Deque<Sample>()

    /// Adds a sample taken at `at` from the groups by node class, and forgets those older than the window.
    mutating func record(_ groups: [Utilization], at: Double) {
        var classes: [String: Shares] = [:]
        for group in groups {
            func share(_ used: Int64, of total: Int64) -> Double { total > 0 ? Double(used) / Double(total) : 0 }
            classes[group.group] = Shares(
                cpu: share(group.allocated.cpuMillis, of: group.capacity.cpuMillis), memory: share(group.allocated.memoryMiB, of: group.capacity.memoryMiB),
                gpu: group.gpuMilli > 0 ? share(group.allocatedGPUMilli, of: group.gpuMilli) : nil)
        }
        samples.append(Sample(at: at, classes: classes))
        while let first = samples.first, first.at < at - Self.window { samples.removeFirst() }
    }
}
