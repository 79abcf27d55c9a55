import Testing
@testable import Placement

struct DotProductScorerTests {
    @Test func prefersNodesWhoseFreeShapeMatchesTheRequest() {
        // A memory-heavy request aligns with the node that has memory free, not the one with CPU free.
        let nodes = [Fixture.node("cpu-free", cpu: 8_000, memory: 16_384), Fixture.node("memory-free", cpu: 8_000, memory: 16_384)]
        var state = Fixture.state(nodes)
        let fill = { (node: String, cpu: Int64, memory: Int64) in
            ReplicaAssignment(replica: 0, node: state.index(ofNode: node)!, nodeID: node, resources: Resources(cpuMillis: cpu, memoryMiB: memory), gpus: [], volumes: [])
        }
        try! state.commit(Placement(replicas: [fill("cpu-free", 0, 14_000)]), of: Fixture.request("a"))
        try! state.commit(Placement(replicas: [fill("memory-free", 7_000, 0)]), of: Fixture.request("b"))
        let context = Fixture.context(Fixture.request(cpu: 500, memory: 8_000), in: state)
        #expect(DotProductScorer().score(node: 1, in: context) > DotProductScorer().score(node: 0, in: context))
    }
}
