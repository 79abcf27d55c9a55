import Testing
@testable import Placement

struct CostScorerTests {
    @Test func prefersCheaperNodes() {
        let nodes = [
            Fixture.node("dear", price: PriceRate(perCoreHour: 0.10, perGiBMemoryHour: 0.01)),
            Fixture.node("cheap", price: PriceRate(perCoreHour: 0.02, perGiBMemoryHour: 0.002)),
        ]
        let s = Fixture.scores(CostScorer(), Fixture.request(cpu: 2_000, memory: 4_096), on: nodes)
        #expect(s["cheap"]! > s["dear"]!)
        #expect(s["dear"]! == 0)
    }
}
