import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// A fresh directory under the system's temporary folder.
public func temporaryDirectory() throws -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("suanli-test-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
}

/// A binary of this package that `swift build` put beside the test bundle (or `.build/debug`).
public func builtBinary(_ name: String) -> URL {
    var directory = Bundle.main.bundleURL
    while directory.path != "/" {
        let candidate = directory.appendingPathComponent(name)
        if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
        directory.deleteLastPathComponent()
    }
    return URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent(".build/debug/\(name)")
}

/// The real `suanli-scheduler` in a child process, with the ports it reported.
public struct SchedulerProcess {
    public static let adminToken = "process-admin"
    public static let bootstrapToken = "process-bootstrap"

    public let process: Process
    public let port: Int
    public let grpcPort: Int

    /// The binary: `SUANLI_SCHEDULER_BINARY`, or the one built beside the tests.
    public static var binary: URL {
        ProcessInfo.processInfo.environment["SUANLI_SCHEDULER_BINARY"].map { URL(fileURLWithPath: $0) } ?? builtBinary("suanli-scheduler")
    }

    /// Starts the scheduler on `dataDir` with ports chosen by the system unless `arguments`
    /// name them, and waits until it reports both.
    public static func start(dataDir: URL, httpPort: Int = 0, grpcPort: Int = 0, arguments: [String] = []) throws -> SchedulerProcess {
        let process = Process()
        process.executableURL = binary
        process.arguments = ["--data-dir", dataDir.path, "--http-port", "\(httpPort)", "--grpc-port", "\(grpcPort)"] + arguments
        var environment = ProcessInfo.processInfo.environment
        environment["SUANLI_ADMIN_TOKEN"] = adminToken
        environment["SUANLI_BOOTSTRAP_TOKEN"] = bootstrapToken
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
                return SchedulerProcess(process: process, port: port, grpcPort: grpcPort)
            }
        }
        process.terminate()
        throw CocoaError(.executableLoad, userInfo: [NSLocalizedDescriptionKey: "the scheduler did not report its ports: \(seen)"])
    }

    /// SIGKILL: no chance to clean up.
    public func kill() {
        Foundation.kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }

    /// SIGTERM and wait: a graceful stop.
    public func stop() {
        process.terminate()
        process.waitUntilExit()
    }

    /// One HTTP call as the admin; the status and the JSON body.
    public func call(_ method: String, _ path: String, body: String? = nil) async throws -> (Int, [String: Any]) {
        var request = URLRequest(url: URL(string: "http://127.0.0.1:\(port)\(path)")!)
        request.httpMethod = method
        request.setValue("Bearer \(Self.adminToken)", forHTTPHeaderField: "Authorization")
        if let body {
            request.setValue("application/json", forHTTPHeaderField: "Content-Type")
            request.httpBody = Data(body.utf8)
        }
        let (data, response) = try await URLSession.shared.data(for: request)
        let json = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] ?? [:]
        return ((response as! HTTPURLResponse).statusCode, json)
    }
}
