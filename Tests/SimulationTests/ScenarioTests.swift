import Foundation
import Placement
import Testing

@testable import Simulation

/// Writes `text` to a new temporary file with the given extension and returns its path.
func scenarioFile(_ text: String, extension ext: String = "yaml") throws -> String {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("suanli-scenario-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    let url = directory.appendingPathComponent("scenario.\(ext)")
    try text.write(to: url, atomically: true, encoding: .utf8)
    return url.path
}

/// The repository's `Simulations/Scenarios` folder.
let shippedScenarios = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../Simulations/Scenarios").standardized.path

struct ScenarioReaderTests {
    static let minimal = """
        name: tiny
        duration: 1h
        sites: [a, b]
        latency: {links: [{from: a, to: b, ms: 3}]}
        cluster:
          pools:
            - {name: small, class: general, site: a, count: 2, cpu: 4, memory_gib: 16}
        workload:
          generators:
            - {name: web, kind: service, rate_per_hour: 10, duration: 5m, cpu: [0.5, 1], memory_gib: 1}

        """

    @Test func readsAMinimalScenarioWithDefaults() throws {
        let scenario = try Scenario.load(file: try scenarioFile(Self.minimal))
        #expect(scenario.name == "tiny")
        #expect(scenario.duration == 3_600)
        #expect(scenario.sampleInterval == 3_600)
        #expect(scenario.policy == PolicyRegistry.defaultPolicyName)
        #expect(scenario.queueDepth == 100)
        #expect(scenario.pools.first?.capacity == Resources(cpuMillis: 4_000, memoryMiB: 16_384))
        #expect(scenario.topology.latencyMs(from: "a", to: "b") == 3)
        #expect(scenario.generators.first?.cpu == .choice([0.5, 1], weights: [1, 1]))
        #expect(scenario.generators.first?.duration == .constant(300))
    }

    @Test func readsTheSameScenarioFromJSON() throws {
        let json = """
            {"name": "tiny", "duration": "1h", "sites": ["a", "b"],
             "cluster": {"pools": [{"name": "small", "class": "general", "site": "a", "count": 2, "cpu": 4, "memory_gib": 16}]},
             "workload": {"generators": [{"name": "web", "kind": "service", "rate_per_hour": 10, "duration": {"exponential": "5m"}, "cpu": 1, "memory_gib": 1}]}}
            """
        let scenario = try Scenario.load(file: try scenarioFile(json, extension: "json"))
        #expect(scenario.pools.count == 1)
        #expect(scenario.generators.first?.duration == .exponential(mean: 300))
    }

    @Test(arguments: [
        ("90", 90.0), ("15m", 900), ("4h", 14_400), ("7d", 604_800), ("6d2h", 525_600), ("1w", 604_800), ("1.5h", 5_400),
    ])
    func durationsTakeUnits(_ text: String, _ seconds: Double) throws {
        let scenario = try Scenario.load(file: try scenarioFile(Self.minimal.replacingOccurrences(of: "duration: 1h", with: "duration: \(text)")))
        #expect(scenario.duration == seconds)
    }

    /// Each broken line names the file, the line and the field path.
    @Test(arguments: [
        ("duration: 1h", "duration: soon", 2, "duration", "expected a duration"),
        ("cpu: 4, memory_gib: 16}", "cpu: four, memory_gib: 16}", 7, "cluster.pools[0].cpu", "expected a number"),
        ("class: general", "class: mainframe", 7, "cluster.pools[0].class", "'mainframe' is not one of general, ai, hpc, edge"),
        ("site: a, count", "site: z, count", 7, "cluster.pools[0].site", "unknown site 'z'"),
        ("rate_per_hour: 10", "rate_per_hour: 10, colour: red", 10, "workload.generators[0].colour", "unknown field"),
        ("kind: service", "kind: poetry", 10, "workload.generators[0].kind", "'poetry' is not one of"),
        ("duration: 5m", "duration: {gaussian: 5m}", 10, "workload.generators[0].duration.gaussian", "unknown field"),
        ("ms: 3", "ms: -3", 4, "latency.links[0].ms", "outside"),
    ])
    func errorsNameFileLineAndField(_ original: String, _ replacement: String, _ line: Int, _ field: String, _ message: String) throws {
        let text = Self.minimal.replacingOccurrences(of: original, with: replacement)
        #expect(text != Self.minimal)
        let path = try scenarioFile(text)
        let error = #expect(throws: InputFileError.self) { try Scenario.load(file: path) }
        #expect(error?.file == path)
        #expect(error?.line == line)
        #expect(error?.field == field)
        #expect(error?.message.contains(message) == true, "\(String(describing: error))")
        #expect(error?.description.hasPrefix("\(path):\(line): field '\(field)': ") == true)
    }

    @Test func missingRequiredFieldsAreNamed() throws {
        let path = try scenarioFile(Self.minimal.replacingOccurrences(of: "count: 2, ", with: ""))
        let error = #expect(throws: InputFileError.self) { try Scenario.load(file: path) }
        #expect(error?.field == "cluster.pools[0].count")
        #expect(error?.message == "missing required field")
        #expect(error?.line == 7)
    }

    @Test func syntaxErrorsGiveTheLine() throws {
        let yaml = try scenarioFile(Self.minimal.replacingOccurrences(of: "sites: [a, b]", with: "sites: [a, b"))
        let yamlError = #expect(throws: InputFileError.self) { try Scenario.load(file: yaml) }
        #expect(yamlError?.line ?? 0 >= 3)
        #expect(yamlError?.message.contains("not valid JSON or YAML") == true)
        let json = try scenarioFile("{\"name\": \"x\",\n \"duration\": 3600,\n \"sites\": [}\n", extension: "json")
        let jsonError = #expect(throws: InputFileError.self) { try Scenario.load(file: json) }
        #expect(jsonError?.line == 3)
    }

    @Test func aScenarioWithoutNodesOrWorkIsRefused() throws {
        let noWork = try scenarioFile(Self.minimal.components(separatedBy: "workload:")[0])
        #expect(throws: InputFileError.self) { try Scenario.load(file: noWork) }
        let missing = #expect(throws: InputFileError.self) { try Scenario.load(file: "/nonexistent/city.yaml") }
        #expect(missing?.description.hasPrefix("/nonexistent/city.yaml: cannot read the file") == true)
    }

    @Test func theShippedScenariosRead() throws {
        let city = try Scenario.load(file: "\(shippedScenarios)/city.yaml")
        #expect(Set(city.pools.map(\.nodeClass)) == Set(NodeClass.allCases))
        #expect(city.generators.contains { $0.gang && $0.kind == .hpc })
        #expect(city.generators.contains { $0.maxLatencyMs != nil && !$0.originSites.isEmpty })
        #expect(city.waitTargets.count == PriorityClass.allCases.count)
        #expect(!city.failures.isEmpty && !city.maintenance.isEmpty)
        let scale = try Scenario.load(file: "\(shippedScenarios)/scale-1m.json")
        #expect(scale.pools.reduce(0) { $0 + $1.count } == 10_000)
        let openb = try Scenario.load(file: "\(shippedScenarios)/openb.yaml")
        #expect(openb.nodeLists.first?.format == .openb)
        #expect(openb.traces.first?.format == .openb)
    }
}

struct CSVInputTests {
    @Test func readsTheGenericTrace() throws {
        let path = try scenarioFile(
            """
            arrival,duration,tenant,priority,kind,class,cpu,memory_gib,gpu_count,gpu_share,gpu_models,disk_gib,bandwidth_mbps,origin_site,max_latency_ms
            0,600,police,production,ai-inference,edge,2,4,1,0.5,T4|A10,10,50,edge-1,5
            30,60,,,,,0.5,1,,,,,,,
            """, extension: "csv")
        let requests = try CSVTrace.load(file: path, timeScale: 2, offset: 100)
        #expect(requests.count == 2)
        let first = requests[0].request
        #expect(first.submittedAt == 100)
        #expect(requests[0].duration == 1_200)
        #expect(first.tenant == "police")
        #expect(first.priority == .production)
        #expect(first.kind == .aiInference)
        #expect(first.allowedClasses == [.edge])
        #expect(first.resources == Resources(cpuMillis: 2_000, memoryMiB: 4_096, diskGiB: 10, bandwidthMbps: 50))
        #expect(first.gpu == GPURequest(count: 1, milliPerGPU: 500, models: ["T4", "A10"]))
        #expect(first.originSite == "edge-1")
        #expect(first.maxLatencyMs == 5)
        #expect(requests[1].request.submittedAt == 160)
        #expect(requests[1].request.priority == .standard)
        #expect(requests[1].request.tenant == "default")
    }

    @Test(arguments: [
        ("0,60,1,x", 2, "memory_gib", "'x' is not a number"),
        ("0,60,-1,1", 2, "cpu", "outside"),
        ("0,60,1", 2, nil as String?, "expected 4 fields, found 3"),
    ])
    func badRowsNameLineAndField(_ row: String, _ line: Int, _ field: String?, _ message: String) throws {
        let path = try scenarioFile("arrival,duration,cpu,memory_gib\n\(row)\n", extension: "csv")
        let error = #expect(throws: InputFileError.self) { try CSVTrace.load(file: path) }
        #expect(error?.line == line)
        #expect(error?.field == field)
        #expect(error?.message.contains(message) == true, "\(String(describing: error))")
    }

    @Test func aMissingColumnIsNamed() throws {
        let path = try scenarioFile("arrival,duration,cpu\n0,1,1\n", extension: "csv")
        let error = #expect(throws: InputFileError.self) { try CSVTrace.load(file: path) }
        #expect(error?.field == "memory_gib")
        #expect(error?.line == 1)
    }

    @Test func readsTheGenericNodeList() throws {
        let path = try scenarioFile("id,class,site,cpu,memory_gib,gpus,gpu_model,idle_watts\nn1,ai,dc,32,256,4,A100,500\nn2,edge,e1,8,32,,,\n", extension: "csv")
        let nodes = try CSVNodeList.load(file: path)
        #expect(nodes.map(\.node.id) == ["n1", "n2"])
        #expect(nodes[0].node.gpus.count == 4)
        #expect(nodes[0].idleWatts == 500)
        #expect(nodes[1].node.nodeClass == .edge)
        let broken = try scenarioFile("id,class,site,cpu,memory_gib\nn1,quantum,dc,1,1\n", extension: "csv")
        let error = #expect(throws: InputFileError.self) { try CSVNodeList.load(file: broken) }
        #expect(error?.field == "class")
        #expect(error?.line == 2)
    }

    @Test func arrivalPatternsFollowTheirShape() {
        let pattern = ArrivalPattern(perHour: 100, daily: ArrivalPattern.days["daytime"]!, weekly: ArrivalPattern.weeks["weekdays"]!)
        // Monday 10:00 against Sunday 03:00.
        #expect(pattern.rate(at: 10 * 3_600) > 20 * pattern.rate(at: 6 * 86_400 + 3 * 3_600))
        var rng = SplitMix64(seed: 7)
        var t = 0.0, count = 0
        while let next = pattern.nextArrival(after: t, before: 7 * 86_400, using: &rng) {
            t = next
            count += 1
        }
        let expected = (0..<(7 * 24)).reduce(0.0) { $0 + pattern.rate(at: Double($1) * 3_600 + 1) * 3_600 }
        #expect(abs(Double(count) - expected) < 4 * expected.squareRoot(), "\(count) arrivals, \(expected) expected")
    }
}
