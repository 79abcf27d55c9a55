import Foundation
import Placement
import Simulation
import Testing

/// Autoscaled services in the simulator: the scheduler's own autoscaler and rescaling over a
/// simulated day, compared with the same day with every service fixed at its max_replicas.
struct AutoscalingSimulationTests {
    static let day = "\(shippedScenarios)/autoscaling.yaml"

    /// The sample at simulated hour `hour`.
    static func sample(_ result: SimulationResult, hour: Double) -> SimulationResult.Sample {
        result.series.min { abs($0.time - hour * 3_600) < abs($1.time - hour * 3_600) }!
    }

    @Test("a simulated day: replicas follow the load, the peak is served within its wait targets, with fewer node-hours than fixed at max_replicas")
    func dayFollowsLoadAndSaves() throws {
        let input = try SimulationInput(scenario: try Scenario.load(file: Self.day))
        let result = try Simulator(input: input).runComparingFixedReplicas()
        let services = try #require(result.services)
        #expect(result.totals.targetsMet)
        for priority in ["production", "batch"] {
            let waits = try #require(result.waits.first { $0.group == "priority" && $0.name == priority })
            #expect(waits.met == true, "\(priority): p95 \(waits.p95) s against \(waits.target ?? 0) s")
        }
        // The office portal peaks by day, the video analytics in the evening; both shrink at night.
        let portal = { (hour: Double) in Self.sample(result, hour: hour).replicas?["service-portal"] ?? 0 }
        let video = { (hour: Double) in Self.sample(result, hour: hour).replicas?["video-analytics"] ?? 0 }
        #expect(portal(11) >= 3 * portal(3), "portal: \(portal(3)) at 03:00, \(portal(11)) at 11:00")
        #expect(video(20) >= 3 * video(10) / 2, "video: \(video(10)) at 10:00, \(video(20)) at 20:00")
        // Every sample holds at least what the load needs at full CPU, at the 60% target more.
        for sample in result.series where sample.time >= 900 {
            let held = sample.replicas?["service-portal"] ?? 0, needed = sample.neededReplicas?["service-portal"] ?? 0
            #expect(held >= needed, "at \(sample.time) s the portal holds \(held) replicas for a load needing \(needed)")
        }
        for service in services.services {
            #expect(service.autoscaled && service.scalings > 10)
            #expect(service.unservedShare < 0.001, "\(service.name) left \(service.unservedShare * 100)% of calls unserved")
            #expect(service.peakReplicas <= service.maxReplicas)
        }
        let fixed = try #require(services.fixedAtMax)
        #expect(fixed.targetsMet)
        #expect(services.nodeHours < fixed.nodeHours)
        #expect(fixed.saving > 0.2, "autoscaling saved \(fixed.saving * 100)% of node-hours")
        #expect(abs(fixed.saving - (1 - services.nodeHours / fixed.nodeHours)) < 1e-12)
        // The same scenario and seed, the same day.
        #expect(try Simulator(input: input).runComparingFixedReplicas() == result)
    }

    @Test("an edge service fills its edge site first and bursts to the cloud within its bound; a fixed service holds its size")
    func edgeFirst() throws {
        let scenario = try Scenario.load(file: try scenarioFile("""
            name: edge
            duration: 2h
            sample_interval: 5m
            sites: [{name: dc, x_km: 0, y_km: 0}, {name: edge-1, x_km: 10, y_km: 0}]
            latency: {base_ms: 0.1, per_km_ms: 0.5}
            cluster:
              pools:
                - {name: cloud, class: general, site: dc, count: 4, cpu: 32, memory_gib: 128}
                - {name: edge, class: edge, site: edge-1, count: 1, cpu: 8, memory_gib: 32}
            tenants: [{name: transport}]
            workload:
              services:
                - {name: video, tenant: transport, cpu: 2, memory_gib: 4, classes: [edge, general], origin_site: edge-1, max_latency_ms: 10,
                   calls_per_second: 100, calls_per_replica: 10, scaling: {max_replicas: 12, target_calls_per_replica: 10}}
                - {name: fixed, tenant: transport, cpu: 1, memory_gib: 1, calls_per_second: 5, calls_per_replica: 10, replicas: 3}
            """))
        var input = try SimulationInput(scenario: scenario)
        let result = try Simulator(input: input).run()
        let video = try #require(result.services?.services.first { $0.name == "video" })
        #expect(video.peakReplicas == 10)
        let last = try #require(result.series.last)
        #expect(last.replicas?["video"] == 10 && last.replicas?["fixed"] == 3)
        // The edge node (8 cores) holds 4 of the 2-core replicas; the other 6 went to the cloud.
        #expect(last.utilization["edge.cpu"] == 1)
        // Without a cloud within the bound, only the edge's 4 run and the rest wait.
        input.scenario.services[0].maxLatencyMs = 1
        let bounded = try Simulator(input: input).run()
        #expect(bounded.series.last?.replicas?["video"] == 4)
        // The replicas never placed waited to the end of the run, and count so.
        let waits = try #require(bounded.waits.first { $0.group == "priority" && $0.name == "standard" })
        #expect(waits.max > 7_000)
    }

    @Test("a service its tenant's quota starves misses its targets: its calls go unserved, its waiting replicas show as pending")
    func quotaStarvedServiceMissesTargets() throws {
        let scenario = try Scenario.load(file: try scenarioFile("""
            name: starved
            duration: 1d
            sample_interval: 15m
            cluster:
              pools: [{name: g, class: general, site: dc, count: 4, cpu: 16, memory_gib: 64}]
            tenants: [{name: water, quotas: {standard: {cpu: 20}}}]
            wait_targets: {standard: 1m}
            workload:
              services:
                - {name: portal, tenant: water, cpu: 2, memory_gib: 2, calls_per_second: 200, daily: daytime, calls_per_replica: 20,
                   scaling: {max_replicas: 20, target_calls_per_replica: 15}}
            """))
        let result = try Simulator(input: try SimulationInput(scenario: scenario)).runComparingFixedReplicas()
        let portal = try #require(result.services?.services.first)
        // The quota holds 10 replicas of 2 cores; the office-hours peak needs 22.
        #expect(portal.peakReplicas == 10)
        #expect(portal.unservedShare > 0.1)
        #expect(portal.met == false)
        #expect(result.totals.targetsMet == false)
        #expect(result.series.contains { $0.pendingByReason["quota"] == 1 })
        #expect(result.services?.fixedAtMax?.targetsMet == false)
    }
}
