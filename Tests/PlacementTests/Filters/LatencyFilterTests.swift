import Testing
@testable import Placement

struct LatencyFilterTests {
    static let cases: [(site: String, origin: String?, bound: Double?, expected: NoFitReason?)] = [
        ("dc-1", nil, nil, nil),
        ("dc-2", "dc-1", 5, nil),
        ("dc-2", "dc-1", 4.9, .latency),
        ("edge-1", "dc-1", 2, nil),
        ("edge-1", "dc-2", 5.5, .latency),
        ("dc-1", "dc-1", 0.5, nil),
    ]

    @Test(arguments: cases.indices)
    func boundsLatencyFromOrigin(_ i: Int) {
        let (site, origin, bound, expected) = Self.cases[i]
        let state = Fixture.state([Fixture.node("n", site: site)])
        let resolved = Fixture.resolve(Fixture.request(origin: origin, maxLatency: bound, classes: [.general]), in: state)
        #expect(LatencyFilter().check(state.table.buckets[0].key, for: resolved, in: state) == expected)
    }
}
