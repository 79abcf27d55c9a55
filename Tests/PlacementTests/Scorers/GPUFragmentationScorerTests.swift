import Testing
@testable import Placement

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
