import Foundation
import NodeAgent
import SuanliTestSupport
import Testing

/// Autoscaling as a department's service sees it: the real scheduler, two real agents on libvirt's
/// test driver (an edge node of 2 CPUs at the users' site and a cloud node 5 ms away), and the
/// service's gateway reporting its calls counter through the HTTP API. The service scales out over
/// the edge and then the cloud, back in to the edge first, every replica removed stopped by its
/// agent and metered to its end.
@Suite("Autoscaling end to end", .serialized)
struct AutoscalingEndToEndTests {
    static let config = #"""
        {"scalingIntervalSeconds": 1,
         "topology": {"sites": [{"id": "edge-1", "region": "north"}, {"id": "dc-1", "region": "north"}],
                      "links": [{"from": "edge-1", "to": "dc-1", "latencyMs": 5}]}}
        """#

    @Test("a service scales 1 -> 4 over the edge then the cloud, 4 -> 2 back onto the edge, 2 -> 1; removed replicas stop and are metered to their end")
    func edgeToCloudAndBack() async throws {
        let directory = try temporaryDirectory()
        let image = try blankDisk(in: directory)
        let scheduler = try SchedulerProcess.start(dataDir: directory.appendingPathComponent("scheduler"), config: Self.config)
        defer { scheduler.kill() }
        var agents: [String: AgentProcess] = [:]
        for (node, nodeClass, site) in [("edge-a", "edge", "edge-1"), ("cloud-a", "general", "dc-1")] {
            agents[node] = try AgentProcess.start([
                "--scheduler", "127.0.0.1:\(scheduler.grpcPort)", "--token", SchedulerProcess.bootstrapToken, "--node-id", node,
                "--class", nodeClass, "--site", site, "--libvirt-uri", try privateTestHost(), "--systemd-bus", "none",
                "--metering-interval", "1", "--reconcile-interval", "1", "--stop-grace", "1",
            ], dataDir: directory.appendingPathComponent(node))
        }
        defer { for agent in agents.values { agent.stop() } }
        #expect(try await scheduler.call("POST", "/v1/tenants", body: #"{"id":"water"}"#).0 == 201)
        for node in agents.keys {
            #expect(try await eventually { (try await scheduler.call("GET", "/v1/nodes/\(node)").1["state"] as? String) == "ready" }, "\(agents[node]!.log)")
        }

        let web = #"""
            {"id": "web", "tenant": "water", "kind": "vm", "cpu": 1, "memoryMiB": 256, "originSite": "edge-1", "maxLatencyMs": 20,
             "allowedClasses": ["edge", "general"], "workload": {"vm": {"image": "\#(image)"}},
             "scaling": {"maxReplicas": 4, "target": {"callsPerSecondPerReplica": 10}, "metricWindowSeconds": 4,
                         "scaleDown": {"stabilizationSeconds": 3}}}
            """#
        let (status, submitted) = try await scheduler.call("POST", "/v1/requests", body: web)
        #expect(status == 201, "\(submitted)")
        #expect(try await eventually { (try await scheduler.call("GET", "/v1/requests/water:web").1["phase"] as? String) == "running" })

        /// Where each replica is: `replica@node`, by replica.
        func placement() async throws -> [String] {
            let replicas = (try await scheduler.call("GET", "/v1/requests/water:web").1["placement"] as? [[String: Any]]) ?? []
            return replicas.compactMap { replica in
                guard let number = replica["replica"] as? Int, let node = replica["node"] as? String else { return nil }
                return "\(number)@\(node)"
            }.sorted()
        }
        /// Workloads an agent runs.
        func running(on node: String) throws -> [String] {
            try AgentStore(directory: agents[node]!.dataDir).workloads().filter { $0.phase == .running }.map(\.definition.id).sorted()
        }
        /// The gateway reports its counter about twice a second, `rate` calls per second of the
        /// time that passed (a loaded machine's slower loop does not lower it), until `done`.
        var total = 0.0
        var reportedAt = Date()
        func serve(_ rate: Double, until done: () async throws -> Bool) async throws -> Bool {
            for _ in 0..<120 {
                total += rate * Date().timeIntervalSince(reportedAt)
                reportedAt = Date()
                #expect(try await scheduler.call("POST", "/v1/requests/water:web/calls", body: #"{"total": \#(total)}"#).0 == 200)
                if try await done() { return true }
                try await Task.sleep(for: .milliseconds(500))
            }
            return false
        }
        #expect(try await placement() == ["0@edge-a"])
        var reached = false, placed: [String] = []

        // 50 calls/s against 10 per replica: 4 at most. The edge takes 2 (its 2 CPUs), the cloud the rest.
        reached = try await serve(50) { try await placement() == ["0@edge-a", "1@edge-a", "2@cloud-a", "3@cloud-a"] }
        placed = try await placement()
        #expect(reached, "\(placed)")
        #expect(try await eventually { try running(on: "edge-a") == ["water:web/0", "water:web/1"] && running(on: "cloud-a") == ["water:web/2", "water:web/3"] })

        // 15 calls/s: 2 replicas. The cloud's go first; the edge keeps the service.
        reached = try await serve(15) { try await placement() == ["0@edge-a", "1@edge-a"] }
        placed = try await placement()
        #expect(reached, "\(placed)")
        #expect(try await eventually { try running(on: "cloud-a").isEmpty })
        // Quiet: 1.
        reached = try await serve(0) { try await placement() == ["0@edge-a"] }
        placed = try await placement()
        #expect(reached, "\(placed)")
        #expect(try await eventually { try running(on: "edge-a") == ["water:web/0"] })

        // Each decision is in the history with the figures behind it, and in the audit log.
        let history = (try await scheduler.call("GET", "/v1/requests/water:web").1["history"] as? [[String: Any]]) ?? []
        let decisions = history.filter { $0["actor"] as? String == "autoscaler" }.compactMap { $0["reason"] as? String }.filter { $0.hasPrefix("scaled") }
        #expect(decisions.first?.hasPrefix("scaled out 1 -> ") == true, "\(decisions)")
        #expect(decisions.contains { $0.hasPrefix("scaled in 4 -> ") && $0.contains("stopping ") && $0.contains("water:web/3 on cloud-a") }, "\(decisions)")
        #expect(decisions.last?.hasPrefix("scaled in 2 -> 1: ") == true, "\(decisions)")
        let audit = (try await scheduler.call("GET", "/v1/audit?action=request.scale").1["entries"] as? [[String: Any]]) ?? []
        #expect(audit.count == decisions.count)

        // The cloud's replicas were metered until they stopped, and every sample was delivered.
        let scaledInAt = history.first { ($0["reason"] as? String)?.contains("water:web/3 on cloud-a") == true }?["at"] as? Double ?? .infinity
        let cloud = try AgentStore(directory: agents["cloud-a"]!.dataDir)
        #expect(try await eventually { try cloud.pendingSamples().isEmpty })
        for replica in ["water:web/2", "water:web/3"] {
            let last = try cloud.samples().filter { $0.workloadID == replica }.map(\.end).max() ?? 0
            #expect(last >= scaledInAt - 1.5, "\(replica)'s last sample ends at \(last), the scale-in was at \(scaledInAt)")
        }
        let usage = (try await scheduler.call("GET", "/v1/usage?request=water:web").1["usage"] as? [String: Double]) ?? [:]
        #expect(usage["cpuCoreHours", default: 0] > 0)
    }
}
