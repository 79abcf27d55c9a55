import Testing
@testable import Placement

struct PartitionFilterTests {
    static let cases: [(request: String, node: String, expected: NoFitReason?)] = [
        ("public", "public", nil), ("finance", "finance", nil), ("public", "finance", .partition), ("health", "public", .partition),
    ]

    @Test(arguments: cases.indices)
    func isolatesPartitions(_ i: Int) {
        let (requestPartition, nodePartition, expected) = Self.cases[i]
        let state = Fixture.state([Fixture.node("n", partition: nodePartition)])
        let resolved = Fixture.resolve(Fixture.request(partition: requestPartition), in: state)
        #expect(PartitionFilter().check(state.table.buckets[0].key, for: resolved, in: state) == expected)
    }
}
