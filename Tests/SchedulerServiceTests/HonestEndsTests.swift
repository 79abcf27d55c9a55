import Foundation
import SuanliTestSupport
import Testing

/// Every wait and every end says why, through the real `suanli-scheduler` binary and its API.
@Suite("Waits and ends say why", .serialized)
struct HonestEndsTests {
    @Test("a request over its quota waits saying so without blocking a smaller one; a lowered quota rejects it with the reason, and a restart strands nothing")
    func quotaWaitsAndLoweredQuotas() async throws {
        let dataDir = try temporaryDirectory()
        var server = try SchedulerProcess.start(dataDir: dataDir)
        #expect(try await server.call("POST", "/v1/tenants", body: #"{"id":"water"}"#).0 == 201)
        #expect(try await server.call("PUT", "/v1/tenants/water/quotas/standard", body: #"{"cpu":12,"memoryMiB":1048576,"gpuMilli":0}"#).0 == 200)
        #expect(try await server.call("POST", "/v1/nodes", body: #"{"id":"n1","nodeClass":"general","site":"d1","cpu":32,"memoryMiB":65536}"#).0 == 201)
        for (name, cpu) in [("a", 6), ("b", 8), ("c", 4)] {
            #expect(try await server.call("POST", "/v1/requests", body: #"{"id":"\#(name)","tenant":"water","cpu":\#(cpu),"memoryMiB":1024}"#).0 == 201)
        }
        #expect(try await eventually { try await server.call("GET", "/v1/requests/water:c").1["phase"] as? String == "running" })
        let (_, waiting) = try await server.call("GET", "/v1/requests/water:b")
        let pending = try #require(waiting["pending"] as? [String: Any], "\(waiting)")
        #expect(pending["code"] as? String == "quota")
        #expect((pending["summary"] as? String)?.contains("quota") == true)

        let (status, _) = try await server.call("PUT", "/v1/tenants/water/quotas/standard", body: #"{"cpu":7,"memoryMiB":1048576,"gpuMilli":0}"#)
        #expect(status == 200)
        let (_, rejected) = try await server.call("GET", "/v1/requests/water:b")
        #expect(rejected["phase"] as? String == "rejected")
        #expect(rejected["reason"] as? String == "the request asks for 8 cores in all, more than tenant water's standard quota of 7 cores: it could never run", "\(rejected)")
        server.kill()

        server = try SchedulerProcess.start(dataDir: dataDir)
        defer { server.kill() }
        #expect(try await server.call("GET", "/v1/requests/water:b").1["phase"] as? String == "rejected")
        let (_, queued) = try await server.call("GET", "/v1/requests?phase=queued")
        #expect((queued["requests"] as? [Any])?.isEmpty == true)
        for name in ["a", "c"] { #expect(try await server.call("GET", "/v1/requests/water:\(name)").1["phase"] as? String == "running") }
    }

    @Test("a preempted request shows no placement and names its preemptor; the history says where each request was placed")
    func preemptedViews() async throws {
        let server = try SchedulerProcess.start(dataDir: try temporaryDirectory())
        defer { server.kill() }
        #expect(try await server.call("POST", "/v1/tenants", body: #"{"id":"water"}"#).0 == 201)
        #expect(try await server.call("POST", "/v1/nodes", body: #"{"id":"n1","nodeClass":"general","site":"d1","cpu":8,"memoryMiB":65536}"#).0 == 201)
        #expect(try await server.call("POST", "/v1/requests", body: #"{"id":"low","tenant":"water","priority":"batch","cpu":8,"memoryMiB":1024}"#).0 == 201)
        #expect(try await eventually { try await server.call("GET", "/v1/requests/water:low").1["phase"] as? String == "running" })
        #expect(try await server.call("POST", "/v1/requests", body: #"{"id":"urgent","tenant":"water","priority":"emergency","cpu":8,"memoryMiB":1024}"#).0 == 201)
        #expect(try await eventually { try await server.call("GET", "/v1/requests/water:urgent").1["phase"] as? String == "running" })
        let (_, victim) = try await server.call("GET", "/v1/requests/water:low")
        #expect(victim["phase"] as? String == "preempted")
        #expect(victim["reason"] as? String == "preempted by water:urgent")
        #expect((victim["placement"] as? [Any])?.isEmpty == true, "\(victim)")
        let history = victim["history"] as? [[String: Any]] ?? []
        #expect(history.contains { $0["phase"] as? String == "placed" && $0["reason"] as? String == "on n1" }, "\(history)")
    }

    @Test("a node registered ahead of its agent that no agent claims becomes suspect after the heartbeat grace, and the alerts say why")
    func unclaimedNodeAlerts() async throws {
        let server = try SchedulerProcess.start(dataDir: try temporaryDirectory(), config: #"{"heartbeatIntervalSeconds": 1}"#)
        defer { server.kill() }
        #expect(try await server.call("POST", "/v1/nodes", body: #"{"id":"n1","nodeClass":"general","site":"d1","cpu":8,"memoryMiB":65536}"#).0 == 201)
        #expect(try await eventually(15) { try await server.call("GET", "/v1/nodes/n1").1["state"] as? String == "suspect" })
        let (_, alerts) = try await server.call("GET", "/v1/alerts")
        let alert = (alerts["alerts"] as? [[String: Any]] ?? []).first { $0["target"] as? String == "node/n1" }
        #expect(alert?["kind"] as? String == "node_suspect")
        #expect((alert?["message"] as? String)?.contains("no agent has claimed it") == true, "\(alerts)")
    }
}
