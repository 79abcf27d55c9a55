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
    /// Where its log (standard output) goes: `scheduler.log` in its data directory.
    public let logFile: URL

    /// Its log so far.
    public var log: String { (try? String(contentsOf: logFile, encoding: .utf8)) ?? "" }

    /// The binary: `SUANLI_SCHEDULER_BINARY`, or the one built beside the tests.
    public static var binary: URL {
        ProcessInfo.processInfo.environment["SUANLI_SCHEDULER_BINARY"].map { URL(fileURLWithPath: $0) } ?? builtBinary("suanli-scheduler")
    }

    /// Starts the scheduler on `dataDir` with ports chosen by the system unless `arguments`
    /// name them, and waits until it reports both. `config` is the text of a configuration file
    /// it is given; `descriptorLimit` lowers its open-file limit (soft and hard) before it starts.
    /// A scheduler that may start as a standby (`waitForAgentsPort` false) opens its agents' port
    /// only once it leads: it is awaited on its HTTP port alone, and `grpcPort` must be given.
    public static func start(
        dataDir: URL, httpPort: Int = 0, grpcPort: Int = 0, config: String? = nil, arguments: [String] = [], descriptorLimit: Int? = nil,
        waitForAgentsPort: Bool = true
    ) throws -> SchedulerProcess {
        let process = Process()
        var arguments = arguments
        if let config {
            let file = try temporaryDirectory().appendingPathComponent("config.json")
            try config.write(to: file, atomically: true, encoding: .utf8)
            arguments += ["--config", file.path]
        }
        let own = ["--data-dir", dataDir.path, "--http-port", "\(httpPort)", "--grpc-port", "\(grpcPort)"] + arguments
        if let descriptorLimit {
            process.executableURL = URL(fileURLWithPath: "/bin/sh")
            process.arguments = ["-c", "ulimit -n \(descriptorLimit) && exec \"$0\" \"$@\"", binary.path] + own
        } else {
            process.executableURL = binary
            process.arguments = own
        }
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
            let grpc = seen.range(of: #"port=\d+ \[SchedulerGRPC\]"#, options: .regularExpression)
            if let http = seen.range(of: #"address=127\.0\.0\.1:(\d+)"#, options: .regularExpression), grpc != nil || !waitForAgentsPort {
                let port = Int(seen[http].split(separator: ":").last!)!
                let grpcPort = grpc.map { Int(seen[$0].dropFirst(5).split(separator: " ").first!)! } ?? grpcPort
                // Keep draining its output into the log file so that logging never blocks it.
                let logFile = dataDir.appendingPathComponent("scheduler.log")
                FileManager.default.createFile(atPath: logFile.path, contents: Data(seen.utf8))
                let writer = try FileHandle(forWritingTo: logFile)
                writer.seekToEndOfFile()
                Thread.detachNewThread {
                    while case let chunk = output.fileHandleForReading.availableData, !chunk.isEmpty { writer.write(chunk) }
                    try? writer.close()
                }
                return SchedulerProcess(process: process, port: port, grpcPort: grpcPort, logFile: logFile)
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
        let answer = try await send(method, path, body: body.map { Data($0.utf8) })
        return (answer.status, answer.json)
    }

    /// An HTTP answer: status, headers (names lower-cased) and body.
    public struct Answer: Sendable {
        public var status: Int
        public var headers: [String: String]
        public var body: Data

        public var json: [String: Any] { (try? JSONSerialization.jsonObject(with: body)) as? [String: Any] ?? [:] }
        public var text: String { String(decoding: body, as: UTF8.self) }
    }

    /// One HTTP call with `token` (nil: none) and any headers; a body is sent as JSON unless the
    /// headers say otherwise.
    public func send(
        _ method: String, _ path: String, body: Data? = nil, token: String? = SchedulerProcess.adminToken, headers: [String: String] = [:]
    ) async throws -> Answer {
        try await api.send(method, path, body: body, token: token, headers: headers)
    }

    /// Its HTTP API, for tasks that call it concurrently.
    public var api: API { API(port: port) }
}

extension SchedulerProcess {
    /// A scheduler's HTTP API on loopback.
    public struct API: Sendable {
        public let port: Int

        /// One HTTP call with `token` (nil: none) and any headers; a body is sent as JSON unless
        /// the headers say otherwise.
        public func send(
            _ method: String, _ path: String, body: Data? = nil, token: String? = SchedulerProcess.adminToken, headers: [String: String] = [:]
        ) async throws -> Answer {
        var request = URLRequest(url: URL(string: "http://127.0.0.1:\(port)\(path)")!)
        request.httpMethod = method
        // A scheduler that does not answer fails the test in bounded time instead of hanging it.
        request.timeoutInterval = 20
        if let token { request.setValue("Bearer \(token)", forHTTPHeaderField: "Authorization") }
        if let body {
            request.setValue("application/json", forHTTPHeaderField: "Content-Type")
            request.httpBody = body
        }
        for (name, value) in headers { request.setValue(value, forHTTPHeaderField: name) }
        let (data, response) = try await URLSession.shared.data(for: request)
        let http = response as! HTTPURLResponse
        var fields: [String: String] = [:]
        for (name, value) in http.allHeaderFields { fields[String(describing: name).lowercased()] = String(describing: value) }
        return Answer(status: http.statusCode, headers: fields, body: data)
        }
    }
}

/// A TCP port on loopback that nothing listened on a moment ago.
public func freePort() throws -> Int {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    defer { close(fd) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    let bound = withUnsafeMutablePointer(to: &address) { pointer in
        pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0 }
    }
    guard bound else { throw CocoaError(.fileReadUnknown, userInfo: [NSLocalizedDescriptionKey: "no free port: errno \(errno)"]) }
    return Int(UInt16(bigEndian: address.sin_port))
}

/// Polls `condition` every 100 ms for up to `seconds`.
public func eventually(_ seconds: Double = 30, _ condition: () async throws -> Bool) async throws -> Bool {
    let deadline = Date().addingTimeInterval(seconds)
    while Date() < deadline {
        if try await condition() { return true }
        try await Task.sleep(for: .milliseconds(100))
    }
    return try await condition()
}

/// Runs a program to its end, its standard output and error read together; sent SIGTERM after
/// `seconds` (a program that hangs fails its test instead of holding the suite).
public func runToEnd(
    _ executable: URL, _ arguments: [String], in directory: URL, environment extra: [String: String] = [:], seconds: Double
) throws -> (status: Int32, output: String) {
    let process = Process()
    process.executableURL = executable
    process.currentDirectoryURL = directory
    process.arguments = arguments
    process.environment = ProcessInfo.processInfo.environment.merging(extra) { _, new in new }
    let output = Pipe()
    process.standardOutput = output
    process.standardError = output
    try process.run()
    let watchdog = DispatchWorkItem { process.terminate() }
    DispatchQueue.global().asyncAfter(deadline: .now() + seconds, execute: watchdog)
    let said = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    process.waitUntilExit()
    watchdog.cancel()
    return (process.terminationStatus, said)
}
