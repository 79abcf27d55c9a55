import Foundation
import Placement
import Testing

@testable import Simulation

/// Small scenarios whose outcome can be worked out by hand, run through the real placement core.
struct SimulatorTests {
    /// A scenario of `nodes` 4-core nodes replaying `trace` (generic CSV rows after the header).
    static func scenario(nodes: Int = 2, trace: String, extra: String = "", pools: String? = nil) throws -> SimulationInput {
        let tracePath = try scenarioFile("id,arrival,duration,priority,cpu,memory_gib,partition,queue_deadline\n\(trace)\n", extension: "csv")
        let text = """
            name: hand
            duration: 2h
            sample_interval: 10m
            wait_targets: {critical: 0, standard: 60, batch: 1h}
            cluster:
              pools:
            \(pools ?? "    - {name: n, class: general, site: a, count: \(nodes), cpu: 4, memory_gib: 16, idle_watts: 100, watts_per_busy_core: 10, price: {core_hour: 1}}")
            workload:
              traces: [{file: \(tracePath)}]
            \(extra)
            """
        return try SimulationInput(scenario: try Scenario.load(file: try scenarioFile(text)))
    }

    @Test func aThirdFullNodeRequestWaitsForTheFirstToLeave() throws {
        let input = try Self.scenario(trace: "a,0,100,standard,4,1,,\nb,0,300,standard,4,1,,\nc,0,100,standard,4,1,,")
        let result = try Simulator(input: input).run()
        #expect(result.totals.arrivals == 3)
        #expect(result.totals.placed == 3)
        #expect(result.totals.completed == 3)
        let standard = try #require(result.waits.first { $0.group == "priority" && $0.name == "standard" })
        #expect(standard.count == 3)
        #expect(standard.max == 100)  // c waits for a to leave
        #expect(standard.met == false)  // p95 100 s over the 60 s target
        #expect(result.totals.targetsMet == false)
        // Samples every 10 minutes over 2 hours, the first at 0 with two nodes full and c queued.
        #expect(result.series.count == 13)
        #expect(result.series[0].utilization["general.cpu"] == 1)
        #expect(result.series[0].pending == 1)
        #expect(result.series[0].pendingByReason == ["insufficient_cpu": 1])
        #expect(result.series[0].powerKW == 0.28)  // 2 × 100 W idle + 8 busy cores × 10 W
        // Energy and cost accrue at the rate of the previous sample: 8 busy cores at 1 per core-hour
        // for the first 10 minutes, nothing after (all three ended by 300 s).
        #expect(abs(result.totals.cost - 8.0 * 600 / 3_600) < 1e-9)
        #expect(abs(result.totals.energyKWh - (0.28 * 600 + 0.2 * 6_600) / 3_600) < 1e-9)
    }

    @Test func criticalWorkPreemptsBatchWhichStartsOver() throws {
        let input = try Self.scenario(nodes: 1, trace: "batch,0,1000,batch,4,1,,\nurgent,50,100,critical,4,1,,")
        let result = try Simulator(input: input).run()
        #expect(result.totals.preemptions == 1)
        #expect(result.totals.placed == 2)
        #expect(result.totals.replaced == 1)  // batch again once urgent left at 150
        #expect(result.totals.completed == 2)
        let batch = try #require(result.waits.first { $0.name == "batch" })
        #expect(batch.max == 100)  // requeued at 50, placed again at 150
        #expect(result.waits.first { $0.name == "critical" }?.max == 0)
    }

    @Test func queueDeadlinesGiveUpWaitingRequests() throws {
        let input = try Self.scenario(nodes: 1, trace: "long,0,5000,standard,4,1,,\nimpatient,10,100,standard,4,1,,30")
        let result = try Simulator(input: input).run()
        #expect(result.totals.deadlineExpired == 1)
        #expect(result.totals.placed == 1)
        #expect(result.totals.pendingAtEnd == 0)
    }

    @Test func requestsNoNodeCanTakeWaitWithTheirReasonWithoutBeingRetried() throws {
        let rows = (1...50).map { "vault-\($0),\($0),60,standard,1,1,finance," } + (1...400).map { "w\($0),\($0 * 10),60,standard,1,1,," }
        let result = try Simulator(input: try Self.scenario(trace: rows.joined(separator: "\n"))).run()
        #expect(result.totals.pendingAtEnd == 50)
        #expect(result.series.last?.pendingByReason == ["partition": 50])
        // Each was decided once, not again at each of the 400 departures.
        #expect(result.totals.decisions == 450)
    }

    @Test func failuresAndMaintenanceMoveWorkAndReturnNodes() throws {
        let rows = (0..<40).map { "r\($0),\($0 * 100),3000,standard,1,1,," }.joined(separator: "\n")
        let input = try Self.scenario(
            nodes: 4, trace: rows,
            extra: """
                events:
                  failures: [{class: general, mtbf: 30m, repair: 5m}]
                  maintenance: [{pool: n, start: 1h, length: 10m}]
                """)
        let result = try Simulator(input: input).run()
        #expect(result.totals.nodeFailures > 0)
        #expect(result.totals.interruptedByFailure > 0)
        #expect(result.totals.evictedForMaintenance > 0)
        #expect(result.totals.replaced > 0)
        #expect(result.series.contains { $0.nodesDown == 4 })  // the whole pool in maintenance at 1h
        #expect(result.series.last?.nodesDown ?? 1 < 4)
        #expect(result.totals.arrivals == 40)
    }

    @Test func theSameScenarioAndSeedGiveTheSameFiles() throws {
        let city = try SimulationInput.cityDay()
        let first = try Simulator(input: city).run()
        let second = try Simulator(input: city).run()
        #expect(first == second)
        #expect(first.totals.placed > 1_000)
        let a = FileManager.default.temporaryDirectory.appendingPathComponent("suanli-report-\(UUID().uuidString)").path
        let b = FileManager.default.temporaryDirectory.appendingPathComponent("suanli-report-\(UUID().uuidString)").path
        try ReportFiles.write(first, to: a)
        try ReportFiles.write(second, to: b)
        for name in ReportFiles.names {
            let x = try Data(contentsOf: URL(fileURLWithPath: "\(a)/\(name)")), y = try Data(contentsOf: URL(fileURLWithPath: "\(b)/\(name)"))
            #expect(x == y, "\(name) differs")
            #expect(!x.isEmpty)
        }
        var otherSeed = city
        otherSeed.scenario.seed = 2
        #expect(try Simulator(input: otherSeed).run().totals != first.totals)
    }

    @Test func theCityDayUsesEveryClass() throws {
        let result = try Simulator(input: try SimulationInput.cityDay()).run()
        for nodeClass in NodeClass.allCases { #expect((result.series.map { $0.utilization["\(nodeClass.rawValue).cpu"] ?? 0 }.max() ?? 0) > 0, "\(nodeClass)") }
        #expect(result.totals.latencyBound > 0)
        #expect(result.totals.energyKWh > 0)
        #expect(result.totals.cost > 0)
        let csv = ReportFiles.timeSeriesCSV(result).split(separator: "\n")
        #expect(csv.count == result.series.count + 1)
        #expect(csv[0].hasPrefix("time_s,util_ai_cpu,util_ai_gpu"))
    }
}

extension SimulationInput {
    /// The shipped city scenario, cut to one day.
    static func cityDay() throws -> SimulationInput {
        var scenario = try Scenario.load(file: "\(shippedScenarios)/city.yaml")
        scenario.duration = 86_400
        return try SimulationInput(scenario: scenario)
    }
}

struct CapacitySearchTests {
    @Test func findsTheFewestNodesThatMeetTheTargets() throws {
        // Ten requests each filling a 4-core node for the whole run, arriving together: waiting is
        // not allowed (standard target 60 s, each would wait 2 h), so exactly ten nodes are needed.
        let rows = (0..<10).map { "r\($0),0,7200,standard,4,1,," }.joined(separator: "\n")
        let input = try SimulatorTests.scenario(nodes: 3, trace: rows)
        let answer = try CapacitySearch(input: input).run()
        #expect(answer.found)
        // With nine, one waits the whole 2 h: the p95 of ten waits is that one.
        #expect(answer.classes == [CapacitySearch.ClassAnswer(nodeClass: "general", current: 3, needed: 10, binding: ["standard: p95 wait 2 h against a target of 1 min (seed 1)"])])
        #expect(answer.pools == ["n": 10])
        #expect(answer.seeds == [1, 2, 3])
        #expect(answer.spread.first { $0.priority == "standard" }.map { [$0.lowestP95, $0.highestP95] } == [0, 0])
        #expect(answer.result.totals.targetsMet)
        #expect(answer.result.totals.pendingAtEnd == 0)
    }

    @Test func countsARequestNeverPlaced() throws {
        // Forty small requests start at once; one more, a whole node for the whole run, arrives an
        // hour in. On one node it never runs: the p95 of 41 waits is 0, but it waits an hour at the
        // end, past its 60 s target, so one node is not enough.
        var rows = (0..<40).map { "s\($0),0,9000,standard,0.05,0.1,," }
        rows.append("big,3600,3600,standard,4,1,,")
        let input = try SimulatorTests.scenario(nodes: 1, trace: rows.joined(separator: "\n"))
        let one = try Simulator(input: input).run()
        let standard = try #require(one.waits.first { $0.name == "standard" })
        #expect(standard.p95 == 0 && standard.max == 3_600)
        #expect(!one.totals.targetsMet)
        #expect(one.missed == ["standard: 1 still waiting at the end, longer than the 1 min target (short of capacity)"])
        #expect(one.missCounts == ["waiting:standard:capacity": 1])
        let answer = try CapacitySearch(input: input, seeds: 1).run()
        #expect(answer.classes.map(\.needed) == [2])
        #expect(answer.classes.first?.binding == ["standard: 1 still waiting at the end, longer than the 1 min target (short of capacity) (seed 1)"])
    }

    @Test func saysSoWhenNoSizeIsEnoughAndSizesForTheRest() throws {
        // Larger than any node: rejected whatever the size. The small ones need a second node.
        let input = try SimulatorTests.scenario(nodes: 1, trace: "big,0,60,standard,8,1,,\na,0,7200,standard,4,1,,\nb,0,7200,standard,4,1,,")
        let answer = try CapacitySearch(input: input, maxFactor: 4, seeds: 1).run()
        #expect(!answer.found)
        #expect(answer.unreachable == ["1 rejected (larger than their tenant's quota, or invalid for the cluster) (seed 1)"])
        #expect(answer.classes.map(\.needed) == [2])
        #expect(answer.classes.first?.binding == ["standard: p95 wait 2 h against a target of 1 min (seed 1)"])
        // What no size serves is tolerated as it was at the largest size, not more: with no node
        // at all the small one is rejected too.
        let lone = try SimulatorTests.scenario(nodes: 1, trace: "big,0,60,standard,8,1,,\nsmall,0,60,batch,1,1,,")
        #expect(try CapacitySearch(input: lone, maxFactor: 2, seeds: 1).run().classes.map(\.needed) == [1])
        // A pool of no nodes grows with the others, and a factor that is no power of two is tried.
        let none = try SimulatorTests.scenario(nodes: 0, trace: "a,0,7200,standard,4,1,,")
        #expect(try CapacitySearch(input: none, maxFactor: 1.5, seeds: 1).run().classes.map(\.needed) == [1])
    }

    @Test func comparesFuturesOnTheSameSeeds() throws {
        // Three requests filling a node for an hour: three nodes place them at once; with two, the
        // third waits the hour out. A demand overlay cannot scale a trace.
        let rows = "a,0,3600,standard,4,1,,\nb,0,3600,standard,4,1,,\nc,0,3600,standard,4,1,,"
        let three = try SimulatorTests.scenario(nodes: 3, trace: rows), two = try SimulatorTests.scenario(nodes: 2, trace: rows)
        let comparison = try Comparison.run([("three", three), ("two", two)], seeds: 2)
        #expect(comparison.seeds == [1, 2])
        #expect(comparison.scenarios.map(\.seedsMeetingTargets) == [2, 0])
        #expect(comparison.scenarios[1].missed == ["standard: p95 wait 1 h against a target of 1 min"])
        let wait = try #require(comparison.rows.first { $0.figure == "p95 wait, standard" })
        #expect(wait.values == [0, 3_600] && wait.differences == [0, 3_600])
        let csv = comparison.csv.split(separator: "\n")
        #expect(csv[0] == "figure,unit,three,two,two - three")
        #expect(csv.contains("\"p95 wait, standard\",s,0,3600,3600"))
        #expect(throws: DemandOverlayError.self) { try three.scenario.applying(DemandOverlay(selector: "all", factor: 2)) }
    }

    @Test func needsWaitTargets() throws {
        var input = try SimulatorTests.scenario(nodes: 1, trace: "a,0,60,standard,1,1,,")
        input.scenario.waitTargets = [:]
        let error = #expect(throws: InputFileError.self) { try CapacitySearch(input: input).run() }
        #expect(error?.field == "wait_targets")
    }

    @Test func distributesNodesInProportion() {
        #expect(distribute(10, over: [3, 1]) == [8, 2])
        #expect(distribute(7, over: [1, 1, 1]) == [3, 2, 2])
        #expect(distribute(0, over: [5, 5]) == [0, 0])
    }
}
