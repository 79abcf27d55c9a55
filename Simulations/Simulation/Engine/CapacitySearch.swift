import Placement

/// The what-if answer: the fewest nodes per class such that every target is met on every seed
/// tried: each priority class's p95 queue wait under its target, no request still waiting past it
/// at the end, none expired or rejected, no latency bound violated, no autoscaled service leaving
/// more of its calls unserved than allowed (`SimulationResult.missed`).
///
/// First every pool is scaled by the same factor, doubling from 1 until the targets are met (or
/// `maxFactor` is passed). Then, one class after the other, a binary search finds the fewest
/// nodes of that class that still meet the targets with the other classes as they stand, spread
/// over the class's pools in proportion to their sizes. Every configuration kept was run on every
/// seed and met the targets, so the answer is one the simulator saw succeed; what the size one
/// node below it missed is the target that binds the class.
public struct CapacitySearch: Sendable {
    public var input: SimulationInput
    public var maxFactor: Double
    /// How many seeds each size is run on: the scenario's and the ones after it.
    public var seeds: Int

    public init(input: SimulationInput, maxFactor: Double = 16, seeds: Int = 3) {
        self.input = input
        self.maxFactor = maxFactor
        self.seeds = max(1, seeds)
    }

    /// One class's answer.
    public struct ClassAnswer: Sendable, Codable, Equatable {
        public var nodeClass: String
        public var current: Int
        public var needed: Int
        public var change: Int
        /// What one node fewer of this class missed (on the seeds that missed it); empty when
        /// nothing binds (no node of it is needed).
        public var binding: [String]

        public init(nodeClass: String, current: Int, needed: Int, binding: [String] = []) {
            self.nodeClass = nodeClass
            self.current = current
            self.needed = needed
            self.change = needed - current
            self.binding = binding
        }

        enum CodingKeys: String, CodingKey {
            case nodeClass = "class"
            case current, needed, change, binding
        }
    }

    /// A priority class's p95 wait at the answer, over the seeds.
    public struct WaitSpread: Sendable, Codable, Equatable {
        public var priority: String
        public var lowestP95: Double
        public var highestP95: Double
        public var target: Double?

        enum CodingKeys: String, CodingKey {
            case priority, target
            case lowestP95 = "lowest_p95"
            case highestP95 = "highest_p95"
        }
    }

    public struct Answer: Sendable, Codable, Equatable {
        /// Whether a size meeting every target was found within `maxFactor`; when not, the answer
        /// meets every target but the `unreachable` ones.
        public var found: Bool
        public var classes: [ClassAnswer]
        /// Node counts per pool of the answer, by pool name.
        public var pools: [String: Int]
        /// Simulations run during the search (sizes tried times seeds).
        public var runs: Int
        /// The seeds every size was run on.
        public var seeds: [UInt64]
        /// The p95 waits of the answer on its seeds, per priority class.
        public var spread: [WaitSpread]
        /// What even the largest size tried missed, with the seeds that missed it: no size of these
        /// pools meets it (a site down for maintenance, a quota, a request no node can take), so the
        /// answer is the smallest size that misses no more than that.
        public var unreachable: [String]
        /// What the answer's nodes cost, per pool, at the pools' prices.
        public var costs: [PoolCost]
        /// The run of the answer on the first seed (or, when none met the targets, of the largest
        /// configuration tried on the seed that missed).
        public var result: SimulationResult
    }

    /// A pool of the answer and its price: a whole node's capacity at the pool's unit prices.
    public struct PoolCost: Sendable, Codable, Equatable {
        public var pool: String
        public var nodeClass: String
        public var site: String
        public var nodes: Int
        public var hourlyPerNode: Double
        /// `nodes` for a month of 730 hours.
        public var monthly: Double

        enum CodingKeys: String, CodingKey {
            case pool, site, nodes, monthly
            case nodeClass = "class"
            case hourlyPerNode = "hourly_per_node"
        }
    }

    /// The pools at `counts` and what their nodes cost.
    func costs(_ counts: [Int]) -> [PoolCost] {
        zip(input.scenario.pools, counts).map { pool, count in
            let hourly = pool.price.hourlyCost(of: pool.capacity, gpuMilli: Int64(pool.gpus.count) * Int64(GPUDevice.wholeMilli))
            return PoolCost(pool: pool.name, nodeClass: pool.nodeClass.rawValue, site: pool.site, nodes: count, hourlyPerNode: hourly, monthly: hourly * Double(count) * 730)
        }
    }

    /// The runs of one size on every seed.
    struct Trial {
        var results: [SimulationResult]
        /// Whether every seed met every target but those no size of the search meets
        /// (`tolerated`: the most requests of each kind of miss the largest size had).
        func meets(tolerating tolerated: [String: Int]) -> Bool { results.allSatisfy { Self.meets($0, tolerating: tolerated) } }

        static func meets(_ result: SimulationResult, tolerating tolerated: [String: Int]) -> Bool {
            result.missCounts.allSatisfy { kind, count in tolerated[kind].map { count <= $0 } ?? false }
        }
        /// What the seeds that missed missed, each line once, with the seeds that missed it.
        var missed: [String] { missed(beyond: [:]) }

        /// What the seeds missed beyond what is tolerated, each line once, with the seeds.
        func missed(beyond tolerated: [String: Int]) -> [String] {
            var seedsByMiss: [(miss: String, seeds: [UInt64])] = []
            for result in results {
                for (miss, kind) in zip(result.missed, result.missedKinds) where result.missCounts[kind, default: 0] > tolerated[kind, default: 0] {
                    if let i = seedsByMiss.firstIndex(where: { $0.miss == miss }) { seedsByMiss[i].seeds.append(result.seed) } else { seedsByMiss.append((miss, [result.seed])) }
                }
            }
            return seedsByMiss.map { "\($0.miss) (seed \($0.seeds.map(String.init).joined(separator: ", ")))" }
        }
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
        let seedList = (0..<UInt64(seeds)).map { scenario.seed &+ $0 }
        let base = input.poolCounts
        var runs = 0
        var tolerated: [String: Int] = [:]
        func evaluate(_ counts: [Int], everySeed: Bool = false) throws(InputFileError) -> Trial {
            var results: [SimulationResult] = []
            for seed in seedList {
                runs += 1
                progress?(runs, counts)
                var seeded = input
                seeded.scenario.seed = seed
                let result = try Simulator(input: seeded, poolCounts: counts).run()
                results.append(result)
                // One seed that misses is enough to refuse the size.
                if !everySeed, !Trial.meets(result, tolerating: tolerated) { break }
            }
            return Trial(results: results)
        }

        var factor = 1.0
        var counts = base
        var best = try evaluate(counts)
        var unreachable: [String] = []
        while !best.meets(tolerating: tolerated) {
            guard factor < maxFactor else {
                // The largest size still misses: what it misses on any seed, no size here meets.
                // The search goes on for the smallest size that misses no more than it does: no
                // more requests short of capacity or rejected, no longer a p95 wait; requests
                // more nodes cannot help (no node could take them, their quota) in any number, as
                // the runs' other randomness moves it.
                best = try evaluate(counts, everySeed: true)
                for result in best.results {
                    for (kind, count) in result.missCounts {
                        let unhelped = kind.hasSuffix(":nodes") || kind.hasSuffix(":quota")
                        tolerated[kind] = unhelped ? Int.max : max(tolerated[kind] ?? 0, count)
                    }
                }
                unreachable = best.missed
                break
            }
            // Doubling, the last step up to the largest factor; a pool of no nodes grows too.
            factor = min(factor * 2, maxFactor)
            counts = base.map { Int((Double(max($0, 1)) * factor).rounded(.up)) }
            best = try evaluate(counts)
        }

        let classes = NodeClass.allCases.filter { c in scenario.pools.contains { $0.nodeClass == c } }
        func members(of nodeClass: NodeClass) -> [Int] { scenario.pools.indices.filter { scenario.pools[$0].nodeClass == nodeClass } }
        /// `counts` with `total` nodes of the class spread over its pools.
        func resized(_ counts: [Int], _ nodeClass: NodeClass, to total: Int) -> [Int] {
            var trial = counts
            let pools = members(of: nodeClass)
            for (pool, count) in distribute(total, over: pools.map { max(base[$0], 1) }).enumerated() { trial[pools[pool]] = count }
            return trial
        }
        for nodeClass in classes {
            var low = 0, high = members(of: nodeClass).reduce(0) { $0 + counts[$1] }
            // Invariant: `high` nodes meet the targets (with `best` its runs); `low - 1` did not.
            while low < high {
                let mid = (low + high) / 2
                let trial = resized(counts, nodeClass, to: mid)
                let result = try evaluate(trial)
                if result.meets(tolerating: tolerated) {
                    high = mid
                    counts = trial
                    best = result
                } else {
                    low = mid + 1
                }
            }
        }
        // At the answer, one node fewer of each class must miss a target: that target binds the
        // class. (A class searched before others shrank may now do with fewer: it gives them up.)
        var binding: [NodeClass: [String]] = [:]
        for nodeClass in classes {
            while true {
                let total = members(of: nodeClass).reduce(0) { $0 + counts[$1] }
                guard total > 0 else { break }
                let trial = resized(counts, nodeClass, to: total - 1)
                let result = try evaluate(trial)
                guard result.meets(tolerating: tolerated) else {
                    binding[nodeClass] = result.missed(beyond: tolerated)
                    break
                }
                counts = trial
                best = result
            }
        }
        return Answer(
            found: unreachable.isEmpty, classes: answers(base: base, counts: counts, binding: binding), pools: poolMap(counts), runs: runs, seeds: seedList,
            spread: Self.spread(best, targets: scenario.waitTargets), unreachable: unreachable, costs: costs(counts), result: best.results[0])
    }

    /// Each priority class's p95 wait over the runs of a size.
    static func spread(_ trial: Trial, targets: [PriorityClass: Double]) -> [WaitSpread] {
        PriorityClass.allCases.compactMap { priority in
            let p95s = trial.results.compactMap { result in result.waits.first { $0.group == "priority" && $0.name == priority.rawValue }?.p95 }
            guard let lowest = p95s.min(), let highest = p95s.max() else { return nil }
            return WaitSpread(priority: priority.rawValue, lowestP95: lowest, highestP95: highest, target: targets[priority])
        }
    }

    private func answers(base: [Int], counts: [Int], binding: [NodeClass: [String]]) -> [ClassAnswer] {
        let pools = input.scenario.pools
        return NodeClass.allCases.compactMap { c in
            let members = pools.indices.filter { pools[$0].nodeClass == c }
            guard !members.isEmpty else { return nil }
            return ClassAnswer(
                nodeClass: c.rawValue, current: members.reduce(0) { $0 + base[$1] }, needed: members.reduce(0) { $0 + counts[$1] }, binding: binding[c] ?? [])
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
