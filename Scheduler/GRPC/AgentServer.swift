import GRPCCore
import GRPCNIOTransportHTTP2
import Logging
import SchedulerService
import ServiceLifecycle

/// The agents' gRPC server as a long-running service: listens on `host:port` (port 0 picks a
/// free port, which is logged and available from `listeningPort`), with TLS when a certificate
/// and key are given, and shuts down gracefully with the service group.
public struct AgentServer: Service {
    /// PEM files for TLS.
    public struct TLSFiles: Sendable, Hashable {
        public var certificateChain: String
        public var privateKey: String

        public init(certificateChain: String, privateKey: String) {
            self.certificateChain = certificateChain
            self.privateKey = privateKey
        }
    }

    let server: GRPCServer<HTTP2ServerTransport.Posix>
    let scheduler: Scheduler
    let transport: HTTP2ServerTransport.Posix
    let logger: Logger

    /// `transportConfig` carries the connection limits (`ConnectionGovernor.agentTransportConfig`).
    public init(
        scheduler: Scheduler, host: String, port: Int, tls: TLSFiles? = nil, transportConfig: HTTP2ServerTransport.Posix.Config = .defaults,
        logger: Logger
    ) {
        let security: HTTP2ServerTransport.Posix.TransportSecurity = tls.map {
            .tls(certificateChain: [.file(path: $0.certificateChain, format: .pem)], privateKey: .file(path: $0.privateKey, format: .pem))
        } ?? .plaintext
        transport = HTTP2ServerTransport.Posix(address: .ipv4(host: host, port: port), transportSecurity: security, config: transportConfig)
        server = GRPCServer(transport: transport, services: [AgentService(scheduler: scheduler)])
        self.scheduler = scheduler
        self.logger = logger
    }

    /// The port the server listens on, once it is bound.
    public var listeningPort: Int? {
        get async { try? await transport.listeningAddress.ipv4?.port }
    }

    public func run() async throws {
        try await withGracefulShutdownHandler {
            try await withThrowingDiscardingTaskGroup { group in
                group.addTask { try await server.serve() }
                if let port = await listeningPort { logger.info("agent gRPC service listening", metadata: ["port": "\(port)"]) }
            }
        } onGracefulShutdown: {
            server.beginGracefulShutdown()
            // Assignment streams last as long as the agent: end them, or shutdown waits forever.
            scheduler.closeAllAssignments()
        }
    }
}
