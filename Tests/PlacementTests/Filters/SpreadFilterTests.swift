import Testing
@testable import Placement

struct SpreadFilterTests {
    static let nodes = [
        Fixture.node("a", site: "dc-1", labels: ["rack": "r1"]), Fixture.node("b", site: "dc-1", labels: ["rack": "r2"]),
        Fixture.node("c", site: "dc-2", labels: ["rack": "r1"]),
    ]
    static let cases: [(key: SpreadKey, required: Bool, earlier: [String], node: String, expected: NoFitReason?)] = [
        (.site, true, [], "a", nil),
        (.site, true, ["a"], "b", .spread),
        (.site, true, ["a"], "c", nil),
        (.node, true, ["a"], "a", .spread),
        (.node, true, ["a"], "b", nil),
        (.label("rack"), true, ["a"], "c", .spread),
        (.label("rack"), true, ["a"], "b", nil),
        (.site, false, ["a"], "b", nil),
    ]

    @Test(arguments: cases.indices)
    func keepsReplicasApart(_ i: Int) {
        let (key, required, earlier, node, expected) = Self.cases[i]
        let state = Fixture.state(Self.nodes)
        let request = Fixture.request(replicas: 2, spread: SpreadConstraint(key: key, required: required))
        let context = Fixture.context(request, in: state, earlier: earlier.map { state.index(ofNode: $0)! })
        #expect(SpreadFilter().check(node: state.index(ofNode: node)!, in: context) == expected)
    }
}
