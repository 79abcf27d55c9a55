import Testing
@testable import Placement

/// Bad requests get an error naming the field, never a crash.
struct ValidationTests {
    static let state = Fixture.state([
        Fixture.node("g", cpu: 64_000, memory: 262_144), Fixture.node("a", .ai, gpus: Fixture.gpus(8)),
        Fixture.node("e", .edge, site: "edge-1"),
    ])

    static let cases: [(name: String, request: PlacementRequest, field: String, code: ValidationError.Code)] = [
        ("empty id", Fixture.request(""), "id", .invalid),
        ("empty tenant", Fixture.request(tenant: ""), "tenant", .invalid),
        ("zero replicas", Fixture.request(replicas: 0), "replicas", .outOfRange),
        ("absurd replicas", Fixture.request(replicas: 1_000_000), "replicas", .outOfRange),
        ("negative cpu", Fixture.request(cpu: -5), "resources.cpuMillis", .outOfRange),
        ("negative memory", Fixture.request(memory: -1), "resources.memoryMiB", .outOfRange),
        ("cpu above largest node", Fixture.request(cpu: 1_000_000), "resources.cpuMillis", .exceedsCluster),
        ("nothing asked", Fixture.request(cpu: 0, memory: 0), "resources", .nothingRequested),
        ("too many GPUs", Fixture.request(gpu: GPURequest(count: 9)), "gpu.count", .exceedsCluster),
        ("zero GPUs", Fixture.request(gpu: GPURequest(count: 0)), "gpu.count", .outOfRange),
        ("GPU share above one", Fixture.request(gpu: GPURequest(count: 1, milliPerGPU: 1_500)), "gpu.milliPerGPU", .outOfRange),
        ("share of several GPUs", Fixture.request(gpu: GPURequest(count: 2, milliPerGPU: 500)), "gpu.milliPerGPU", .contradictory),
        ("unknown GPU model", Fixture.request(gpu: GPURequest(count: 1, models: ["A100", "H200"])), "gpu.models[1]", .unknown),
        ("unknown origin", Fixture.request(origin: "mars"), "originSite", .unknown),
        ("bound without origin", Fixture.request(maxLatency: 5), "maxLatencyMs", .contradictory),
        ("negative bound", Fixture.request(origin: "dc-1", maxLatency: -1), "maxLatencyMs", .outOfRange),
        ("no classes", Fixture.request(classes: []), "allowedClasses", .invalid),
        ("label required and forbidden", Fixture.request(required: ["ssd": "true"], forbidden: ["ssd": "true"]), "forbiddenLabels.ssd", .contradictory),
        ("empty volume", Fixture.request(volumes: [VolumeRequest(kind: .block, sizeGiB: 0)]), "volumes[0].sizeGiB", .outOfRange),
        ("gang larger than the cluster", Fixture.request(kind: .hpc, replicas: 3, gang: true, cpu: 64_000, classes: [.general]), "replicas", .exceedsCluster),
        ("gang needs more GPUs than exist", Fixture.request(kind: .aiTraining, replicas: 2, gang: true, gpu: GPURequest(count: 8)), "replicas", .exceedsCluster),
        ("unknown component", { var r = Fixture.request(); r.component = ComponentReference(name: "nope"); return r }(), "component", .unknown),
        ("absurd everything", Fixture.request(replicas: Int.max, cpu: .max, gpu: GPURequest(count: .max)), "replicas", .outOfRange),
    ]

    @Test(arguments: cases.indices)
    func namesTheField(_ i: Int) {
        let (name, request, field, code) = Self.cases[i]
        do {
            _ = try RequestValidator().resolve(request, in: Self.state)
            Issue.record("\(name): expected an error on \(field)")
        } catch {
            #expect(error.field == field, "\(name)")
            #expect(error.code == code, "\(name)")
            #expect(!error.message.isEmpty)
        }
    }

    @Test func negativeLeaseAndEarlyDeadlineAreRejected() {
        var lease = Fixture.request()
        lease.leaseSeconds = 0
        #expect(throws: ValidationError(field: "leaseSeconds", code: .outOfRange, message: "a lease must be positive, got 0")) {
            _ = try RequestValidator().resolve(lease, in: Self.state)
        }
        var deadline = Fixture.request()
        deadline.submittedAt = 100
        deadline.queueDeadline = 50
        #expect(throws: ValidationError.self) { _ = try RequestValidator().resolve(deadline, in: Self.state) }
    }

    @Test func badClustersAreRejectedToo() {
        #expect(throws: ValidationError.self) { _ = try ClusterState(nodes: [Fixture.node("x"), Fixture.node("x")]) }
        #expect(throws: ValidationError.self) { _ = try ClusterState(nodes: [Fixture.node("x", cpu: -1)]) }
        #expect(throws: ValidationError.self) { _ = try ClusterState(nodes: [Fixture.node("x", cpu: .max)]) }
        let badLink = Topology(sites: ["dc-1", "dc-2"], links: [.init(from: "dc-1", to: "dc-2", latencyMs: -3)])
        #expect(throws: ValidationError(field: "topology.links[dc-1-dc-2]", code: .outOfRange, message: "latency must be a non-negative number of ms, got -3.0")) {
            _ = try ClusterState(nodes: [Fixture.node("x")], topology: badLink)
        }
        do {
            _ = try ClusterState(nodes: [Fixture.node("ok"), Fixture.node("", site: "dc-1")])
        } catch {
            #expect(error.field == "nodes[1].id")
        }
    }
}

struct ComponentCatalogTests {
    static let catalog = ComponentCatalog([
        ComponentEntry(name: "video-analytics", version: "1.9", kind: .aiInference, resources: Resources(cpuMillis: 2_000, memoryMiB: 4_096), gpu: GPURequest(count: 1, milliPerGPU: 500)),
        ComponentEntry(name: "video-analytics", version: "1.10", kind: .aiInference, resources: Resources(cpuMillis: 4_000, memoryMiB: 8_192), requiredLabels: ["camera-net": "true"]),
    ])

    @Test func requestsInheritTheNewestProfile() throws {
        var request = Fixture.request(kind: .component, cpu: 0, memory: 0)
        request.component = ComponentReference(name: "video-analytics")
        let resolved = try Self.catalog.resolve(request)
        #expect(resolved.resources == Resources(cpuMillis: 4_000, memoryMiB: 8_192))
        #expect(resolved.kind == .aiInference)
        #expect(resolved.requiredLabels == ["camera-net": "true"])
    }

    @Test func explicitFieldsWinAndVersionsCanBePinned() throws {
        var request = Fixture.request(cpu: 500, memory: 512)
        request.component = ComponentReference(name: "video-analytics", version: "1.9")
        let resolved = try Self.catalog.resolve(request)
        #expect(resolved.resources.cpuMillis == 500)
        #expect(resolved.gpu == GPURequest(count: 1, milliPerGPU: 500))
    }
}

struct PolicyRegistryTests {
    @Test(arguments: PolicyRegistry.policies.map(\.name))
    func everyBuiltInPolicyBuilds(_ name: String) throws {
        #expect(try PolicyRegistry.policy(named: name).name == name)
    }

    @Test func unknownNamesAreErrors() {
        #expect(throws: ValidationError.self) { try PolicyRegistry.policy(named: "magic") }
        #expect(throws: ValidationError.self) { try PolicyRegistry.policy(name: "x", weights: [("best-fit", -1)]) }
        #expect(throws: ValidationError.self) { try PolicyRegistry.policy(name: "x", weights: [("warp-drive", 1)]) }
        #expect(throws: ValidationError.self) { try PolicyRegistry.policy(name: "x", weights: []) }
    }

    @Test func composesByName() throws {
        let policy = try PolicyRegistry.policy(name: "mine", weights: [("latency", 2), ("cost", 1)], scan: .all)
        #expect(policy.scorers.map(\.scorer.name) == ["latency", "cost"])
        #expect(policy.scorers.map(\.weight) == [2, 1])
    }
}

struct TopologyTests {
    @Test func latencyIsSymmetricAndUnknownPairsAreUnreachable() {
        let topology = Fixture.topology
        #expect(topology.latencyMs(from: "dc-2", to: "dc-1") == 5)
        #expect(topology.latencyMs(from: "edge-1", to: "edge-1") == 0)
        var grown = topology
        grown.addSite("island")
        #expect(grown.latencyMs(from: "island", to: "dc-1") == .infinity)
        #expect(grown.latencyMs(from: "dc-1", to: "edge-1") == 2)
    }
}
