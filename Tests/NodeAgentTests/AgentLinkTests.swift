import Foundation
import SuanliTestSupport
import Testing

/// The real agent binary (no drivers) joining the real scheduler: what it says when its token is
/// refused, TLS to an IP address, and a pre-registered node claimed without losing what the
/// operator said.
@Suite("Agent joining the scheduler", .serialized)
struct AgentLinkTests {
    /// The agent with no drivers.
    static func agent(_ arguments: [String], dataDir: URL) throws -> AgentProcess {
        try AgentProcess.start(["--libvirt-uri", "none", "--systemd-bus", "none"] + arguments, dataDir: dataDir)
    }

    static func certificate(in directory: URL) throws -> (certificate: String, key: String) {
        let certificate = directory.appendingPathComponent("cert.pem").path, key = directory.appendingPathComponent("key.pem").path
        let openssl = Process()
        openssl.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        openssl.arguments = [
            "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", certificate, "-days", "1",
            "-subj", "/CN=localhost", "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost",
        ]
        openssl.standardError = FileHandle.nullDevice
        try openssl.run()
        openssl.waitUntilExit()
        return (certificate, key)
    }

    @Test("a wrong token is said to be refused (not 'cannot reach'); over TLS the scheduler may be named by its IP address")
    func tokenAndTLS() async throws {
        let directory = try temporaryDirectory()
        let tls = try Self.certificate(in: directory)
        let scheduler = try SchedulerProcess.start(dataDir: directory.appendingPathComponent("scheduler"), arguments: ["--tls-cert", tls.certificate, "--tls-key", tls.key])
        defer { scheduler.kill() }
        let common = ["--scheduler", "127.0.0.1:\(scheduler.grpcPort)", "--ca-file", tls.certificate, "--class", "edge", "--site", "district-7"]

        let wrongDir = directory.appendingPathComponent("wrong")
        let wrong = try Self.agent(common + ["--token", "not-the-token", "--node-id", "edge-1"], dataDir: wrongDir)
        defer { wrong.stop() }
        #expect(try await eventually(20) { wrong.log.contains("refused the token") }, "\(wrong.log)")
        #expect(!wrong.log.contains("cannot reach"))

        let rightDir = directory.appendingPathComponent("right")
        let right = try Self.agent(common + ["--token", SchedulerProcess.bootstrapToken, "--node-id", "edge-2"], dataDir: rightDir)
        defer { right.stop() }
        // (The HTTP API speaks TLS too: the agent's own log says it joined.)
        #expect(try await eventually(20) { right.log.contains("connected to the scheduler") }, "\(right.log)")
    }

    @Test("an agent claiming a pre-registered node keeps the operator's labels and region, brings its measured capacity, and both show")
    func claim() async throws {
        let directory = try temporaryDirectory()
        let scheduler = try SchedulerProcess.start(dataDir: directory.appendingPathComponent("scheduler"))
        defer { scheduler.kill() }
        let registration = #"{"id":"edge-9","nodeClass":"edge","site":"district-9","region":"south","labels":{"camera":"yes"},"cpu":64,"memoryMiB":1048576}"#
        #expect(try await scheduler.call("POST", "/v1/nodes", body: registration).0 == 201)
        let config = directory.appendingPathComponent("agent.json")
        try #"{"labels": {"camera": "no", "rack": "r1"}, "region": "north"}"#.write(to: config, atomically: true, encoding: .utf8)
        let agentDir = directory.appendingPathComponent("agent")
        let agent = try Self.agent([
            "--config", config.path, "--scheduler", "127.0.0.1:\(scheduler.grpcPort)", "--token", SchedulerProcess.bootstrapToken,
            "--node-id", "edge-9", "--class", "edge", "--site", "district-9",
        ], dataDir: agentDir)
        defer { agent.stop() }
        #expect(try await eventually(20) { (try await scheduler.send("GET", "/v1/nodes/edge-9")).json["awaitingAgent"] as? Bool == false }, "\(agent.log)")
        let node = try await scheduler.send("GET", "/v1/nodes/edge-9").json
        #expect(node["labels"] as? [String: String] == ["camera": "yes"] && node["region"] as? String == "south")
        let reported = node["reported"] as? [String: Any], registered = node["registration"] as? [String: Any]
        #expect(reported?["labels"] as? [String: String] == ["camera": "no", "rack": "r1"] && reported?["region"] as? String == "north")
        #expect((registered?["capacity"] as? [String: Any])?["cpu"] as? Double == 64)
        // The capacity is what the agent measured on this host, not the 64 cores registered.
        let measured = (reported?["capacity"] as? [String: Any])?["cpu"] as? Double
        #expect(measured != nil && (node["capacity"] as? [String: Any])?["cpu"] as? Double == measured && measured != 64)
        // The scheduler's log tells the story at info level.
        #expect(try await eventually(10) { scheduler.log.contains("agent registered") && scheduler.log.contains("agent connected") }, "\(scheduler.log)")
        let (_, audit) = try await scheduler.call("GET", "/v1/audit?action=node.claim")
        let detail = ((audit["entries"] as? [[String: Any]])?.first?["detail"] as? String) ?? ""
        #expect(detail.contains("the operator's labels kept") && detail.contains("capacity the agent measured"), "\(detail)")
        // An agent that goes away (here killed outright) is noticed at once: its stream ends.
        kill(agent.process.processIdentifier, SIGKILL)
        #expect(try await eventually(10) { scheduler.log.contains("agent disconnected") }, "\(scheduler.log)")
    }

    @Test("the agent refuses a configuration file with an unknown key at start, naming the file, the line and the key")
    func configurationTypo() throws {
        let directory = try temporaryDirectory()
        let config = directory.appendingPathComponent("agent.json")
        try "{\n  \"site\": \"d7\",\n  \"schedular\": \"center:8421\"\n}\n".write(to: config, atomically: true, encoding: .utf8)
        let agent = try Self.agent(["--config", config.path, "--class", "edge"], dataDir: directory.appendingPathComponent("agent"))
        agent.process.waitUntilExit()
        #expect(agent.process.terminationStatus != 0)
        #expect(agent.log.contains("\(config.path): line 3: field 'schedular': unknown field; did you mean 'scheduler'?"), "\(agent.log)")
    }

    @Test("a node whose agent falls silent is logged suspect by the scheduler, and back when it returns")
    func silentNode() async throws {
        let directory = try temporaryDirectory()
        let scheduler = try SchedulerProcess.start(dataDir: directory.appendingPathComponent("scheduler"), config: #"{"heartbeatIntervalSeconds": 1}"#)
        defer { scheduler.kill() }
        let arguments = ["--scheduler", "127.0.0.1:\(scheduler.grpcPort)", "--token", SchedulerProcess.bootstrapToken, "--node-id", "edge-5", "--class", "edge", "--site", "d5"]
        let agentDir = directory.appendingPathComponent("agent")
        let first = try Self.agent(arguments, dataDir: agentDir)
        #expect(try await eventually(20) { scheduler.log.contains("agent connected") }, "\(first.log)")
        // Stopped (not killed): it stops heartbeating; three missed heartbeats make the node suspect.
        kill(first.process.processIdentifier, SIGSTOP)
        #expect(try await eventually(20) { scheduler.log.contains("node suspect") }, "\(scheduler.log)")
        kill(first.process.processIdentifier, SIGCONT)
        #expect(try await eventually(20) { scheduler.log.contains("node is back") }, "\(scheduler.log)")
        first.stop()
    }
}
