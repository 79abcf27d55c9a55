import Foundation
import Simulation
import Testing

/// Runs the built `suanli-sim` binary, as a user would.
struct SimulatorCommandTests {
    /// The binary sits beside the test bundle in the build folder.
    static let binary = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        .appendingPathComponent(CommandLine.arguments[0].hasSuffix(".xctest") ? "suanli-sim" : "../suanli-sim").standardized

    static func run(_ arguments: [String]) throws -> (status: Int32, output: String, error: String) {
        let process = Process()
        process.executableURL = binary
        process.arguments = arguments
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let output = out.fileHandleForReading.readDataToEndOfFile()
        let error = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: output, as: UTF8.self), String(decoding: error, as: UTF8.self))
    }

    @Test func benchPrintsTheRequiredFiguresAsJSON() throws {
        let (status, output, _) = try Self.run(["bench", "--nodes", "300", "--requests", "1500", "--json"])
        #expect(status == 0)
        let object = try JSONSerialization.jsonObject(with: Data(output.utf8)) as? [String: Any]
        for key in ["nodes", "requests", "placed", "decisions_per_second", "p50_decision_us", "p99_decision_us"] {
            #expect(object?[key] != nil, "missing \(key)")
        }
        #expect(object?["nodes"] as? Int == 300)
        #expect(object?["requests"] as? Int == 1_500)
        #expect((object?["placed"] as? Int ?? 0) > 0)
    }

    @Test(arguments: [
        (["bench", "--nodes", "0"], "--nodes"),
        (["bench", "--requests", "-3"], "--requests"),
        (["bench", "--policy", "magic"], "--policy"),
        (["bench", "--scan", "x"], "--scan"),
    ])
    func badFlagsNameTheFlag(_ arguments: [String], _ flag: String) throws {
        let (status, _, error) = try Self.run(arguments)
        #expect(status != 0)
        #expect(error.contains(flag), "stderr: \(error)")
    }

    @Test func openbPrintsMeansOverSeedsAsJSON() throws {
        let (nodes, pods) = try OpenBTraceTests.files()
        let (status, output, error) = try Self.run(["openb", "--nodes", nodes, "--pods", pods, "--policy", "fgd-balanced", "--seeds", "3", "--json"])
        #expect(status == 0, "\(error)")
        let object = try JSONSerialization.jsonObject(with: Data(output.utf8)) as? [String: Any]
        #expect(object?["policy"] as? String == "fgd-balanced")
        #expect(object?["seeds"] as? Int == 3)
        #expect(object?["allocated_pct_at_100"] is Double)
        #expect(object?["allocated_pct_at_130"] is Double)
        #expect((object?["curve"] as? [[String: Double]])?.count == 26)
    }

    @Test func openbNamesAMissingOrBrokenFile() throws {
        let (status, _, error) = try Self.run(["openb", "--nodes", "/nonexistent/nodes.csv", "--pods", "/nonexistent/pods.csv"])
        #expect(status != 0)
        #expect(error.contains("/nonexistent/nodes.csv"))
        let (nodes, _) = try OpenBTraceTests.files()
        let (_, pods) = try OpenBTraceTests.files(pods: "name,cpu_milli,memory_mib,num_gpu,gpu_milli,gpu_spec\np0,1,1,three,0,")
        let (brokenStatus, _, brokenError) = try Self.run(["openb", "--nodes", nodes, "--pods", pods])
        #expect(brokenStatus != 0)
        #expect(brokenError.contains("\(pods):2: field 'num_gpu'"), "\(brokenError)")
    }
}

/// `suanli-sim run` and `capacity` as a user runs them.
struct RunCommandTests {
    static let trace = "id,arrival,duration,cpu,memory_gib\n" + (0..<20).map { "r\($0),\($0 * 60),600,2,4" }.joined(separator: "\n") + "\n"

    static func scenario(_ extra: String = "") throws -> String {
        let tracePath = try scenarioFile(trace, extension: "csv")
        return try scenarioFile(
            """
            name: small
            duration: 1h
            sample_interval: 5m
            wait_targets: {standard: 1m}
            cluster:
              pools: [{name: n, class: general, site: a, count: 3, cpu: 4, memory_gib: 16}]
            workload:
              traces: [{file: \(tracePath)}]
            \(extra)
            """)
    }

    @Test func runPrintsTotalsAsJSONAndWritesTheReportFiles() throws {
        let output = FileManager.default.temporaryDirectory.appendingPathComponent("suanli-run-\(UUID().uuidString)").path
        let (status, stdout, stderr) = try SimulatorCommandTests.run(["run", try Self.scenario(), "--json", "--output", output])
        #expect(status == 0, "\(stderr)")
        #expect(stderr.isEmpty, "no progress bar when stderr is not a terminal: \(stderr)")
        let object = try JSONSerialization.jsonObject(with: Data(stdout.utf8)) as? [String: Any]
        #expect(object?["events"] as? Int ?? 0 >= 40)
        #expect(object?["placed"] as? Int == 20)
        #expect(object?["wall_seconds"] is Double)
        #expect(object?["scenario"] as? String == "small")
        for name in ReportFiles.names { #expect(FileManager.default.fileExists(atPath: "\(output)/\(name)"), "\(name)") }
    }

    @Test func runNamesTheBrokenLine() throws {
        let path = try Self.scenario("events: {failures: [{class: general, mtbf: often, repair: 1h}]}")
        let (status, _, stderr) = try SimulatorCommandTests.run(["run", path])
        #expect(status != 0)
        #expect(stderr.contains("\(path):9: field 'events.failures[0].mtbf': expected a duration"), "\(stderr)")
    }

    @Test func capacityPrintsNodesPerClass() throws {
        let (status, stdout, stderr) = try SimulatorCommandTests.run(["capacity", try Self.scenario(), "--json"])
        #expect(status == 0, "\(stderr)")
        let object = try JSONSerialization.jsonObject(with: Data(stdout.utf8)) as? [String: Any]
        #expect(object?["found"] as? Bool == true)
        let general = (object?["classes"] as? [[String: Any]])?.first
        #expect(general?["class"] as? String == "general")
        // 20 requests of 2 cores, each 10 minutes, one a minute: 10 live at once, 20 cores, 5 nodes of 4.
        #expect(general?["needed"] as? Int == 5)
        #expect(object?["seeds"] as? [Int] == [1, 2, 3])
        let cost = (object?["costs"] as? [[String: Any]])?.first
        #expect(cost?["pool"] as? String == "n" && cost?["nodes"] as? Int == 5)
        let output = FileManager.default.temporaryDirectory.appendingPathComponent("suanli-capacity-\(UUID().uuidString)").path
        #expect(try SimulatorCommandTests.run(["capacity", try Self.scenario(), "--seeds", "1", "--output", output]).status == 0)
        let csv = try String(contentsOfFile: "\(output)/capacity.csv", encoding: .utf8).split(separator: "\n")
        #expect(csv == ["pool,class,site,nodes_now,nodes_needed,price_per_node_hour,monthly_cost", "n,general,a,3,5,0.0000,0.00"])
    }

    @Test func compareNamesWhatItCannotScale() throws {
        // The scenario's workload is a trace: a demand overlay has nothing to scale.
        let (status, _, stderr) = try SimulatorCommandTests.run(["compare", try Self.scenario(), "--demand", "all=2"])
        #expect(status != 0)
        #expect(stderr.contains("--demand: 'all' selects no generator or service of small"), "\(stderr)")
        let (bad, _, badError) = try SimulatorCommandTests.run(["compare", try Self.scenario(), "--demand", "ai=lots"])
        #expect(bad != 0)
        #expect(badError.contains("'ai=lots' is not SELECTOR=FACTOR"), "\(badError)")
    }
}
