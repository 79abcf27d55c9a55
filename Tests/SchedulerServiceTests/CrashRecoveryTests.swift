import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import SuanliTestSupport
import Testing

/// Starts the real `suanli-scheduler`, submits, kills it with SIGKILL, restarts it on the same
/// data directory and checks that nothing acknowledged was lost and nothing was allocated twice.
@Suite("Crash recovery", .serialized)
struct CrashRecoveryTests {
    typealias Server = SchedulerProcess

    @Test("kill -9 loses no acknowledged request and never double-allocates")
    func killNine() async throws {
        let dataDir = try temporaryDirectory()
        var server = try Server.start(dataDir: dataDir)
        #expect(try await server.call("POST", "/v1/tenants", body: #"{"id":"water"}"#).0 == 201)
        for node in 1...3 {
            let body = #"{"id":"n\#(node)","nodeClass":"general","site":"d1","cpu":20,"memoryMiB":65536}"#
            #expect(try await server.call("POST", "/v1/nodes", body: body).0 == 201)
        }
        // 80 requests of 1 core for 60 cores: 20 must wait. Kill right after the last answer.
        var acknowledged: [String] = []
        for i in 0..<80 {
            let (status, _) = try await server.call("POST", "/v1/requests", body: #"{"id":"r\#(i)","tenant":"water","cpu":1,"memoryMiB":128}"#)
            if status == 201 { acknowledged.append("water:r\(i)") }
        }
        #expect(acknowledged.count == 80)
        server.kill()

        server = try Server.start(dataDir: dataDir)
        defer { server.kill() }
        var placed = 0
        var queued = 0
        for id in acknowledged {
            let (status, request) = try await server.call("GET", "/v1/requests/\(id)")
            #expect(status == 200, "\(id) was lost")
            switch request["phase"] as? String {
            case "running": placed += 1
            case "queued": queued += 1
            case let other: Issue.record("\(id) is \(other ?? "nil")")
            }
        }
        #expect(placed == 60 && queued == 20)
        let (_, nodes) = try await server.call("GET", "/v1/nodes")
        for node in nodes["nodes"] as! [[String: Any]] {
            let allocated = (node["allocated"] as! [String: Any])["cpu"] as! Double
            let free = (node["free"] as! [String: Any])["cpu"] as! Double
            #expect(allocated == 20 && free == 0, "node \(node["id"]!): allocated \(allocated), free \(free)")
        }
        // The queue resumes: releasing 5 lets 5 of the waiting requests in.
        for i in 0..<5 { _ = try await server.call("POST", "/v1/requests/water:r\(i)/release") }
        // Within the next passes (the suite's other tests share the two cores: no fixed sleep;
        // under the whole suite's load 10 s was once not enough).
        #expect(try await eventually(30) {
            let (_, list) = try await server.call("GET", "/v1/requests?phase=running&limit=1000")
            return (list["requests"] as? [Any])?.count == 60
        })
    }
}
