import Testing
@testable import Placement

struct NodeClassFilterTests {
    static let cases: [(request: PlacementRequest, node: Node, expected: NoFitReason?)] = [
        (Fixture.request(kind: .service), Fixture.node("g"), nil),
        (Fixture.request(kind: .service), Fixture.node("a", .ai), .nodeClass),
        (Fixture.request(kind: .aiTraining), Fixture.node("a", .ai), nil),
        (Fixture.request(kind: .hpc), Fixture.node("g"), .nodeClass),
        (Fixture.request(kind: .batch), Fixture.node("h", .hpc), nil),
        (Fixture.request(classes: [.edge, .hpc]), Fixture.node("h", .hpc), nil),
        (Fixture.request(classes: [.edge]), Fixture.node("g"), .nodeClass),
        // Tight latency routes to edge by default.
        (Fixture.request(origin: "edge-1", maxLatency: 5), Fixture.node("e", .edge, site: "edge-1"), nil),
        (Fixture.request(origin: "edge-1", maxLatency: 5), Fixture.node("g", site: "edge-1"), .nodeClass),
    ]

    @Test(arguments: cases.indices)
    func routesByClass(_ i: Int) {
        let (request, node, expected) = Self.cases[i]
        let state = Fixture.state([node])
        let key = state.table.buckets[0].key
        #expect(NodeClassFilter().check(key, for: Fixture.resolve(request, in: state), in: state) == expected)
    }
}
