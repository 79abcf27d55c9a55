import Placement
import Simulation
import Testing

struct SyntheticCityTests {
    @Test func hasEveryClassTwentySitesThreePartitionsAndGPUs() throws {
        let city = SyntheticCity(nodeCount: 2_000, seed: 3)
        #expect(Set(city.nodes.map(\.nodeClass)) == Set(NodeClass.allCases))
        #expect(Set(city.nodes.map(\.site)).count == 20)
        #expect(Set(city.nodes.map(\.partition)) == Set(SyntheticCity.partitions))
        #expect(city.nodes.filter { $0.nodeClass == .ai }.allSatisfy { $0.gpus.count == 8 })
        #expect(city.nodes.filter { $0.nodeClass == .general }.allSatisfy { $0.gpus.isEmpty })
        let state = try city.clusterState()
        #expect(state.nodeCount == 2_000)
        // Every pair of distinct sites is linked: 0.1 ms plus 0.4 ms per km, in a 40 km square.
        let sites = city.dataCenters + city.edgeSites
        for a in sites { for b in sites where a != b { #expect((0.1...22.8).contains(city.topology.latencyMs(from: a, to: b))) } }
    }

    @Test func sameSeedSameCity() {
        #expect(SyntheticCity(nodeCount: 300, seed: 9).nodes == SyntheticCity(nodeCount: 300, seed: 9).nodes)
    }
}

struct CityWorkloadTests {
    @Test func mixesEveryKindAndBand() throws {
        let city = SyntheticCity(nodeCount: 500, seed: 1)
        var workload = CityWorkload(city: city, seed: 1)
        let requests = (0..<5_000).map { _ in workload.next() }
        #expect(Set(requests.map(\.kind)).isSuperset(of: [.service, .vm, .batch, .aiInference, .aiTraining, .hpc]))
        #expect(Set(requests.map(\.priority)) == Set(PriorityClass.allCases))
        #expect(requests.contains { $0.gang && $0.replicas > 1 })
        #expect(requests.contains { $0.maxLatencyMs != nil && $0.originSite != nil })
        let state = try city.clusterState()
        let validator = RequestValidator()
        for request in requests where !request.gang {
            #expect(throws: Never.self) { try validator.resolve(request, in: state) }
        }
    }
}

struct PlacementBenchmarkTests {
    @Test func accountsForEveryRequestAndExercisesEveryPath() throws {
        let policy = try PolicyRegistry.policy(named: "best-fit")
        let result = try PlacementBenchmark(nodeCount: 400, requestCount: 6_000, seed: 5, policy: policy).run()
        #expect(result.placed + result.partiallyPlaced + result.noFit + result.invalid + result.conflicts == 6_000)
        #expect(result.conflicts == 0, "one writer commits what the placer decided on the same state")
        #expect(result.gangsPlaced > 0)
        #expect(result.preemptions > 0)
        #expect(result.noFit > 0)
        #expect(result.meanCPUUtilization > 0.3 && result.meanCPUUtilization <= 1)
        #expect(result.p50DecisionMicros > 0 && result.p50DecisionMicros <= result.p99DecisionMicros)
        #expect(result.p99DecisionMicros <= result.maxDecisionMicros)
        #expect(result.decisionsPerSecond > 0)
    }

    @Test func sameSeedSameDecisions() throws {
        let policy = try PolicyRegistry.policy(named: "best-fit")
        let a = try PlacementBenchmark(nodeCount: 200, requestCount: 2_000, seed: 8, policy: policy).run()
        let b = try PlacementBenchmark(nodeCount: 200, requestCount: 2_000, seed: 8, policy: policy).run()
        #expect([a.placed, a.partiallyPlaced, a.noFit, a.preemptions] == [b.placed, b.partiallyPlaced, b.noFit, b.preemptions])
    }
}
