/// Packs items onto as few bins as it can: the best of three constructive packings (first fit
/// decreasing, best fit decreasing, and minimum bin slack, which fills one bin at a time with the
/// subset of items that leaves the least room), then an anytime local search that frees the
/// items of a few bins and trades them into the others, until the lower bound is reached,
/// `shouldStop` says so, or `maxAttempts` rounds in a row save no bin. Deterministic for a
/// seed and a stopping rule that does not depend on time.
public struct ConsolidationPlanner: Sendable {
    public var seed: UInt64
    /// Search nodes per bin in minimum bin slack.
    public var slackSearchNodes: Int
    /// Rounds in a row that save no bin after which the search stops.
    public var maxAttempts: Int

    public init(seed: UInt64 = 1, slackSearchNodes: Int = 2_000, maxAttempts: Int = 3_000) {
        self.seed = seed
        self.slackSearchNodes = slackSearchNodes
        self.maxAttempts = maxAttempts
    }

    /// The packing found; `shouldStop` is asked between attempts of the local search.
    public func pack(_ problem: PackingProblem, shouldStop: () -> Bool = { false }) -> Packing {
        let bound = problem.lowerBound
        let order = (0..<problem.itemCount).sorted { (problem.weight($0), $1) > (problem.weight($1), $0) }
        var best = BinSet.firstFit(order, in: problem)
        for candidate in [BinSet.bestFit(order, in: problem), BinSet.minimumSlack(order, in: problem, nodes: slackSearchNodes)]
        where candidate.count < best.count {
            best = candidate
        }
        var rng = SplitMix64(seed: seed)
        var failures = 0
        while best.count > bound, failures < maxAttempts, !shouldStop() {
            if best.exchangeRound(rng: &rng) { failures = 0 } else { failures += 1 }
        }
        return Packing(bins: best.bins)
    }
}

/// Bins being packed, with their loads.
struct BinSet {
    let problem: PackingProblem
    var bins: [[Int]] = []
    /// `dimensions` values per bin.
    var loads: [Int64] = []

    var count: Int { bins.count }

    init(problem: PackingProblem) {
        self.problem = problem
    }

    func fits(_ item: Int, in bin: Int) -> Bool { fits([item], in: bin, without: []) }

    /// The bin's fill summed over the dimensions.
    func fill(_ bin: Int) -> Double {
        (0..<problem.dimensions).reduce(0) { $0 + Double(loads[bin * problem.dimensions + $1]) / Double(problem.capacity[$1]) }
    }

    mutating func add(_ item: Int, to bin: Int) {
        bins[bin].append(item)
        for k in 0..<problem.dimensions { loads[bin * problem.dimensions + k] += problem.size(item, k) }
    }

    mutating func remove(_ item: Int, from bin: Int) {
        bins[bin].remove(at: bins[bin].firstIndex(of: item)!)
        for k in 0..<problem.dimensions { loads[bin * problem.dimensions + k] -= problem.size(item, k) }
    }

    mutating func open(with items: [Int]) {
        bins.append([])
        loads += [Int64](repeating: 0, count: problem.dimensions)
        for item in items { add(item, to: bins.count - 1) }
    }

    /// Removes bin `bin` (the last bin takes its place) and returns its items.
    mutating func close(_ bin: Int) -> [Int] {
        let items = bins[bin]
        let d = problem.dimensions
        let last = bins.count - 1
        bins.swapAt(bin, last)
        for k in 0..<d { loads.swapAt(bin * d + k, last * d + k) }
        bins.removeLast()
        loads.removeLast(d)
        return items
    }

    static func firstFit(_ order: [Int], in problem: PackingProblem) -> BinSet {
        var set = BinSet(problem: problem)
        for item in order { set.addFirstFit(item) }
        return set
    }

    /// Adds the item to the first bin where it fits, or to a new bin.
    mutating func addFirstFit(_ item: Int) {
        if let bin = (0..<count).first(where: { fits(item, in: $0) }) { add(item, to: bin) } else { open(with: [item]) }
    }

    static func bestFit(_ order: [Int], in problem: PackingProblem) -> BinSet {
        var set = BinSet(problem: problem)
        for item in order {
            if let bin = set.fullestBin(fitting: item) { set.add(item, to: bin) } else { set.open(with: [item]) }
        }
        return set
    }

    func fullestBin(fitting item: Int, except excluded: Int? = nil) -> Int? {
        var best: Int?
        var bestFill = -1.0
        for bin in 0..<count where bin != excluded && fits(item, in: bin) {
            let f = fill(bin)
            if f > bestFill { (best, bestFill) = (bin, f) }
        }
        return best
    }

    /// Minimum bin slack (Gupta and Ho, with Fleszar and Hindi's rule of always taking the
    /// largest remaining item): each bin gets the largest remaining item and the subset of the
    /// others, found by a bounded depth-first search, that leaves it least room.
    static func minimumSlack(_ order: [Int], in problem: PackingProblem, nodes limit: Int) -> BinSet {
        var set = BinSet(problem: problem)
        var remaining = order
        var search = SlackSearch(problem: problem, limit: limit)
        while let first = remaining.first {
            let chosen = search.bestFill(startingWith: first, from: remaining)
            let taken = Set(chosen)
            remaining.removeAll { taken.contains($0) }
            set.open(with: chosen)
        }
        return set
    }

    /// One round of the local search (after Falkenauer's and Levine and Ducatelle's bin packing
    /// local search): frees the items of the least-filled bin and up to two random others; every
    /// remaining bin in turn trades one or two of its items for one or two free ones that fill it
    /// further, until no trade helps; the free items, now smaller, go back first-fit decreasing.
    /// Keeps the result unless it uses more bins; returns whether it uses fewer.
    mutating func exchangeRound(rng: inout SplitMix64) -> Bool {
        guard count > 1 else { return false }
        let before = count
        let saved = (bins, loads)
        var targets: Set<Int> = [(0..<count).min { (fill($0), $0) < (fill($1), $1) }!]
        let extra = Int(rng.next() % 3)
        for _ in 0..<extra where targets.count < count - 1 { targets.insert(Int(rng.next() % UInt64(count))) }
        var free: [Int] = []
        for bin in targets.sorted(by: >) { free += close(bin) }
        var improved = true
        while improved {
            improved = false
            for bin in 0..<count {
                guard let (out, into) = bestTrade(in: bin, free: free) else { continue }
                for item in out { remove(item, from: bin) }
                for item in into { add(item, to: bin) }
                free.removeAll { into.contains($0) }
                free += out
                improved = true
            }
        }
        for item in free.sorted(by: { (problem.weight($0), $0) > (problem.weight($1), $1) }) { addFirstFit(item) }
        if count > before { (bins, loads) = saved }
        return count < before
    }

    /// The trade of at most two of the bin's items for one or two free items that fills the bin
    /// the most, if any fills it at all.
    func bestTrade(in bin: Int, free: [Int]) -> (out: [Int], into: [Int])? {
        let members = bins[bin]
        var outs: [[Int]] = [[]]
        for (a, j) in members.enumerated() {
            outs.append([j])
            for k in members[(a + 1)...] { outs.append([j, k]) }
        }
        var ins: [[Int]] = []
        for (a, j) in free.enumerated() {
            ins.append([j])
            for k in free[(a + 1)...] { ins.append([j, k]) }
        }
        let weights = ins.map { $0.reduce(0) { $0 + problem.weight($1) } }
        var best: ([Int], [Int])?
        var bestGain = 1e-12
        for out in outs {
            let removed = out.reduce(0) { $0 + problem.weight($1) }
            for (i, into) in ins.enumerated() where weights[i] - removed > bestGain && fits(into, in: bin, without: out) {
                (best, bestGain) = ((out, into), weights[i] - removed)
            }
        }
        return best
    }

    func fits(_ items: [Int], in bin: Int, without removed: [Int]) -> Bool {
        let d = problem.dimensions
        for k in 0..<d {
            var load = loads[bin * d + k]
            for r in removed { load -= problem.size(r, k) }
            for i in items { load += problem.size(i, k) }
            if load > problem.capacity[k] { return false }
        }
        return true
    }
}

/// The bounded depth-first search of minimum bin slack.
struct SlackSearch {
    let problem: PackingProblem
    let limit: Int
    private var load: [Int64] = []
    private var current: [Int] = []
    private var best: [Int] = []
    private var bestSlack = 0.0
    private var nodes = 0

    init(problem: PackingProblem, limit: Int) {
        self.problem = problem
        self.limit = limit
    }

    /// `first` and the items of `candidates` (after it, in order) that leave the least slack.
    mutating func bestFill(startingWith first: Int, from candidates: [Int]) -> [Int] {
        load = (0..<problem.dimensions).map { problem.size(first, $0) }
        current = [first]
        best = current
        bestSlack = slack()
        nodes = 0
        extend(from: 1, in: candidates)
        return best
    }

    private func slack() -> Double {
        (0..<problem.dimensions).reduce(0) { $0 + Double(problem.capacity[$1] - load[$1]) / Double(problem.capacity[$1]) }
    }

    private func fits(_ item: Int) -> Bool {
        (0..<problem.dimensions).allSatisfy { load[$0] + problem.size(item, $0) <= problem.capacity[$0] }
    }

    private func sameSize(_ a: Int, _ b: Int) -> Bool {
        (0..<problem.dimensions).allSatisfy { problem.size(a, $0) == problem.size(b, $0) }
    }

    private mutating func extend(from start: Int, in candidates: [Int]) {
        var lastTried: Int?
        var index = start
        while index < candidates.count, bestSlack > 0, nodes < limit {
            let item = candidates[index]
            index += 1
            // An item the same size as one just tried leads to the same bins.
            if let lastTried, sameSize(item, lastTried) { continue }
            guard fits(item) else { continue }
            nodes += 1
            lastTried = item
            for k in 0..<problem.dimensions { load[k] += problem.size(item, k) }
            current.append(item)
            let s = slack()
            if s < bestSlack { (best, bestSlack) = (current, s) }
            extend(from: index, in: candidates)
            current.removeLast()
            for k in 0..<problem.dimensions { load[k] -= problem.size(item, k) }
        }
    }
}
