import Testing
@testable import Placement

struct ResourceFitFilterTests {
    static let cases: [(cpu: Int64, memory: Int64, disk: Int64, bandwidth: Int64, expected: NoFitReason?)] = [
        (8_000, 16_384, 100, 1_000, nil),
        (8_001, 1, 0, 0, .insufficient(.cpu)),
        (1, 16_385, 0, 0, .insufficient(.memory)),
        (1, 1, 101, 0, .insufficient(.disk)),
        (1, 1, 0, 1_001, .insufficient(.bandwidth)),
        (9_000, 20_000, 0, 0, .insufficient(.cpu)),
    ]

    @Test(arguments: cases.indices)
    func checksEveryDimension(_ i: Int) {
        let (cpu, memory, disk, bandwidth, expected) = Self.cases[i]
        let state = Fixture.state([Fixture.node("n"), Fixture.node("big", cpu: 64_000, memory: 65_536, disk: 1_000, bandwidth: 10_000)])
        let context = Fixture.context(Fixture.request(cpu: cpu, memory: memory, disk: disk, bandwidth: bandwidth), in: state)
        #expect(ResourceFitFilter().check(node: 0, in: context) == expected)
    }

    @Test func seesWhatIsAlreadyAllocated() {
        var state = Fixture.state([Fixture.node("n")])
        var placer = Fixture.placer()
        Fixture.placeAndCommit(Fixture.request("first", cpu: 6_000), in: &state, placer: &placer)
        let context = Fixture.context(Fixture.request("second", cpu: 3_000), in: state)
        #expect(ResourceFitFilter().check(node: 0, in: context) == .insufficient(.cpu))
    }
}
