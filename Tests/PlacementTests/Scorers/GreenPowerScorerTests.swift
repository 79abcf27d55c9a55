import Testing
@testable import Placement

struct GreenPowerScorerTests {
    @Test func prefersRenewablePowerThenEfficiency() {
        let nodes = [
            Fixture.node("coal", green: 0.1, watts: 5), Fixture.node("solar", green: 0.9, watts: 15),
            Fixture.node("solar-efficient", green: 0.9, watts: 5),
        ]
        let s = Fixture.scores(GreenPowerScorer(), Fixture.request(), on: nodes)
        #expect(s["solar-efficient"]! > s["solar"]!)
        #expect(s["solar"]! > s["coal"]!)
    }
}
