import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Testing

/// Starts the real `suanli-scheduler`, submits, kills it with SIGKILL, restarts it on the same
/// data directory and checks that nothing acknowledged was lost and nothing was allocated twice.
@Suite("Crash recovery", .serialized)
struct CrashRecoveryTests {
    /// The binary `swift build` put beside the test bundle.
    static var binary: URL {
        if let path = ProcessInfo.processInfo.environment["SUANLI_SCHEDULER_BINARY"] { return URL(fileURLWithPath: path) }
        var directory = Bundle.main.bundleURL
        while directory.path != "/" {
            let candidate = directory.appendingPathComponent("suanli-scheduler")
            if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
            directory.deleteLastPathComponent()
        }
        return URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent(".build/debug/suanli-scheduler")
    }

    /// A running scheduler process and its ports.
    struct Server {
        let process: Process
        let port: Int
        let grpcPort: Int

        static func start(dataDir: URL, arguments: [String] = []) throws -> Server {
            let process = Process()
            process.executableURL = CrashRecoveryTests.binary
            process.arguments = ["--data-dir", dataDir.path, "--http-port", "0", "--grpc-port", "0"] + arguments
            var environment = ProcessInfo.processInfo.environment
            environment["SUANLI_ADMIN_TOKEN"] = "crash-admin"
            process.environment = environment
            let output = Pipe()
            process.standardOutput = output
            process.standardError = FileHandle.nullDevice
            try process.run()
            // A scheduler that never reports its ports is stopped, which ends the reading below.
            let pid = process.processIdentifier
            let watchdog = DispatchWorkItem { Foundation.kill(pid, SIGKILL) }
            DispatchQueue.global().asyncAfter(deadline: .now() + 30, execute: watchdog)
            defer { watchdog.cancel() }
            var seen = ""
            while true {
                let chunk = output.fileHandleForReading.availableData
                if chunk.isEmpty { break }
                seen += String(decoding: chunk, as: UTF8.self)
                if let http = seen.range(of: #"address=127\.0\.0\.1:(\d+)"#, options: .regularExpression),
                   let grpc = seen.range(of: #"port=\d+ \[SchedulerGRPC\]"#, options: .regularExpression) {
                    let port = Int(seen[http].split(separator: ":").last!)!
                    let grpcPort = Int(seen[grpc].dropFirst(5).split(separator: " ").first!)!
                    // Keep draining its output so that logging never blocks it.
                    Thread.detachNewThread { while !output.fileHandleForReading.availableData.isEmpty {} }
                    return Server(process: process, port: port, grpcPort: grpcPort)
                }
            }
            process.terminate()
            throw CocoaError(.executableLoad, userInfo: [NSLocalizedDescriptionKey: "the scheduler did not report its port: \(seen)"])
        }

        func kill() {
            Foundation.kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }

        func call(_ method: String, _ path: String, body: String? = nil) async throws -> (Int, [String: Any]) {
            var request = URLRequest(url: URL(string: "http://127.0.0.1:\(port)\(path)")!)
            request.httpMethod = method
            request.setValue("Bearer crash-admin", forHTTPHeaderField: "Authorization")
            request.httpBody = body.map { Data($0.utf8) }
            let (data, response) = try await URLSession.shared.data(for: request)
            let json = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] ?? [:]
            return ((response as! HTTPURLResponse).statusCode, json)
        }
    }

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
            if status == 201 { acknowledged.append("r\(i)") }
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
            case "placed": placed += 1
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
        for i in 0..<5 { _ = try await server.call("POST", "/v1/requests/r\(i)/release") }
        try await Task.sleep(for: .milliseconds(500))
        let (_, list) = try await server.call("GET", "/v1/requests?phase=placed&limit=1000")
        #expect((list["requests"] as? [Any])?.count == 60)
    }
}
