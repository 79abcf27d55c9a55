import Testing
@testable import Placement

struct LatencyScorerTests {
    @Test func prefersNodesNearTheOrigin() {
        let nodes = [Fixture.node("near", site: "dc-1"), Fixture.node("far", site: "dc-2")]
        let s = Fixture.scores(LatencyScorer(), Fixture.request(origin: "dc-1", maxLatency: 20, classes: [.general]), on: nodes)
        #expect(s["near"]! == 1)
        #expect(s["far"]! == 0.75)
    }

    @Test func isNeutralWithoutAnOrigin() {
        let s = Fixture.scores(LatencyScorer(), Fixture.request(), on: [Fixture.node("a", site: "dc-1"), Fixture.node("b", site: "dc-2")])
        #expect(Set(s.values) == [1])
    }
}
