import PropertyBased
import Testing
@testable import Placement

/// Invariants of the placer over random clusters and request streams.
struct PlacementPropertyTests {
    /// A random small city: classes, sites, partitions, labels, GPUs of two models, some nodes not ready.
    static func cluster(seed: UInt64) -> ClusterState {
        var rng = SplitMix64(seed: seed)
        let sites = ["dc-1", "dc-2", "edge-1"]
        let nodes = (0..<Int.random(in: 5...40, using: &rng)).map { i in
            let nodeClass = NodeClass.allCases.randomElement(using: &rng)!
            return Fixture.node(
                "n\(i)", nodeClass, site: sites.randomElement(using: &rng)!, partition: ["public", "public", "finance"].randomElement(using: &rng)!,
                cpu: [4_000, 8_000, 16_000].randomElement(using: &rng)!, memory: [8_192, 32_768].randomElement(using: &rng)!,
                disk: 200, bandwidth: 1_000,
                gpus: nodeClass == .ai || (nodeClass == .edge && Bool.random(using: &rng))
                    ? Fixture.gpus(Int.random(in: 1...4, using: &rng), ["A100", "T4"].randomElement(using: &rng)!) : [],
                labels: Bool.random(using: &rng) ? ["ssd": "true"] : [:],
                state: Int.random(in: 0..<10, using: &rng) == 0 ? .cordoned : .ready)
        }
        let pools = sites.map { StoragePool(id: "block-\($0)", site: $0, kind: .block, capacityGiB: 500) }
        return Fixture.state(nodes, pools: pools)
    }

    static func requests(seed: UInt64, count: Int) -> [PlacementRequest] {
        var rng = SplitMix64(seed: seed ^ 0xABCD)
        return (0..<count).map { i in
            var request = Fixture.request(
                "r\(i)", tenant: ["a", "b", "c"].randomElement(using: &rng)!, priority: PriorityClass.allCases.randomElement(using: &rng)!,
                kind: WorkloadKind.allCases.randomElement(using: &rng)!, replicas: Int.random(in: 1...4, using: &rng),
                gang: Bool.random(using: &rng), cpu: [500, 1_000, 2_000, 4_000].randomElement(using: &rng)!,
                memory: [512, 2_048, 8_192].randomElement(using: &rng)!, partition: ["public", "public", "finance"].randomElement(using: &rng)!)
            if Int.random(in: 0..<3, using: &rng) == 0 {
                request.gpu = Bool.random(using: &rng)
                    ? GPURequest(count: 1, milliPerGPU: [250, 500, 1_000].randomElement(using: &rng)!)
                    : GPURequest(count: Int.random(in: 1...2, using: &rng), models: Bool.random(using: &rng) ? ["A100"] : [])
            }
            if Int.random(in: 0..<4, using: &rng) == 0 { request.originSite = "dc-1"; request.maxLatencyMs = [3, 8, 50].randomElement(using: &rng)! }
            if Int.random(in: 0..<5, using: &rng) == 0 { request.requiredLabels = ["ssd": "true"] }
            if Int.random(in: 0..<5, using: &rng) == 0 { request.spread = SpreadConstraint(key: .site, required: Bool.random(using: &rng)) }
            if Int.random(in: 0..<5, using: &rng) == 0 { request.volumes = [VolumeRequest(kind: .block, sizeGiB: 50)] }
            if Int.random(in: 0..<6, using: &rng) == 0 { request.allowedClasses = [NodeClass.allCases.randomElement(using: &rng)!] }
            return request
        }
    }

    /// Runs the stream, committing every decision and releasing some requests, and checks the
    /// invariants after every step. Returns the decisions.
    @discardableResult
    static func run(seed: UInt64, scan: ScanLimit) -> [Decision] {
        var state = cluster(seed: seed)
        var placer = Placer(policy: try! PolicyRegistry.policy(named: "best-fit", scan: scan), seed: seed)
        var decisions: [Decision] = []
        var rng = SplitMix64(seed: seed ^ 0x77)
        for request in requests(seed: seed, count: 60) {
            let decision = placer.place(request, in: state)
            decisions.append(decision)
            switch decision {
            case .invalid:
                break
            case .noFit(let report):
                #expect(report.entries.reduce(0) { $0 + $1.nodes } == state.nodeCount, "every node is counted once")
                if request.replicas == 1 && !report.preemptionTried {
                    let resolved = Fixture.resolve(request, in: state)
                    let context = PlacementContext(state: state, request: resolved)
                    for node in 0..<state.nodeCount {
                        #expect(FilterChain.standard.fullReason(node: node, in: context) != nil, "no fit claimed, but \(state.node(at: node).id) fits")
                    }
                }
            case .placed(let placement):
                check(placement, of: request, in: state)
                try! state.commit(placement, of: request)
                checkCapacity(state)
            }
            if Int.random(in: 0..<4, using: &rng) == 0, let victim = state.allocations.keys.sorted().randomElement(using: &rng) {
                state.release(victim)
            }
        }
        return decisions
    }

    /// Every replica meets every constraint; gangs are whole; victims are strictly lower.
    static func check(_ placement: Placement, of request: PlacementRequest, in state: ClusterState) {
        let resolved = Fixture.resolve(request, in: state)
        if request.gang { #expect(placement.replicas.count == request.replicas, "gang \(request.id) placed in part") }
        #expect(placement.replicas.count + (placement.unplaced?.unplacedReplicas ?? 0) == request.replicas)
        let band = PriorityTable.standard.band(of: request.priority)
        #expect(placement.preempted.isEmpty || band.mayPreempt)
        for victim in placement.preempted {
            #expect(PriorityTable.standard.band(of: victim.priority).value < band.value, "\(request.id) preempted an equal or higher band")
        }
        var domains: [Int] = []
        for replica in placement.replicas {
            let node = state.node(at: replica.node)
            #expect(state.nodeStates[replica.node] == .ready)
            #expect(resolved.classes.contains(node.nodeClass))
            #expect(node.partition == request.partition)
            if let origin = request.originSite, let bound = request.maxLatencyMs {
                #expect(state.topology.latencyMs(from: origin, to: node.site) <= bound)
            }
            for (key, value) in request.requiredLabels { #expect(node.labels[key] == value) }
            if let gpu = request.gpu {
                #expect(replica.gpus.count == gpu.count)
                #expect(Set(replica.gpus.map(\.device)).count == gpu.count, "two shares on one GPU")
                for share in replica.gpus where !gpu.models.isEmpty { #expect(gpu.models.contains(node.gpus[share.device].model)) }
            }
            #expect(replica.volumes.count == request.volumes.count)
            if let spread = request.spread, spread.required {
                let domain = state.table.domain(of: replica.node, by: spread.key)
                #expect(!domains.contains(domain), "required spread violated")
                domains.append(domain)
            }
        }
    }

    static func checkCapacity(_ state: ClusterState) {
        for node in 0..<state.nodeCount {
            let free = state.freeResources(ofNode: node)
            #expect(free.cpuMillis >= 0 && free.memoryMiB >= 0 && free.diskGiB >= 0 && free.bandwidthMbps >= 0, "node over capacity")
            #expect(state.freeGPUMilli(ofNode: node).allSatisfy { (0...1_000).contains($0) }, "GPU over capacity")
        }
        for pool in state.storagePools.indices { #expect(state.freeGiB(ofPool: pool) >= 0, "pool over capacity") }
    }

    @Test func invariantsHoldWithAnExhaustiveScan() async {
        await propertyCheck(count: 60, input: Gen.uint64(in: 0...UInt64.max)) { seed in
            Self.run(seed: seed, scan: .all)
        }
    }

    @Test func invariantsHoldWithASampledScan() async {
        await propertyCheck(count: 60, input: Gen.uint64(in: 0...UInt64.max)) { seed in
            Self.run(seed: seed, scan: .feasible(2))
        }
    }

    @Test func decisionsAreDeterministic() async {
        await propertyCheck(count: 20, input: Gen.uint64(in: 0...UInt64.max)) { seed in
            #expect(Self.run(seed: seed, scan: .feasible(3)) == Self.run(seed: seed, scan: .feasible(3)))
        }
    }
}
