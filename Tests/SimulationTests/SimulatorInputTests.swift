import Foundation
import Placement
import Simulation
import Testing

/// The simulator's input as people write it: spreadsheets' CSV (CRLF, quotes, a byte order mark),
/// traces from elsewhere (tenants the scenario does not list, tasks of tens of thousands of
/// instances), runaway rates, and the official openb files as they are.
struct SimulatorInputTests {
    /// A scenario of one general pool, tenants water and police, and one CSV trace with `rows`.
    func scenario(trace rows: String, lineEnding: String = "\n", tenants: Bool = true) throws -> String {
        let text = rows.replacingOccurrences(of: "\n", with: lineEnding)
        let trace = try scenarioFile(text, extension: "csv")
        return try scenarioFile(
            """
            name: csv
            duration: 2h
            cluster:
              pools: [{name: g, class: general, site: d1, count: 4, cpu: 64, memory_gib: 256}]
            \(tenants ? "tenants: [{name: water}, {name: police}]" : "")
            workload:
              traces: [{file: \(trace)}]
            """)
    }

    static let rows = """
        arrival,duration,tenant,cpu,memory_gib,gpu_models,id
        0,600,water,2,4,,a
        30,60,police,1,2,"T4|A10",b
        60,60,water,1,2,,"c, the third"
        """

    @Test("a trace with Windows line endings, quotes and a byte order mark is read like a plain one, through the CLI")
    func crlfAndQuotes() throws {
        for (ending, prefix) in [("\n", ""), ("\r\n", ""), ("\r\n", "\u{FEFF}"), ("\r", "")] {
            let path = try scenario(trace: prefix + Self.rows, lineEnding: ending)
            let (status, output, error) = try SimulatorCommandTests.run(["run", path, "--json"])
            #expect(status == 0, "\(error)")
            let summary = try JSONSerialization.jsonObject(with: Data(output.utf8)) as? [String: Any]
            #expect(summary?["arrivals"] as? Int == 3, "line ending \(ending.debugDescription): \(output)")
        }
        let file = try scenarioFile(Self.rows.replacingOccurrences(of: "\n", with: "\r\n"), extension: "csv")
        let requests = try CSVTrace.load(file: file)
        #expect(requests.map(\.request.id) == ["a", "b", "c, the third"])
        #expect(requests[1].request.gpu == nil && requests[1].request.tenant == "police")
    }

    @Test("CSV errors name the file, the line and the field", arguments: [
        ("arrival,duration,cpu,memory_gib\n0,60,1,\"2\n", 2, nil as String?, "not closed"),
        ("arrival,duration,cpu,memory_gib\r\n0,60,1,2\r\n0,60,1,x\r\n", 3, "memory_gib", "'x' is not a number"),
        ("arrival,duration,cpu,memory_gib\n0,60,\"1\"x,2\n", 2, nil, "after a quoted field"),
        ("arrival,duration,cpu,memory_gib\n0,60,1\"\",2\n", 2, nil, "a quote inside an unquoted field"),
        ("arrival,duration,cpu,memory_gib\n\"0\n1\",60,1,2\n0,60,1\n", 4, nil, "expected 4 fields, found 3"),
        ("", 1, nil, "empty"),
    ])
    func csvErrors(_ text: String, _ line: Int, _ field: String?, _ message: String) throws {
        let path = try scenarioFile(text, extension: "csv")
        let error = #expect(throws: InputFileError.self) { try CSVTrace.load(file: path) }
        #expect(error?.line == line && error?.field == field, "\(String(describing: error))")
        #expect(error?.message.contains(message) == true, "\(String(describing: error))")
    }

    @Test("a trace tenant the scenario does not list is refused with its line; without tenants, any goes")
    func unknownTenants() throws {
        let path = try scenario(trace: "arrival,duration,tenant,cpu,memory_gib\n0,60,water,1,1\n5,60,parks,1,1\n")
        let (status, _, error) = try SimulatorCommandTests.run(["run", path])
        #expect(status != 0)
        #expect(error.contains(".csv:3: field 'tenant': unknown tenant 'parks'"), "\(error)")
        let open = try scenario(trace: "arrival,duration,tenant,cpu,memory_gib\n0,60,water,1,1\n5,60,parks,1,1\n", tenants: false)
        #expect(try SimulatorCommandTests.run(["run", open]).status == 0)
    }

    @Test("a task of more than 10,000 instances is split into requests of 10,000, and the run says so; such a gang is refused")
    func largeTasks() throws {
        let path = try scenario(trace: "arrival,duration,tenant,cpu,memory_gib,replicas,id\n0,60,water,0.001,0.001,10001,task-1\n")
        let requests = try CSVTrace.read(file: try scenarioFile("arrival,duration,cpu,memory_gib,replicas,id\n0,60,1,1,64486,task-1\n", extension: "csv"))
        #expect(requests.splitTasks == 1)
        #expect(requests.requests.map(\.request.replicas) == [10_000, 10_000, 10_000, 10_000, 10_000, 10_000, 4_486])
        #expect(requests.requests.map(\.request.id).prefix(3) == ["task-1", "task-1#2", "task-1#3"])
        let (status, _, error) = try SimulatorCommandTests.run(["run", path, "--json"])
        #expect(status == 0 && error.contains("1 task of more than 10000 instances split"), "\(error)")
        let gang = try scenarioFile("arrival,duration,cpu,memory_gib,replicas,gang\n0,60,1,1,20000,true\n", extension: "csv")
        let refused = #expect(throws: InputFileError.self) { try CSVTrace.load(file: gang) }
        #expect(refused?.line == 2 && refused?.field == "replicas")
    }

    @Test("a runaway rate is refused at once, naming the field, instead of running out of memory")
    func runawayRate() throws {
        let path = try scenarioFile(
            """
            name: runaway
            duration: 7d
            cluster:
              pools: [{name: g, class: general, site: d1, count: 4, cpu: 64, memory_gib: 256}]
            workload:
              generators:
                - {name: flood, kind: service, rate_per_hour: 1e9, duration: 1h, cpu: 1, memory_gib: 1}
            """)
        let started = Date()
        let (status, _, error) = try SimulatorCommandTests.run(["run", path])
        #expect(status != 0)
        #expect(error.contains(":7: field 'workload.generators[0].rate_per_hour'") && error.contains("about 168000000000 arrivals") && error.contains("at most 5000000"), "\(error)")
        #expect(Date().timeIntervalSince(started) < 10)
    }

    @Test("a column the trace or node list does not know is refused, with the one it resembles")
    func unknownColumns() throws {
        let trace = try scenarioFile("arrival,duration,cpu,memory_gib,tenat\n0,60,1,1,water\n", extension: "csv")
        let error = #expect(throws: InputFileError.self) { try CSVTrace.load(file: trace) }
        #expect(error?.line == 1 && error?.field == "tenat" && error?.message.contains("did you mean 'tenant'") == true, "\(String(describing: error))")
        let nodes = try scenarioFile("id,class,site,cpu,memory_gib,colour\nn1,general,d1,1,1,red\n", extension: "csv")
        #expect(throws: InputFileError.self) { try CSVNodeList.load(file: nodes) }
    }

    @Test("a list with only its header is refused on its first line")
    func emptyLists() throws {
        let nodes = try scenarioFile("id,class,site,cpu,memory_gib\n", extension: "csv")
        let error = #expect(throws: InputFileError.self) { try CSVNodeList.load(file: nodes) }
        #expect(error?.line == 1)
    }

    static let openb = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../../shared/data/openb").standardized.path

    @Test("every official openb pod list loads as it is, the five-column multi-GPU ones included",
          .enabled(if: FileManager.default.fileExists(atPath: openb + "/variants")))
    func officialOpenBFiles() throws {
        let variants = try FileManager.default.contentsOfDirectory(atPath: Self.openb + "/variants").filter { $0.hasSuffix(".csv") }.sorted()
        #expect(variants.count == 8)
        for file in ["openb_pod_list_default.csv"] + variants.map({ "variants/" + $0 }) {
            let pods = try OpenBTrace.loadPods(file: Self.openb + "/" + file)
            let lines = try String(contentsOfFile: Self.openb + "/" + file, encoding: .utf8).split(whereSeparator: \.isNewline).count
            #expect(pods.count == lines - 1, "\(file): \(pods.count) pods of \(lines - 1) lines")
        }
    }
}
