import Testing
@testable import Placement

/// Each scorer ranks a small table of nodes for one request; the tests check the order and range.
private func scores(_ scorer: some PlacementScorer, _ request: PlacementRequest, on nodes: [Node], earlier: [String] = [], prefill: [(String, Int64)] = []) -> [String: Double] {
    var state = Fixture.state(nodes)
    for (i, (node, cpu)) in prefill.enumerated() {
        let replica = ReplicaAssignment(replica: 0, node: state.index(ofNode: node)!, nodeID: node, resources: Resources(cpuMillis: cpu, memoryMiB: cpu), gpus: [], volumes: [])
        try! state.commit(Placement(replicas: [replica]), of: Fixture.request("prefill-\(i)"))
    }
    let context = Fixture.context(request, in: state, earlier: earlier.map { state.index(ofNode: $0)! })
    var result: [String: Double] = [:]
    for (i, node) in nodes.enumerated() {
        let score = scorer.score(node: i, in: context)
        #expect((0...1).contains(score), "\(scorer.name) scored \(node.id) outside 0...1: \(score)")
        result[node.id] = score
    }
    return result
}

struct BestFitScorerTests {
    @Test func prefersTheFullestNodeAfterPlacement() {
        let nodes = [Fixture.node("empty"), Fixture.node("half"), Fixture.node("nearly-full")]
        let s = scores(BestFitScorer(), Fixture.request(cpu: 1_000, memory: 1_000), on: nodes, prefill: [("half", 4_000), ("nearly-full", 6_000)])
        #expect(s["nearly-full"]! > s["half"]!)
        #expect(s["half"]! > s["empty"]!)
    }

    @Test func countsGPUsOnGPUNodes() {
        let nodes = [Fixture.node("big", gpus: Fixture.gpus(8)), Fixture.node("small", gpus: Fixture.gpus(2))]
        let s = scores(BestFitScorer(), Fixture.request(gpu: GPURequest(count: 2), classes: [.general]), on: nodes)
        #expect(s["small"]! > s["big"]!)
    }
}

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

struct SpreadScorerTests {
    static let nodes = [Fixture.node("a", site: "dc-1"), Fixture.node("b", site: "dc-1"), Fixture.node("c", site: "dc-2")]

    @Test func prefersDomainsWithFewerReplicas() {
        let s = scores(SpreadScorer(), Fixture.request(replicas: 3, spread: SpreadConstraint(key: .site)), on: Self.nodes, earlier: ["a"])
        #expect(s["c"]! > s["b"]!)
        #expect(s["b"]! == 0.5)
    }

    @Test func isNeutralWithoutASpreadKey() {
        let s = scores(SpreadScorer(), Fixture.request(replicas: 3), on: Self.nodes, earlier: ["a"])
        #expect(Set(s.values) == [1])
    }
}

struct LeastAllocatedScorerTests {
    @Test func prefersTheEmptiestNode() {
        let nodes = [Fixture.node("empty"), Fixture.node("busy")]
        let s = scores(LeastAllocatedScorer(), Fixture.request(), on: nodes, prefill: [("busy", 4_000)])
        #expect(s["empty"]! > s["busy"]!)
    }
}

struct GreenPowerScorerTests {
    @Test func prefersRenewablePowerThenEfficiency() {
        let nodes = [
            Fixture.node("coal", green: 0.1, watts: 5), Fixture.node("solar", green: 0.9, watts: 15),
            Fixture.node("solar-efficient", green: 0.9, watts: 5),
        ]
        let s = scores(GreenPowerScorer(), Fixture.request(), on: nodes)
        #expect(s["solar-efficient"]! > s["solar"]!)
        #expect(s["solar"]! > s["coal"]!)
    }
}

struct LatencyScorerTests {
    @Test func prefersNodesNearTheOrigin() {
        let nodes = [Fixture.node("near", site: "dc-1"), Fixture.node("far", site: "dc-2")]
        let s = scores(LatencyScorer(), Fixture.request(origin: "dc-1", maxLatency: 20, classes: [.general]), on: nodes)
        #expect(s["near"]! == 1)
        #expect(s["far"]! == 0.75)
    }

    @Test func isNeutralWithoutAnOrigin() {
        let s = scores(LatencyScorer(), Fixture.request(), on: [Fixture.node("a", site: "dc-1"), Fixture.node("b", site: "dc-2")])
        #expect(Set(s.values) == [1])
    }
}

struct CostScorerTests {
    @Test func prefersCheaperNodes() {
        let nodes = [
            Fixture.node("dear", price: PriceRate(perCoreHour: 0.10, perGiBMemoryHour: 0.01)),
            Fixture.node("cheap", price: PriceRate(perCoreHour: 0.02, perGiBMemoryHour: 0.002)),
        ]
        let s = scores(CostScorer(), Fixture.request(cpu: 2_000, memory: 4_096), on: nodes)
        #expect(s["cheap"]! > s["dear"]!)
        #expect(s["dear"]! == 0)
    }
}

struct GPUFragmentationScorerTests {
    /// Typical pods: half want half a GPU, half want a whole GPU.
    static let profile = WorkloadProfile(shapes: [
        .init(resources: Resources(cpuMillis: 1_000, memoryMiB: 1_024), gpu: GPURequest(count: 1, milliPerGPU: 500), weight: 0.5),
        .init(resources: Resources(cpuMillis: 1_000, memoryMiB: 1_024), gpu: GPURequest(count: 1), weight: 0.5),
    ])

    @Test func prefersFillingAPartlyUsedGPUOverBreakingAWholeOne() {
        // Node "partial" has one GPU half used; node "whole" has an untouched GPU. A half-GPU pod on
        // "partial" removes fragmentation; on "whole" it creates some.
        var state = Fixture.state([Fixture.node("partial", gpus: Fixture.gpus(1)), Fixture.node("whole", gpus: Fixture.gpus(1))])
        let replica = ReplicaAssignment(replica: 0, node: 0, nodeID: "partial", resources: .zero, gpus: [GPUShare(device: 0, milli: 500)], volumes: [])
        try! state.commit(Placement(replicas: [replica]), of: Fixture.request("half"))
        let context = Fixture.context(Fixture.request(gpu: GPURequest(count: 1, milliPerGPU: 500), classes: [.general]), in: state)
        let scorer = GPUFragmentationScorer(profile: Self.profile)
        #expect(scorer.score(node: 0, in: context) > scorer.score(node: 1, in: context))
    }

    @Test func measuresFragmentationAsThePaperDefinesIt() {
        let scorer = GPUFragmentationScorer(profile: Self.profile)
        let free: [Int32] = [1_000, 300]
        let models: [Int32] = [0, 0]
        let memory: [Int64] = [40_960, 40_960]
        let measure = free.withUnsafeBufferPointer { f in
            models.withUnsafeBufferPointer { m in
                memory.withUnsafeBufferPointer { mem in
                    scorer.fragment(free: Resources(cpuMillis: 8_000, memoryMiB: 8_192), gpuFree: f, models: m, memory: mem, shapeModels: [[], []])
                }
            }
        }
        // Half-GPU pods fit and strand the 300 on GPU 1; whole-GPU pods fit and strand it too.
        #expect(measure == 300)
        let starved = free.withUnsafeBufferPointer { f in
            models.withUnsafeBufferPointer { m in
                memory.withUnsafeBufferPointer { mem in
                    scorer.fragment(free: Resources(cpuMillis: 500, memoryMiB: 8_192), gpuFree: f, models: m, memory: mem, shapeModels: [[], []])
                }
            }
        }
        // Without CPU no pod fits: every free thousandth is fragment.
        #expect(starved == 1_300)
    }

    @Test func profileKeepsTheMostFrequentShapes() {
        let requests = (0..<100).map { i in
            Fixture.request("r\(i)", cpu: i < 90 ? 1_000 : Int64(2_000 + i), gpu: GPURequest(count: 1, milliPerGPU: 500))
        }
        let profile = WorkloadProfile(typicalOf: requests, coverage: 0.9)
        #expect(profile.shapes.count == 1)
        #expect(profile.shapes[0].weight == 1)
        #expect(WorkloadProfile(typicalOf: requests, coverage: 0.95).shapes.count == 6)
    }
}
