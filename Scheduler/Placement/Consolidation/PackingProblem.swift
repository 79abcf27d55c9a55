/// An offline packing problem: items with a size per dimension (CPU, memory, GPU, ... or a single
/// weight) and identical bins (node shapes) of a capacity per dimension.
public struct PackingProblem: Sendable, Hashable {
    /// Dimensions per item and bin.
    public let dimensions: Int
    public let capacity: [Int64]
    /// Item sizes, `dimensions` values per item.
    public let sizes: [Int64]

    public var itemCount: Int { sizes.count / dimensions }

    /// A problem whose every item fits an empty bin; throws naming the first item that does not,
    /// or the malformed capacity.
    public init(capacity: [Int64], items: [[Int64]]) throws(PackingError) {
        guard !capacity.isEmpty, capacity.allSatisfy({ $0 > 0 }) else {
            throw PackingError(message: "the bin capacity needs a positive value in every dimension, got \(capacity)")
        }
        var sizes: [Int64] = []
        sizes.reserveCapacity(items.count * capacity.count)
        for (i, item) in items.enumerated() {
            guard item.count == capacity.count else {
                throw PackingError(message: "item \(i + 1) has \(item.count) sizes for \(capacity.count) dimensions")
            }
            for (k, size) in item.enumerated() where size < 0 || size > capacity[k] {
                throw PackingError(message: "item \(i + 1) has size \(size) in dimension \(k + 1), outside 0...\(capacity[k])")
            }
            sizes += item
        }
        self.dimensions = capacity.count
        self.capacity = capacity
        self.sizes = sizes
    }

    /// Size of item `i` in dimension `k`.
    @inline(__always) public func size(_ i: Int, _ k: Int) -> Int64 { sizes[i &* dimensions &+ k] }

    /// Item `i`'s share of a bin summed over the dimensions: the order of decreasing-size rules.
    func weight(_ i: Int) -> Double {
        (0..<dimensions).reduce(0) { $0 + Double(size(i, $1)) / Double(capacity[$1]) }
    }

    /// A lower bound on the bins any packing needs: per dimension the larger of the continuous
    /// bound and Martello and Toth's L2 bound of that dimension alone.
    public var lowerBound: Int {
        (0..<dimensions).map { k in Self.l2(sizes: (0..<itemCount).map { size($0, k) }, capacity: capacity[k]) }.max() ?? 0
    }

    /// Martello and Toth's L2 bound for one dimension (never below the continuous bound).
    static func l2(sizes: [Int64], capacity c: Int64) -> Int {
        let total = sizes.reduce(0, +)
        var best = Int((total + c - 1) / c)
        let sorted = sizes.sorted(by: >)
        let thresholds = Set(sorted.filter { $0 * 2 <= c }).union([0])
        for k in thresholds {
            var big = 0, middle = 0
            var middleSum: Int64 = 0, smallSum: Int64 = 0
            for w in sorted {
                if w > c - k { big += 1 } else if w * 2 > c { middle += 1; middleSum += w } else if w >= k { smallSum += w }
            }
            let room = Int64(middle) * c - middleSum
            let extra = smallSum > room ? Int((smallSum - room + c - 1) / c) : 0
            best = max(best, big + middle + extra)
        }
        return best
    }
}

/// A problem that cannot be packed as given.
public struct PackingError: Error, Sendable, Hashable, CustomStringConvertible {
    public var message: String
    public var description: String { message }
}

/// Items assigned to bins: `bins[b]` lists the items of bin `b`.
public struct Packing: Sendable, Hashable {
    public var bins: [[Int]]

    public init(bins: [[Int]]) {
        self.bins = bins
    }

    /// Why the packing is not a valid packing of `problem`, or nil: every item exactly once and
    /// no bin over capacity in any dimension.
    public func violation(of problem: PackingProblem) -> String? {
        var seen = [Bool](repeating: false, count: problem.itemCount)
        for (b, bin) in bins.enumerated() {
            var load = [Int64](repeating: 0, count: problem.dimensions)
            for item in bin {
                guard item >= 0, item < problem.itemCount else { return "bin \(b) holds unknown item \(item)" }
                guard !seen[item] else { return "item \(item) is packed twice" }
                seen[item] = true
                for k in 0..<problem.dimensions { load[k] += problem.size(item, k) }
            }
            for k in 0..<problem.dimensions where load[k] > problem.capacity[k] {
                return "bin \(b) holds \(load[k]) in dimension \(k), over its capacity \(problem.capacity[k])"
            }
        }
        if let missing = seen.firstIndex(of: false) { return "item \(missing) is not packed" }
        return nil
    }
}
