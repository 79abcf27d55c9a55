import Testing
@testable import Placement

struct DefragmentationPlannerTests {
    /// Two AI nodes of 4 GPUs, each holding one half-GPU inference request: a 4-GPU request fits
    /// on neither.
    static func fragmented() -> (ClusterState, [PlacementRequest]) {
        var state = Fixture.state([
            Fixture.node("a", .ai, cpu: 64_000, memory: 262_144, gpus: Fixture.gpus(4)),
            Fixture.node("b", .ai, cpu: 64_000, memory: 262_144, gpus: Fixture.gpus(4)),
        ])
        var placer = Fixture.placer("spread")
        var specs: [PlacementRequest] = []
        for id in ["infer-1", "infer-2"] {
            let spec = Fixture.request(id, kind: .aiInference, cpu: 2_000, memory: 4_096, gpu: GPURequest(count: 1, milliPerGPU: 500), classes: [.ai])
            let placement = placer.place(spec, in: state).placement!
            try! state.commit(placement, of: spec)
            specs.append(spec)
        }
        return (state, specs)
    }

    static let training = Fixture.request("train", kind: .aiTraining, cpu: 16_000, memory: 65_536, gpu: GPURequest(count: 4), classes: [.ai])

    @Test("one move of a half-GPU request frees a node for a 4-GPU training job")
    func freesANode() throws {
        let (state, specs) = Self.fragmented()
        #expect(state.allocations.values.map { $0.replicas[0].nodeID }.sorted() == ["a", "b"])
        var probe = Fixture.placer()
        #expect(probe.place(Self.training, in: state).placement == nil)

        var planner = DefragmentationPlanner(placer: Fixture.placer())
        let found = planner.plan(toFit: Self.training, in: state, movable: specs)
        let plan = try #require(found)
        #expect(plan.moves.count == 1)
        #expect(plan.freedNodes.count == 1)
        let freed = try #require(plan.freedNodes.first)
        #expect(plan.placement == [freed])
        let move = plan.moves[0]
        #expect(move.from == [freed] && move.to != [freed])
    }

    @Test("requests not named movable stay, so there is no plan")
    func immovable() {
        let (state, _) = Self.fragmented()
        var planner = DefragmentationPlanner(placer: Fixture.placer())
        let plan = planner.plan(toFit: Self.training, in: state, movable: [])
        #expect(plan == nil)
    }

    @Test("a request that fits needs no move, and the snapshot is never changed")
    func fitsAlready() throws {
        let (state, specs) = Self.fragmented()
        var planner = DefragmentationPlanner(placer: Fixture.placer())
        let small = Fixture.request("small", kind: .aiInference, cpu: 1_000, memory: 1_024, gpu: GPURequest(count: 1), classes: [.ai])
        let found = planner.plan(toFit: small, in: state, movable: specs)
        let plan = try #require(found)
        #expect(plan.moves.isEmpty && plan.freedNodes.isEmpty && plan.placement.count == 1)
        _ = planner.plan(toFit: Self.training, in: state, movable: specs)
        #expect(state.allocations.count == 2)
        #expect(state.nodeStates == [.ready, .ready])
    }

    @Test("emptying nodes: already empty ones first, then the node emptied with the fewest moves; never more than the cluster can hold")
    func freeNodes() throws {
        var state = Fixture.state((1...4).map { Fixture.node("n\($0)", cpu: 10_000, memory: 10_240) })
        var placer = Fixture.placer("spread")
        var specs: [PlacementRequest] = []
        for (i, cpu) in [4_000, 3_000, 2_000].enumerated() {
            let spec = Fixture.request("r\(i)", cpu: Int64(cpu), memory: 1_024)
            try state.commit(placer.place(spec, in: state).placement!, of: spec)
            specs.append(spec)
        }
        #expect(state.requestCount(onNode: 3) == 0)
        var planner = DefragmentationPlanner(placer: Fixture.placer())
        let first = planner.plan(toFree: 1, in: state, movable: specs)
        let one = try #require(first)
        #expect(one.moves.isEmpty && one.freedNodes == ["n4"])
        let found = planner.plan(toFree: 3, in: state, movable: specs)
        let three = try #require(found)
        #expect(three.freedNodes.count == 3 && three.moves.count == 2)
        let after = try three.commit(to: state, requests: Dictionary(uniqueKeysWithValues: specs.map { ($0.id, $0) }))
        for node in three.freedNodes { #expect(after.requestCount(onNode: after.index(ofNode: node)!) == 0) }
        #expect(after.allocations.count == 3)
        let four = planner.plan(toFree: 4, in: state, movable: specs)
        let immovable = planner.plan(toFree: 2, in: state, movable: [])
        #expect(four == nil && immovable == nil)
    }
}
