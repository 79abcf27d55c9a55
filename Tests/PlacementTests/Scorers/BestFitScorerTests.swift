import Testing
@testable import Placement

struct BestFitScorerTests {
    @Test func prefersTheFullestNodeAfterPlacement() {
        let nodes = [Fixture.node("empty"), Fixture.node("half"), Fixture.node("nearly-full")]
        let s = Fixture.scores(BestFitScorer(), Fixture.request(cpu: 1_000, memory: 1_000), on: nodes, prefill: [("half", 4_000), ("nearly-full", 6_000)])
        #expect(s["nearly-full"]! > s["half"]!)
        #expect(s["half"]! > s["empty"]!)
    }

    @Test func countsGPUsOnGPUNodes() {
        let nodes = [Fixture.node("big", gpus: Fixture.gpus(8)), Fixture.node("small", gpus: Fixture.gpus(2))]
        let s = Fixture.scores(BestFitScorer(), Fixture.request(gpu: GPURequest(count: 2), classes: [.general]), on: nodes)
        #expect(s["small"]! > s["big"]!)
    }
}
