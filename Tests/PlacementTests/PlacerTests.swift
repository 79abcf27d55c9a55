import Testing
@testable import Placement

struct PlacerTests {
    @Test func placesOnTheBestFittingNode() {
        var state = Fixture.state([Fixture.node("a"), Fixture.node("b")])
        var placer = Fixture.placer()
        Fixture.placeAndCommit(Fixture.request("first", cpu: 6_000), in: &state, placer: &placer)
        let firstNode = state.allocations["first"]!.replicas[0].nodeID
        let second = Fixture.placeAndCommit(Fixture.request("second", cpu: 1_000), in: &state, placer: &placer)
        #expect(second?.replicas[0].nodeID == firstNode)
    }

    @Test func gangIsAllOrNothing() {
        let state = Fixture.state([Fixture.node("a"), Fixture.node("b"), Fixture.node("c")])
        var placer = Fixture.placer()
        let fits = Fixture.request("fits", kind: .hpc, replicas: 3, gang: true, cpu: 8_000, classes: [.general])
        #expect(placer.place(fits, in: state).placement?.replicas.count == 3)
        let tooMany = Fixture.request("too-many", kind: .hpc, replicas: 4, gang: true, cpu: 6_000, classes: [.general])
        guard case .noFit(let report) = placer.place(tooMany, in: state) else {
            Issue.record("a gang that does not fit must not be placed in part")
            return
        }
        #expect(report.unplacedReplicas == 4)
    }

    @Test func nonGangPlacesWhatFitsAndExplainsTheRest() {
        let state = Fixture.state([Fixture.node("a"), Fixture.node("b")])
        var placer = Fixture.placer()
        let placement = placer.place(Fixture.request(replicas: 3, cpu: 8_000), in: state).placement
        #expect(placement?.replicas.count == 2)
        #expect(placement?.unplaced?.unplacedReplicas == 1)
        #expect(placement?.unplaced?.nodes(failing: .insufficient(.cpu)) == 2)
    }

    @Test func replicasOfOneDecisionDoNotOvercommit() {
        let state = Fixture.state([Fixture.node("a", cpu: 4_000)])
        var placer = Fixture.placer()
        let placement = placer.place(Fixture.request(replicas: 3, cpu: 2_000), in: state).placement
        #expect(placement?.replicas.count == 2)
    }

    @Test func requiredSpreadPutsReplicasOnDistinctSites() {
        let nodes = [Fixture.node("a", site: "dc-1"), Fixture.node("b", site: "dc-1"), Fixture.node("c", site: "dc-2")]
        var placer = Fixture.placer()
        let request = Fixture.request(replicas: 2, gang: true, spread: SpreadConstraint(key: .site, required: true))
        let placement = placer.place(request, in: Fixture.state(nodes)).placement
        #expect(Set(placement?.replicas.map { nodes[$0.node].site } ?? []) == ["dc-1", "dc-2"])
    }

    @Test func softSpreadSpreadsUnderTheDefaultPolicy() {
        let nodes = [Fixture.node("a", site: "dc-1"), Fixture.node("b", site: "dc-1"), Fixture.node("c", site: "dc-2")]
        var placer = Fixture.placer()
        let placement = placer.place(Fixture.request(replicas: 2, spread: SpreadConstraint(key: .site)), in: Fixture.state(nodes)).placement
        #expect(Set(placement?.replicas.map { nodes[$0.node].site } ?? []).count == 2)
    }

    @Test func fractionalGPUsShareOnePhysicalGPU() {
        var state = Fixture.state([Fixture.node("a", gpus: Fixture.gpus(2))])
        var placer = Fixture.placer()
        for i in 0..<4 {
            let request = Fixture.request("r\(i)", gpu: GPURequest(count: 1, milliPerGPU: 500), classes: [.general])
            #expect(Fixture.placeAndCommit(request, in: &state, placer: &placer) != nil)
        }
        #expect(state.freeGPUMilli(ofNode: 0) == [0, 0])
        // Best fit within the node: the first two halves share GPU 0.
        #expect(state.allocations["r1"]!.replicas[0].gpus == [GPUShare(device: 0, milli: 500)])
    }

    @Test func noFitReportCountsEveryNodeOnce() {
        let nodes = [
            Fixture.node("small-1", cpu: 1_000), Fixture.node("small-2", cpu: 1_000), Fixture.node("finance", partition: "finance"),
            Fixture.node("far", site: "dc-2"), Fixture.node("cordoned", state: .cordoned), Fixture.node("ai", .ai),
        ]
        var placer = Fixture.placer()
        let request = Fixture.request(cpu: 4_000, origin: "dc-1", maxLatency: 4, classes: [.general])
        guard case .noFit(let report) = placer.place(request, in: Fixture.state(nodes)) else {
            Issue.record("expected no fit")
            return
        }
        #expect(report.nodes(failing: .insufficient(.cpu)) == 2)
        #expect(report.nodes(failing: .partition) == 1)
        #expect(report.nodes(failing: .nodeNotReady) == 1)
        #expect(report.nodes(failing: .nodeClass) == 1)
        #expect(report.nodes(failing: .latency) == 1)
        #expect(report.entries.reduce(0) { $0 + $1.nodes } == nodes.count)
        #expect(
            report.description
                == "cpu exhausted on 2 nodes, not ready on 1 node, wrong node class on 1 node, wrong partition on 1 node, latency above 4 ms on 1 node")
    }

    @Test func noFitCacheNeverHidesCapacityThatWasFreed() {
        var state = Fixture.state([Fixture.node("a"), Fixture.node("b")])
        var placer = Fixture.placer()
        Fixture.placeAndCommit(Fixture.request("x", cpu: 8_000), in: &state, placer: &placer)
        Fixture.placeAndCommit(Fixture.request("y", cpu: 8_000), in: &state, placer: &placer)
        let big = Fixture.request("big", cpu: 6_000)
        guard case .noFit = placer.place(big, in: state) else {
            Issue.record("expected no fit on a full cluster")
            return
        }
        guard case .noFit = placer.place(big, in: state) else {
            Issue.record("expected the cached no fit")
            return
        }
        state.release("x")
        #expect(placer.place(big, in: state).placement != nil)
    }

    @Test func sameInputsAndSeedGiveTheSameDecisions() {
        let nodes = (0..<50).map { Fixture.node("n\($0)", site: $0 % 2 == 0 ? "dc-1" : "dc-2", cpu: 4_000 + Int64($0 % 5) * 1_000) }
        let requests = (0..<80).map { Fixture.request("r\($0)", replicas: 1 + $0 % 3, cpu: Int64(500 + ($0 % 7) * 300)) }
        func run() -> [Decision] {
            var state = Fixture.state(nodes)
            var placer = Fixture.placer(scan: .feasible(4), seed: 42)
            return requests.map { request in
                let decision = placer.place(request, in: state)
                if let placement = decision.placement { try! state.commit(placement, of: request) }
                return decision
            }
        }
        #expect(run() == run())
    }

    @Test func invalidRequestsAreAnswerNotCrash() {
        var placer = Fixture.placer()
        guard case .invalid(let error) = placer.place(Fixture.request(cpu: -1), in: Fixture.state([Fixture.node("a")])) else {
            Issue.record("expected a validation error")
            return
        }
        #expect(error.field == "resources.cpuMillis")
    }
}

struct PreemptionTests {
    /// One node full of batch work of two ages and one standard request.
    static func fullNode() -> (ClusterState, Placer) {
        var state = Fixture.state([Fixture.node("a", cpu: 8_000)])
        var placer = Fixture.placer()
        Fixture.placeAndCommit(Fixture.request("old-batch", priority: .batch, cpu: 2_000), in: &state, placer: &placer)
        Fixture.placeAndCommit(Fixture.request("standard", priority: .standard, cpu: 2_000), in: &state, placer: &placer)
        Fixture.placeAndCommit(Fixture.request("young-batch", priority: .batch, cpu: 2_000), in: &state, placer: &placer)
        Fixture.placeAndCommit(Fixture.request("best-effort", priority: .bestEffort, cpu: 2_000), in: &state, placer: &placer)
        return (state, placer)
    }

    @Test func evictsTheCheapestVictims() {
        var (state, placer) = Self.fullNode()
        let critical = Fixture.request("critical", priority: .critical, cpu: 2_000)
        let placement = placer.place(critical, in: state).placement
        #expect(placement?.preempted.map(\.requestID) == ["best-effort"])
        let urgent = Fixture.request("urgent", priority: .emergency, cpu: 4_000)
        #expect(placer.place(urgent, in: state).placement?.preempted.map(\.requestID) == ["best-effort", "young-batch"])
        try! state.commit(placement!, of: critical)
        #expect(state.allocations["best-effort"] == nil)
    }

    @Test func neverPreemptsItsOwnBandOrAbove() {
        var state = Fixture.state([Fixture.node("a", cpu: 8_000)])
        var placer = Fixture.placer()
        Fixture.placeAndCommit(Fixture.request("production", priority: .production, cpu: 4_000), in: &state, placer: &placer)
        Fixture.placeAndCommit(Fixture.request("batch", priority: .batch, cpu: 4_000), in: &state, placer: &placer)
        // Bands that may not preempt never do.
        guard case .noFit = placer.place(Fixture.request("s", priority: .standard, cpu: 2_000), in: state) else {
            Issue.record("standard must not preempt")
            return
        }
        // Production may evict the batch work but not the other production request.
        guard case .noFit(let report) = placer.place(Fixture.request("p", priority: .production, cpu: 8_000), in: state) else {
            Issue.record("production must not evict production")
            return
        }
        #expect(report.preemptionTried)
        #expect(placer.place(Fixture.request("p2", priority: .production, cpu: 4_000), in: state).placement?.preempted.map(\.requestID) == ["batch"])
        #expect(Set(placer.place(Fixture.request("c", priority: .critical, cpu: 8_000), in: state).placement?.preempted.map(\.requestID) ?? []) == ["production", "batch"])
    }

    @Test func aPreemptedRequestNeverPreemptsInTurn() {
        var (state, placer) = Self.fullNode()
        var victim = Fixture.request("critical-again", priority: .critical, cpu: 2_000)
        victim.wasPreempted = true
        guard case .noFit = placer.place(victim, in: state) else {
            Issue.record("no cascades: a re-placed victim must not preempt")
            return
        }
        _ = state
    }

    @Test func gangsPreemptAcrossNodes() {
        var state = Fixture.state([Fixture.node("a", cpu: 4_000), Fixture.node("b", cpu: 4_000)])
        var placer = Fixture.placer()
        Fixture.placeAndCommit(Fixture.request("batch-a", priority: .batch, cpu: 4_000), in: &state, placer: &placer)
        Fixture.placeAndCommit(Fixture.request("batch-b", priority: .batch, cpu: 4_000), in: &state, placer: &placer)
        let gang = Fixture.request("mpi", priority: .critical, kind: .hpc, replicas: 2, gang: true, cpu: 4_000, classes: [.general])
        let placement = placer.place(gang, in: state).placement
        #expect(Set(placement?.preempted.map(\.requestID) ?? []) == ["batch-a", "batch-b"])
        try! state.commit(placement!, of: gang)
        #expect(state.freeResources(ofNode: 0).cpuMillis == 0 && state.freeResources(ofNode: 1).cpuMillis == 0)
    }
}

struct CommitTests {
    @Test func aStaleDecisionIsRefused() {
        var state = Fixture.state([Fixture.node("a", cpu: 4_000)])
        var placer = Fixture.placer()
        let first = Fixture.request("first", cpu: 3_000), second = Fixture.request("second", cpu: 3_000)
        let decisionA = placer.place(first, in: state).placement!
        let decisionB = placer.place(second, in: state).placement!
        try! state.commit(decisionA, of: first)
        #expect(throws: CommitConflict.self) { try state.commit(decisionB, of: second) }
        #expect(state.allocations["second"] == nil)
        #expect(state.freeResources(ofNode: 0).cpuMillis == 1_000)
    }

    @Test func releaseGivesEverythingBack() {
        let pools = [StoragePool(id: "p", site: "dc-1", kind: .block, capacityGiB: 100)]
        var state = Fixture.state([Fixture.node("a", gpus: Fixture.gpus(2))], pools: pools)
        var placer = Fixture.placer()
        let request = Fixture.request(cpu: 2_000, gpu: GPURequest(count: 1, milliPerGPU: 300), volumes: [VolumeRequest(kind: .block, sizeGiB: 40)], classes: [.general])
        Fixture.placeAndCommit(request, in: &state, placer: &placer)
        #expect(state.freeGiB(ofPool: 0) == 60)
        #expect(state.release("r1") != nil)
        #expect(state.freeResources(ofNode: 0) == state.node(at: 0).capacity)
        #expect(state.freeGPUMilli(ofNode: 0) == [1_000, 1_000])
        #expect(state.freeGiB(ofPool: 0) == 100)
        #expect(state.release("r1") == nil)
    }

    @Test func aDecisionCommittedTwiceIsRefused() {
        var state = Fixture.state([Fixture.node("a")])
        var placer = Fixture.placer()
        let request = Fixture.request(cpu: 1_000)
        let placement = placer.place(request, in: state).placement!
        try! state.commit(placement, of: request)
        #expect(throws: CommitConflict.self) { try state.commit(placement, of: request) }
        #expect(state.freeResources(ofNode: 0).cpuMillis == 7_000)
        #expect(throws: CommitConflict.self) { try state.commit(Placement(replicas: []), of: Fixture.request("empty")) }
    }

    @Test func laterReplicasOfAPartlyPlacedRequestJoinItsAllocation() {
        var state = Fixture.state([Fixture.node("a", cpu: 4_000), Fixture.node("b", cpu: 4_000)])
        var placer = Fixture.placer()
        Fixture.placeAndCommit(Fixture.request("blocker", cpu: 4_000), in: &state, placer: &placer)
        let request = Fixture.request(replicas: 2, cpu: 4_000)
        let first = placer.place(request, in: state).placement!
        #expect(first.replicas.map(\.replica) == [0] && first.unplaced?.unplacedReplicas == 1)
        try! state.commit(first, of: request)
        guard case .noFit = placer.place(request, in: state) else {
            Issue.record("the missing replica still does not fit")
            return
        }
        state.release("blocker")
        let rest = placer.place(request, in: state).placement!
        #expect(rest.replicas.map(\.replica) == [1])
        try! state.commit(rest, of: request)
        #expect(state.allocations[request.id]?.replicas.map(\.replica) == [0, 1])
        guard case .invalid(let error) = placer.place(request, in: state) else {
            Issue.record("a request holding every replica has nothing to place")
            return
        }
        #expect(error.field == "id")
    }

    @Test func aCordonedNodeRefusesCommits() {
        var state = Fixture.state([Fixture.node("a")])
        var placer = Fixture.placer()
        let placement = placer.place(Fixture.request(), in: state).placement!
        state.setState(.cordoned, ofNode: 0)
        #expect(throws: CommitConflict.self) { try state.commit(placement, of: Fixture.request()) }
    }
}
