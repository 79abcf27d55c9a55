import Foundation
import SuanliTestSupport
import Testing

/// The simulator answers questions about the scheduler that ships: the same requests, in the same
/// order, fed to the real `suanli-scheduler` over HTTP and to `suanli-sim run` as a trace, get the
/// same decisions (where each replica goes, who waits and why, who is preempted).
@Suite("The server and the simulator decide alike", .serialized)
struct ServerSimulatorAgreementTests {
    /// One step of the story: at `time`, a request arrives (a trace row) or one leaves.
    enum Step {
        case arrive(time: Double, tenant: String, name: String, priority: String = "standard", cpu: Int, replicas: Int = 1, nodeClass: String? = nil, leaves: Double? = nil)
        case leave(time: Double, id: String)

        var time: Double {
            switch self {
            case .arrive(let time, _, _, _, _, _, _, _), .leave(let time, _): time
            }
        }
    }

    static let nodes = [("n1", 8), ("n2", 8), ("n3", 8), ("n4", 4)]

    /// Quotas, a request set aside over quota while a smaller one behind it goes, a class no node
    /// has, a request placed in part, capacity freed by departures, and a preemption at the end
    /// (the server ends its victim where the simulator starts it over).
    static let story: [Step] = [
        .arrive(time: 1, tenant: "transport", name: "batch", priority: "batch", cpu: 4),
        .arrive(time: 2, tenant: "water", name: "a", cpu: 6, leaves: 10),
        .arrive(time: 3, tenant: "water", name: "b", cpu: 8),
        .arrive(time: 4, tenant: "water", name: "c", cpu: 4),
        .arrive(time: 5, tenant: "transport", name: "hpc", cpu: 2, nodeClass: "hpc"),
        .arrive(time: 6, tenant: "transport", name: "web", cpu: 3, replicas: 4),
        .arrive(time: 7, tenant: "transport", name: "wide", cpu: 8),
        .leave(time: 10, id: "water:a"),
        .arrive(time: 11, tenant: "transport", name: "small", cpu: 1),
        .arrive(time: 12, tenant: "transport", name: "urgent", priority: "critical", cpu: 4),
    ]

    @Test("the same requests in the same order get the same placements, waits and preemptions")
    func sameDecisions() async throws {
        let directory = try temporaryDirectory()
        let simulated = try simulate(in: directory)
        let served = try await serve(in: directory)
        #expect(served.count == Self.story.count)
        for (step, (server, simulator)) in zip(Self.story, zip(served, simulated)) {
            #expect(server == simulator, "after the step at t=\(step.time)")
        }
        // The story reaches what it is meant to: a quota wait that does not block, a static
        // wait, a request placed in part, a preemption.
        let last = try #require(served.last)
        #expect(served[3]["water:b"] == "waiting quota" && served[3]["water:c"]?.hasPrefix("placed") == true)
        #expect(last["transport:hpc"] == "waiting node_class")
        #expect(served[5]["transport:web"]?.hasSuffix("waiting insufficient_cpu") == true, "\(served[5])")
        #expect(last["transport:batch"] == "preempted")
    }

    /// Each request's state after every step, from `suanli-sim run --decisions`.
    func simulate(in directory: URL) throws -> [[String: String]] {
        var trace = "id,tenant,priority,arrival,duration,cpu,memory_gib,replicas,class\n"
        for case .arrive(let time, let tenant, let name, let priority, let cpu, let replicas, let nodeClass, let leaves) in Self.story {
            trace += "\(tenant):\(name),\(tenant),\(priority),\(time),\((leaves ?? 1_000) - time),\(cpu),1,\(replicas),\(nodeClass ?? "")\n"
        }
        try trace.write(to: directory.appendingPathComponent("trace.csv"), atomically: true, encoding: .utf8)
        let nodeList = "id,class,site,cpu,memory_gib\n" + Self.nodes.map { "\($0.0),general,district-1,\($0.1),64\n" }.joined()
        try nodeList.write(to: directory.appendingPathComponent("nodes.csv"), atomically: true, encoding: .utf8)
        let scenario = """
            name: agreement
            seed: 1
            duration: 100
            policy: best-fit
            sites: [district-1]
            cluster:
              node_lists: [{file: nodes.csv, format: csv}]
            tenants:
              - {name: water, quotas: {standard: {cpu: 12}}}
              - {name: transport}
            workload:
              traces: [{file: trace.csv, format: csv}]
            """
        let scenarioFile = directory.appendingPathComponent("agreement.yaml")
        try scenario.write(to: scenarioFile, atomically: true, encoding: .utf8)
        let decisionsFile = directory.appendingPathComponent("decisions.csv")
        let sim = Process()
        sim.executableURL = builtBinary("suanli-sim")
        sim.arguments = ["run", scenarioFile.path, "--decisions", decisionsFile.path, "--json"]
        sim.standardOutput = FileHandle.nullDevice
        try sim.run()
        sim.waitUntilExit()
        #expect(sim.terminationStatus == 0)

        let rows = try String(contentsOf: decisionsFile, encoding: .utf8).split(separator: "\n").dropFirst().map { $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init) }
        var states: [String: String] = [:]
        var placedNodes: [String: [String]] = [:]
        var ended: Set<String> = []
        var snapshots: [[String: String]] = []
        var row = 0
        for step in Self.story {
            if case .leave(_, let id) = step {
                states[id] = "released"
                ended.insert(id)
            }
            while row < rows.count, Double(rows[row][0])! <= step.time {
                let (id, outcome, nodes, preempted, reason) = (rows[row][1], rows[row][2], rows[row][3], rows[row][4], rows[row][5])
                row += 1
                guard !ended.contains(id) else { continue }
                for victim in preempted.split(separator: "|").map(String.init) {
                    states[victim] = "preempted"
                    ended.insert(victim)
                }
                switch outcome {
                case "placed":
                    placedNodes[id, default: []] += nodes.split(separator: "|").map(String.init)
                    states[id] = Self.placed(placedNodes[id]!, waiting: reason.isEmpty ? nil : reason)
                default:
                    states[id] = placedNodes[id].map { Self.placed($0, waiting: reason) } ?? "waiting \(reason)"
                }
            }
            snapshots.append(states)
        }
        return snapshots
    }

    /// Each request's state after every step, from the real scheduler's API.
    func serve(in directory: URL) async throws -> [[String: String]] {
        // The nodes have no agents: a long heartbeat keeps them from turning suspect however slow
        // the machine is (the simulator's nodes never do).
        let server = try SchedulerProcess.start(dataDir: directory.appendingPathComponent("data"), config: #"{"heartbeatIntervalSeconds": 600}"#)
        defer { server.stop() }
        for tenant in ["water", "transport"] { #expect(try await server.call("POST", "/v1/tenants", body: #"{"id":"\#(tenant)"}"#).0 == 201) }
        let quota = #"{"cpu":12,"memoryMiB":1048576000,"diskGiB":1000000,"bandwidthMbps":1000000,"gpuMilli":1000000}"#
        #expect(try await server.call("PUT", "/v1/tenants/water/quotas/standard", body: quota).0 == 200)
        for (id, cpu) in Self.nodes {
            let body = #"{"id":"\#(id)","nodeClass":"general","site":"district-1","cpu":\#(cpu),"memoryMiB":65536}"#
            #expect(try await server.call("POST", "/v1/nodes", body: body).0 == 201)
        }
        var snapshots: [[String: String]] = []
        for step in Self.story {
            switch step {
            case .arrive(_, let tenant, let name, let priority, let cpu, let replicas, let nodeClass, _):
                let classes = nodeClass.map { #","allowedClasses":["\#($0)"]"# } ?? ""
                let body = #"{"id":"\#(name)","tenant":"\#(tenant)","priority":"\#(priority)","cpu":\#(cpu),"memoryMiB":1024,"replicas":\#(replicas)\#(classes)}"#
                let (status, answer) = try await server.call("POST", "/v1/requests", body: body)
                #expect(status == 201, "\(answer)")
            case .leave(_, let id):
                let (status, answer) = try await server.call("POST", "/v1/requests/\(id)/release", body: nil)
                #expect(status == 200, "\(answer)")
            }
            try await waitForAPass(server)
            snapshots.append(try await states(server))
        }
        return snapshots
    }

    /// Waits until a placement pass has started (and so, since reads wait for it, finished)
    /// after the last change.
    func waitForAPass(_ server: SchedulerProcess) async throws {
        func passes() async throws -> Int {
            let text = try await server.send("GET", "/metrics").text
            let line = text.split(separator: "\n").first { $0.hasPrefix("suanli_placement_passes_total ") }
            return Int(line?.split(separator: " ").last ?? "") ?? 0
        }
        let before = try await passes()
        #expect(try await eventually(10) { try await passes() > before })
    }

    func states(_ server: SchedulerProcess) async throws -> [String: String] {
        let (_, list) = try await server.call("GET", "/v1/requests?limit=100")
        var states: [String: String] = [:]
        for request in list["requests"] as? [[String: Any]] ?? [] {
            let id = request["id"] as! String
            let phase = request["phase"] as! String
            let nodes = (request["placement"] as? [[String: Any]] ?? []).sorted { ($0["replica"] as! Int) < ($1["replica"] as! Int) }.map { $0["node"] as! String }
            let waiting = (request["pending"] as? [String: Any])?["code"] as? String
            switch phase {
            case "queued": states[id] = "waiting \(waiting ?? "its turn")"
            case "placed", "provisioning", "running": states[id] = Self.placed(nodes, waiting: waiting)
            default: states[id] = phase
            }
        }
        return states
    }

    static func placed(_ nodes: [String], waiting: String?) -> String {
        "placed \(nodes.joined(separator: "+"))" + (waiting.map { ", waiting \($0)" } ?? "")
    }
}
