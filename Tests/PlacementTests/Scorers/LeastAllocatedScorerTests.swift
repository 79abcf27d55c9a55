import Testing
@testable import Placement

struct LeastAllocatedScorerTests {
    @Test func prefersTheEmptiestNode() {
        let nodes = [Fixture.node("empty"), Fixture.node("busy")]
        let s = Fixture.scores(LeastAllocatedScorer(), Fixture.request(), on: nodes, prefill: [("busy", 4_000)])
        #expect(s["empty"]! > s["busy"]!)
    }
}
