import Placement

/// The what-if answer: the fewest nodes per class such that every priority class's p95 queue
/// wait stays under its target and no latency bound is violated.
///
/// First every pool is scaled by the same factor, doubling from 1 until the targets are met (or
/// `maxFactor` is passed). Then, one class after the other, a binary search finds the fewest
/// nodes of that class that still meet the targets with the other classes as they stand, spread
/// over the class's pools in proportion to their sizes. Every configuration kept was run and met
/// the targets, so the answer is one the simulator saw succeed.
public struct CapacitySearch: Sendable {
    public var input: SimulationInput
    public var maxFactor: Double

    public init(input: SimulationInput, maxFactor: Double = 16) {
        self.input = input
        self.maxFactor = maxFactor
    }

    /// One class's answer.
    public struct ClassAnswer: Sendable, Codable, Equatable {
        public var nodeClass: String
        public var current: Int
        public var needed: Int
        public var change: Int

        public init(nodeClass: String, current: Int, needed: Int) {
            self.nodeClass = nodeClass
            self.current = current
            self.needed = needed
            self.change = needed - current
        }

        enum CodingKeys: String, CodingKey {
            case nodeClass = "class"
            case current, needed, change
        }
    }

    public struct Answer: Sendable, Codable, Equatable {
        /// Whether a configuration meeting the targets was found within `maxFactor`.
        public var found: Bool
        public var classes: [ClassAnswer]
        /// Node counts per pool of the answer, by pool name.
        public var pools: [String: Int]
        /// Simulations run during the search.
        public var runs: Int
        /// The run of the answer (or of the largest configuration tried when none met the targets).
        public var result: SimulationResult
    }

    /// Runs the search; `progress` is told each configuration tried.
    public func run(progress: ((_ runs: Int, _ counts: [Int]) -> Void)? = nil) throws(InputFileError) -> Answer {
        let scenario = input.scenario
        guard !scenario.pools.isEmpty else {
            throw InputFileError(file: scenario.source, line: 0, field: "cluster.pools", message: "the capacity search sizes node pools; the scenario has none")
        }
        guard !scenario.waitTargets.isEmpty else {
            throw InputFileError(file: scenario.source, line: 0, field: "wait_targets", message: "the capacity search needs queue wait targets per priority class")
        }
        let base = input.poolCounts
        var runs = 0
        func evaluate(_ counts: [Int]) throws(InputFileError) -> SimulationResult {
            runs += 1
            progress?(runs, counts)
            return try Simulator(input: input, poolCounts: counts).run()
        }

        var factor = 1.0
        var counts = base
        var best = try evaluate(counts)
        while !best.totals.targetsMet {
            guard factor * 2 <= maxFactor else {
                return Answer(found: false, classes: answers(base: base, counts: counts), pools: poolMap(counts), runs: runs, result: best)
            }
            factor *= 2
            counts = base.map { Int((Double($0) * factor).rounded(.up)) }
            best = try evaluate(counts)
        }

        let classes = NodeClass.allCases.filter { c in scenario.pools.contains { $0.nodeClass == c } }
        for nodeClass in classes {
            let members = scenario.pools.indices.filter { scenario.pools[$0].nodeClass == nodeClass }
            var low = 0, high = members.reduce(0) { $0 + counts[$1] }
            // Invariant: `high` nodes meet the targets (with `best` its run); `low - 1` did not.
            while low < high {
                let mid = (low + high) / 2
                var trial = counts
                for (pool, count) in distribute(mid, over: members.map { max(base[$0], 1) }).enumerated() { trial[members[pool]] = count }
                let result = try evaluate(trial)
                if result.totals.targetsMet {
                    high = mid
                    counts = trial
                    best = result
                } else {
                    low = mid + 1
                }
            }
        }
        return Answer(found: true, classes: answers(base: base, counts: counts), pools: poolMap(counts), runs: runs, result: best)
    }

    private func answers(base: [Int], counts: [Int]) -> [ClassAnswer] {
        let pools = input.scenario.pools
        return NodeClass.allCases.compactMap { c in
            let members = pools.indices.filter { pools[$0].nodeClass == c }
            guard !members.isEmpty else { return nil }
            return ClassAnswer(nodeClass: c.rawValue, current: members.reduce(0) { $0 + base[$1] }, needed: members.reduce(0) { $0 + counts[$1] })
        }
    }

    private func poolMap(_ counts: [Int]) -> [String: Int] {
        Dictionary(uniqueKeysWithValues: zip(input.scenario.pools.map(\.name), counts))
    }
}

/// `total` split in proportion to `weights` by largest remainder (ties to the first).
func distribute(_ total: Int, over weights: [Int]) -> [Int] {
    let sum = weights.reduce(0, +)
    guard sum > 0 else { return weights.map { _ in 0 } }
    var shares = weights.map { total * $0 / sum }
    let remainders = weights.enumerated().map { (index: $0.offset, rest: total * $0.element % sum) }
    for r in remainders.sorted(by: { ($0.rest, -$0.index) > ($1.rest, -$1.index) }).prefix(total - shares.reduce(0, +)) { shares[r.index] += 1 }
    return shares
}
