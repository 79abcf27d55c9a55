import Testing
@testable import Placement

struct LabelFilterTests {
    static let cases: [(labels: [String: String], required: [String: String], forbidden: [String: String], expected: NoFitReason?)] = [
        ([:], [:], [:], nil),
        (["ssd": "true"], ["ssd": "true"], [:], nil),
        (["ssd": "false"], ["ssd": "true"], [:], .labels),
        ([:], ["ssd": "true"], [:], .labels),
        (["arch": "arm"], [:], ["arch": "arm"], .labels),
        (["arch": "x86"], [:], ["arch": "arm"], nil),
        (["ssd": "true", "zone": "a"], ["ssd": "true", "zone": "a"], ["arch": "arm"], nil),
        (["ssd": "true", "zone": "a"], ["ssd": "true", "zone": "b"], [:], .labels),
    ]

    @Test(arguments: cases.indices)
    func matchesRequiredAndForbidden(_ i: Int) {
        let (labels, required, forbidden, expected) = Self.cases[i]
        // A second node carries labels no case asks for, so unknown pairs exist in the table.
        let state = Fixture.state([Fixture.node("n", labels: labels), Fixture.node("other", labels: ["zone": "b"])])
        let context = Fixture.context(Fixture.request(required: required, forbidden: forbidden), in: state)
        #expect(LabelFilter().check(node: 0, in: context) == expected)
    }
}
