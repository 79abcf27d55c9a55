import Testing
@testable import Placement

struct SpreadScorerTests {
    static let nodes = [Fixture.node("a", site: "dc-1"), Fixture.node("b", site: "dc-1"), Fixture.node("c", site: "dc-2")]

    @Test func prefersDomainsWithFewerReplicas() {
        let s = Fixture.scores(SpreadScorer(), Fixture.request(replicas: 3, spread: SpreadConstraint(key: .site)), on: Self.nodes, earlier: ["a"])
        #expect(s["c"]! > s["b"]!)
        #expect(s["b"]! == 0.5)
    }

    @Test func isNeutralWithoutASpreadKey() {
        let s = Fixture.scores(SpreadScorer(), Fixture.request(replicas: 3), on: Self.nodes, earlier: ["a"])
        #expect(Set(s.values) == [1])
    }
}
