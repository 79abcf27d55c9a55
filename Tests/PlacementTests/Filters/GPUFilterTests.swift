import Testing
@testable import Placement

struct GPUFilterTests {
    static let cases: [(gpu: GPURequest, used: [Int32], expected: NoFitReason?)] = [
        (GPURequest(count: 1), [], nil),
        (GPURequest(count: 4), [], nil),
        (GPURequest(count: 5), [], .gpuModel),
        (GPURequest(count: 1, models: ["V100"]), [], .gpuModel),
        (GPURequest(count: 1, models: ["A100", "V100"]), [], nil),
        (GPURequest(count: 1, minMemoryMiB: 81_920), [], .gpuModel),
        // Fractional requests need ONE GPU with that much free, not the sum over GPUs.
        (GPURequest(count: 1, milliPerGPU: 500), [600, 600, 600, 600], .insufficient(.gpu)),
        (GPURequest(count: 1, milliPerGPU: 400), [600, 600, 600, 600], nil),
        (GPURequest(count: 2), [1_000, 1_000, 500, 0], .insufficient(.gpu)),
        (GPURequest(count: 2), [1_000, 0, 0, 0], nil),
    ]

    @Test(arguments: cases.indices)
    func fitsDeviceByDevice(_ i: Int) {
        let (gpu, used, expected) = Self.cases[i]
        var state = Fixture.state([
            Fixture.node("n", gpus: Fixture.gpus(4)), Fixture.node("v", gpus: Fixture.gpus(1, "V100")), Fixture.node("big", gpus: Fixture.gpus(8)),
        ])
        if !used.isEmpty {
            let shares = used.enumerated().filter { $0.element > 0 }.map { GPUShare(device: $0.offset, milli: $0.element) }
            let replica = ReplicaAssignment(replica: 0, node: 0, nodeID: "n", resources: .zero, gpus: shares, volumes: [])
            try! state.commit(Placement(replicas: [replica]), of: Fixture.request("busy", kind: .aiTraining))
        }
        let context = Fixture.context(Fixture.request(kind: .aiInference, gpu: gpu, classes: [.general]), in: state)
        #expect(GPUFilter().check(node: 0, in: context) == expected)
    }
}
