import Foundation
import GRPCCore
import GRPCNIOTransportHTTP2
import SuanliProto
import SuanliTestSupport
import Testing

/// The real binary serving HTTP and gRPC over TLS with a certificate made by openssl.
@Suite("TLS", .serialized)
struct TLSTests {
    /// Runs a program and returns its standard output; throws when it fails.
    static func run(_ program: String, _ arguments: [String]) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [program] + arguments
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw CocoaError(.executableLoad, userInfo: [NSLocalizedDescriptionKey: "\(program) \(arguments) exited with \(process.terminationStatus)"])
        }
        return String(decoding: data, as: UTF8.self)
    }

    @Test("with a certificate and key, the HTTP API and the agents' gRPC service speak TLS only")
    func tls() async throws {
        let directory = try temporaryDirectory()
        let certificate = directory.appendingPathComponent("cert.pem").path
        let key = directory.appendingPathComponent("key.pem").path
        _ = try Self.run("openssl", [
            "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", certificate, "-days", "1",
            "-subj", "/CN=localhost", "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost",
        ])
        let server = try SchedulerProcess.start(dataDir: directory.appendingPathComponent("data"), arguments: ["--tls-cert", certificate, "--tls-key", key])
        defer { server.kill() }

        #expect(try Self.run("curl", ["-sS", "--cacert", certificate, "https://127.0.0.1:\(server.port)/healthz"]) == "ok\n")
        #expect(throws: (any Error).self) { try Self.run("curl", ["-sS", "http://127.0.0.1:\(server.port)/healthz"]) }

        let transport = try HTTP2ClientTransport.Posix(
            target: .ipv4(address: "127.0.0.1", port: server.grpcPort),
            transportSecurity: .tls { $0.trustRoots = .certificates([.file(path: certificate, format: .pem)]) },
            config: .defaults { $0.http2.authority = "localhost" })
        try await withGRPCClient(transport: transport) { client in
            var register = Suanli_Agent_V1_RegisterRequest()
            register.node.id = "edge-1"
            register.node.nodeClass = "edge"
            register.node.site = "d7"
            register.node.capacity.cpuMillis = 4000
            register.node.capacity.memoryMib = 8192
            let joined = try await Suanli_Agent_V1_AgentService.Client(wrapping: client).register(register, metadata: ["authorization": "Bearer \(SchedulerProcess.bootstrapToken)"])
            #expect(joined.nodeID == "edge-1" && joined.nodeCredential.hasPrefix("node_"))
        }
    }
}
