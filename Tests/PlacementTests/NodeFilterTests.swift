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

struct ResourceFitFilterTests {
    static let cases: [(cpu: Int64, memory: Int64, disk: Int64, bandwidth: Int64, expected: NoFitReason?)] = [
        (8_000, 16_384, 100, 1_000, nil),
        (8_001, 1, 0, 0, .insufficient(.cpu)),
        (1, 16_385, 0, 0, .insufficient(.memory)),
        (1, 1, 101, 0, .insufficient(.disk)),
        (1, 1, 0, 1_001, .insufficient(.bandwidth)),
        (9_000, 20_000, 0, 0, .insufficient(.cpu)),
    ]

    @Test(arguments: cases.indices)
    func checksEveryDimension(_ i: Int) {
        let (cpu, memory, disk, bandwidth, expected) = Self.cases[i]
        let state = Fixture.state([Fixture.node("n"), Fixture.node("big", cpu: 64_000, memory: 65_536, disk: 1_000, bandwidth: 10_000)])
        let context = Fixture.context(Fixture.request(cpu: cpu, memory: memory, disk: disk, bandwidth: bandwidth), in: state)
        #expect(ResourceFitFilter().check(node: 0, in: context) == expected)
    }

    @Test func seesWhatIsAlreadyAllocated() {
        var state = Fixture.state([Fixture.node("n")])
        var placer = Fixture.placer()
        Fixture.placeAndCommit(Fixture.request("first", cpu: 6_000), in: &state, placer: &placer)
        let context = Fixture.context(Fixture.request("second", cpu: 3_000), in: state)
        #expect(ResourceFitFilter().check(node: 0, in: context) == .insufficient(.cpu))
    }
}

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

struct StorageFilterTests {
    static let pools = [
        StoragePool(id: "b1", site: "dc-1", kind: .block, capacityGiB: 100),
        StoragePool(id: "o2", site: "dc-2", kind: .object, capacityGiB: 1_000),
        StoragePool(id: "f1", site: "dc-1", kind: .file, capacityGiB: 100, partition: "finance"),
    ]
    static let cases: [(volumes: [VolumeRequest], bound: Double?, partition: String, expected: NoFitReason?)] = [
        ([], nil, "public", nil),
        ([VolumeRequest(kind: .block, sizeGiB: 100)], nil, "public", nil),
        ([VolumeRequest(kind: .block, sizeGiB: 101)], nil, "public", .insufficient(.storage)),
        ([VolumeRequest(kind: .block, sizeGiB: 60), VolumeRequest(kind: .block, sizeGiB: 60)], nil, "public", .insufficient(.storage)),
        // Object storage only at dc-2: reachable within a 5 ms bound, not without a bound.
        ([VolumeRequest(kind: .object, sizeGiB: 10)], nil, "public", .insufficient(.storage)),
        ([VolumeRequest(kind: .object, sizeGiB: 10)], 5, "public", nil),
        ([VolumeRequest(kind: .object, sizeGiB: 10)], 4, "public", .insufficient(.storage)),
        // Pools serve one partition.
        ([VolumeRequest(kind: .file, sizeGiB: 10)], nil, "public", .insufficient(.storage)),
    ]

    @Test(arguments: cases.indices)
    func placesVolumesNearby(_ i: Int) {
        let (volumes, bound, partition, expected) = Self.cases[i]
        let state = Fixture.state([Fixture.node("n", site: "dc-1", partition: partition)], pools: Self.pools)
        let request = Fixture.request(volumes: volumes, origin: bound == nil ? nil : "dc-1", maxLatency: bound, classes: [.general], partition: partition)
        #expect(StorageFilter().check(node: 0, in: Fixture.context(request, in: state)) == expected)
    }
}
