import Testing
@testable import Placement

struct NodeStateFilterTests {
    @Test(arguments: NodeState.allCases)
    func onlyReadyNodesTakeWork(_ nodeState: NodeState) {
        let state = Fixture.state([Fixture.node("n", state: nodeState)])
        let result = NodeStateFilter().check(node: 0, in: Fixture.context(Fixture.request(), in: state))
        #expect(result == (nodeState == .ready ? nil : .nodeNotReady))
    }
}
