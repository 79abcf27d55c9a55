import Testing
@testable import Placement

struct ConsolidationPlannerTests {
    /// A random problem of `dimensions` with items up to `largest` of a capacity of 100.
    static func problem(seed: UInt64, dimensions: Int, items: Int, largest: Int64) throws -> PackingProblem {
        var rng = SplitMix64(seed: seed)
        let sizes = (0..<items).map { _ in (0..<dimensions).map { _ in Int64.random(in: 1...largest, using: &rng) } }
        return try PackingProblem(capacity: Array(repeating: 100, count: dimensions), items: sizes)
    }

    @Test("every packing is valid and never below the lower bound, in one and several dimensions", arguments: 1...30)
    func validPackings(seed: Int) throws {
        for dimensions in [1, 3] {
            let problem = try Self.problem(seed: UInt64(seed), dimensions: dimensions, items: 10 + seed * 3, largest: seed % 2 == 0 ? 70 : 35)
            let packing = ConsolidationPlanner(seed: UInt64(seed), maxAttempts: 20).pack(problem)
            #expect(packing.violation(of: problem) == nil)
            #expect(packing.bins.count >= problem.lowerBound)
            #expect(packing.bins.allSatisfy { !$0.isEmpty })
        }
    }

    @Test("the same seed and rounds give the same packing")
    func deterministic() throws {
        let problem = try Self.problem(seed: 7, dimensions: 2, items: 120, largest: 60)
        #expect(ConsolidationPlanner(seed: 3, maxAttempts: 100).pack(problem) == ConsolidationPlanner(seed: 3, maxAttempts: 100).pack(problem))
    }

    @Test("shuffled triplets that fill bins exactly are packed three to a bin, which is optimal")
    func triplets() throws {
        var rng = SplitMix64(seed: 11)
        var items: [[Int64]] = []
        for _ in 0..<40 {
            let a = Int64.random(in: 380...490, using: &rng), b = Int64.random(in: 250...(1000 - a - 250), using: &rng)
            items += [[a], [b], [1000 - a - b]]
        }
        items.shuffle(using: &rng)
        let problem = try PackingProblem(capacity: [1000], items: items)
        let packing = ConsolidationPlanner().pack(problem)
        #expect(problem.lowerBound == 40)
        #expect(packing.bins.count == 40)
        #expect(packing.violation(of: problem) == nil)
    }

    @Test("the local search saves bins first fit decreasing wastes")
    func improvesOnFirstFitDecreasing() throws {
        // FFD pairs the two 45s and needs 4 bins; 45+30+25 twice and 35+35+30 fill 3 exactly.
        let problem = try PackingProblem(capacity: [100], items: [[45], [45], [35], [35], [30], [30], [30], [25], [25]])
        let ffd = BinSet.firstFit(Array(0..<9), in: problem)
        let packing = ConsolidationPlanner().pack(problem)
        #expect(ffd.count == 4)
        #expect(packing.bins.count == 3)
        #expect(packing.violation(of: problem) == nil)
    }

    @Test("Martello and Toth's bound sees that items over half a bin need a bin each")
    func lowerBound() throws {
        #expect(try PackingProblem(capacity: [100], items: [[60], [60], [60]]).lowerBound == 3)
        #expect(try PackingProblem(capacity: [100], items: [[50], [50], [50], [50]]).lowerBound == 2)
        #expect(try PackingProblem(capacity: [10, 10], items: [[6, 1], [6, 1], [6, 1]]).lowerBound == 3)
        #expect(try PackingProblem(capacity: [10, 10], items: [[9, 1], [1, 9], [9, 1]]).lowerBound == 2)
    }

    @Test("an item larger than a bin and a bad packing are reported")
    func errors() throws {
        #expect(throws: PackingError.self) { try PackingProblem(capacity: [10], items: [[11]]) }
        #expect(throws: PackingError.self) { try PackingProblem(capacity: [10, 10], items: [[1]]) }
        let problem = try PackingProblem(capacity: [10], items: [[6], [6]])
        #expect(Packing(bins: [[0, 1]]).violation(of: problem)?.contains("over its capacity") == true)
        #expect(Packing(bins: [[0], [0]]).violation(of: problem)?.contains("twice") == true)
        #expect(Packing(bins: [[0]]).violation(of: problem)?.contains("not packed") == true)
    }
}
