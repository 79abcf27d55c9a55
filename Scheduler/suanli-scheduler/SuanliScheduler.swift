import ArgumentParser
import Foundation
import Hummingbird
import HummingbirdCore
import HummingbirdTLS
import Logging
import NIOCore
import SchedulerConnections
import SchedulerGRPC
import SchedulerHTTP
import SchedulerService
import Placement
import SchedulerPostgres
import SchedulerSQLite
import ServiceLifecycle

/// `suanli-scheduler`: the central scheduler. Reads its configuration file, then the environment,
/// then flags (each overriding the one before), opens the store (SQLite in the data directory, or
/// a PostgreSQL store shared with other schedulers, one of which leads) and runs the HTTP API, the
/// agents' gRPC service and the placement loop in one ServiceGroup until SIGTERM or SIGINT.
@main
struct SuanliScheduler: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "suanli-scheduler",
        abstract: "The Suanli central scheduler: resource request API, placement, durable state.",
        subcommands: [Serve.self, Benchmarks.self, PrintOpenAPI.self], defaultSubcommand: Serve.self)
}

/// Prints the API's OpenAPI document (also served at /v1/openapi.json).
struct PrintOpenAPI: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "openapi", abstract: "Print the API's OpenAPI 3.1 document.")

    func run() {
        FileHandle.standardOutput.write(Data(SchedulerAPI.openAPIDocument))
    }
}

/// Runs the scheduler until SIGTERM or SIGINT.
struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Run the scheduler (the default).")

    @Option(name: .long, help: "A JSON configuration file (see README). Also SUANLI_CONFIG.")
    var config: String?

    @Option(name: .long, help: "Where the database and token files live (default ./suanli-data). Also SUANLI_DATA_DIR.")
    var dataDir: String?

    @Option(name: .long, help: "The HTTP API's address (default 127.0.0.1). Also SUANLI_HTTP_HOST.")
    var httpHost: String?

    @Option(name: .long, help: "The HTTP API's port; 0 picks a free one and logs it (default 8420). Also SUANLI_HTTP_PORT.")
    var httpPort: Int?

    @Option(name: .long, help: "The agents' gRPC port on the same address; 0 picks a free one and logs it (default 8421). Also SUANLI_GRPC_PORT.")
    var grpcPort: Int?

    @Option(name: .long, help: "PEM certificate chain: serve HTTP and gRPC over TLS (with --tls-key). Also SUANLI_TLS_CERT.")
    var tlsCert: String?

    @Option(name: .long, help: "PEM private key of the TLS certificate. Also SUANLI_TLS_KEY.")
    var tlsKey: String?

    @Option(name: .long, help: "process (survives kill -9) or power (survives power loss; slower). Default process. SQLite only.")
    var durability: SQLiteStore.Durability?

    @Option(name: .long, help: "postgres://USER@HOST:PORT/DB: a PostgreSQL store shared by several schedulers, one leading. Default: SQLite in the data directory. Also SUANLI_STORE.")
    var store: String?

    @Option(name: .long, help: "This scheduler's URL for the others to pass calls on to while it leads (default: the address it listens on). Also SUANLI_ADVERTISE_URL.")
    var advertiseURL: String?

    @Option(name: .long, help: "Placement policy by name or scorer=weight,... (default best-fit).")
    var policy: String?

    @Option(name: .long, help: "The most connections open at once, HTTP and gRPC together (default: from the descriptor limit).")
    var maxConnections: Int?

    func run() async throws {
        let environment = ProcessInfo.processInfo.environment
        var settings = Settings()
        if let path = config ?? environment["SUANLI_CONFIG"] { try settings.apply(file: path) }
        func port(_ variable: String) throws -> Int? {
            guard let raw = environment[variable] else { return nil }
            guard let port = Int(raw), (0...65535).contains(port) else { throw ValidationError("\(variable): '\(raw)' is not a port number (0 to 65535)") }
            return port
        }
        settings.dataDir = dataDir ?? environment["SUANLI_DATA_DIR"] ?? settings.dataDir
        settings.httpHost = httpHost ?? environment["SUANLI_HTTP_HOST"] ?? settings.httpHost
        if let port = try httpPort ?? port("SUANLI_HTTP_PORT") { settings.httpPort = port }
        if let port = try grpcPort ?? port("SUANLI_GRPC_PORT") { settings.grpcPort = port }
        settings.tlsCertificate = tlsCert ?? environment["SUANLI_TLS_CERT"] ?? settings.tlsCertificate
        settings.tlsKey = tlsKey ?? environment["SUANLI_TLS_KEY"] ?? settings.tlsKey
        if let durability { settings.durability = durability }
        if let url = store ?? environment["SUANLI_STORE"] {
            do { settings.store = try Settings.storeURL(url, "store") } catch { throw ValidationError("--store (or SUANLI_STORE): \(error.message)") }
        }
        if let url = advertiseURL ?? environment["SUANLI_ADVERTISE_URL"] {
            do { settings.advertiseURL = try Settings.httpURL(url, "advertiseURL") } catch { throw ValidationError("--advertise-url (or SUANLI_ADVERTISE_URL): \(error.message)") }
        }
        if let policy { settings.scheduler.policy = policy }
        if let maxConnections { settings.maxConnections = maxConnections }
        guard (0...65535).contains(settings.httpPort) else { throw ValidationError("--http-port must be between 0 and 65535") }
        guard (0...65535).contains(settings.grpcPort) else { throw ValidationError("--grpc-port must be between 0 and 65535") }
        if let cap = settings.maxConnections, cap < 16 { throw ValidationError("--max-connections must be at least 16") }
        do { _ = try PolicyRegistry.policy(spec: settings.scheduler.policy) } catch { throw ValidationError("--policy: \(error.message)") }
        let tls = try settings.tls()

        LoggingSystem.bootstrap { StreamLogHandler.standardOutput(label: $0) }
        var logger = Logger(label: "suanli.scheduler")
        logger.logLevel = environment["LOG_LEVEL"].flatMap(Logger.Level.init(rawValue:)) ?? .info

        let directory = URL(fileURLWithPath: settings.dataDir)
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)

        // Both ports under one cap, well below the descriptor limit (raised to the hard limit).
        let descriptors = DescriptorLimit.raise()
        let limits = ConnectionGovernor.Limits(
            maxConnections: settings.maxConnections ?? ConnectionGovernor.Limits.defaultMaxConnections(descriptors: descriptors),
            handshakeSeconds: settings.requestHeaderTimeoutSeconds, agentIdleSeconds: settings.agentIdleTimeoutSeconds)
        let governor = ConnectionGovernor(limits: limits, logger: logger)
        logger.info("connection limits", metadata: [
            "maxConnections": "\(limits.maxConnections)", "descriptors": "\(descriptors)",
            "headerTimeout": "\(settings.requestHeaderTimeoutSeconds)s", "bodyTimeout": "\(settings.requestBodyTimeoutSeconds)s",
            "agentIdleTimeout": "\(settings.agentIdleTimeoutSeconds)s",
        ])
        let bodyTimeout = TimeAmount.milliseconds(Int64(settings.requestBodyTimeoutSeconds * 1000))
        let http1 = HTTP1Channel.Configuration(
            additionalChannelHandlers: [HTTPConnectionGuard(governor: governor, bodyTimeout: bodyTimeout)],
            idleTimeout: .milliseconds(Int64(settings.requestHeaderTimeoutSeconds * 1000)))
        var server = HTTPServerBuilder.http1(configuration: http1)
        if let tls {
            let configuration = TLSConfiguration.makeServerConfiguration(
                certificateChain: try NIOSSLCertificate.fromPEMFile(tls.certificateChain).map { .certificate($0) },
                privateKey: .privateKey(try NIOSSLPrivateKey(file: tls.privateKey, format: .pem)))
            server = try .tls(.http1(configuration: http1), tlsConfiguration: configuration)
        }

        let serviceLogger = logger
        let host = settings.httpHost
        let chosen = settings
        let configuration = ApplicationConfiguration(address: .hostname(settings.httpHost, port: settings.httpPort), serverName: "suanli-scheduler", backlog: 1024)
        // What a leader runs beside its HTTP API: the placement loop, the webhooks and the agents' gRPC port.
        let leaderServices = { @Sendable (scheduler: Scheduler) -> (RouterResponder<APIContext>, [any Service]) in
            // The API and, beside it under `/`, the web portal.
            let router = SchedulerAPI.router(scheduler: scheduler)
            Portal.add(to: router, scheduler: scheduler, settings: PortalSettings(secureCookies: tls != nil))
            let agents = AgentServer(
                scheduler: scheduler, host: chosen.httpHost, port: chosen.grpcPort,
                tls: tls.map { AgentServer.TLSFiles(certificateChain: $0.certificateChain, privateKey: $0.privateKey) },
                transportConfig: governor.agentTransportConfig(requestTimeout: .milliseconds(Int64(chosen.requestHeaderTimeoutSeconds * 1000))),
                logger: serviceLogger)
            return (router.buildResponder(), [PlacementLoop(scheduler: scheduler), WebhookSender(scheduler: scheduler, logger: serviceLogger), agents])
        }
        let services: [any Service]
        /// What to close after the services end.
        var closing: [@Sendable () async -> Void] = []
        if let url = settings.store {
            // Several schedulers on one PostgreSQL store: the HTTP API at once, as a standby until
            // this one wins the lease (`LeaderElection`).
            let address = try PostgresAddress(url: url)
            let store = try PostgresStore(address: address, logger: logger)
            logger.info("store", metadata: ["postgres": "\(address)"])
            // Every scheduler of the group is given the same tokens; the first to lead an empty store creates the admin with its own.
            let adminHash = Token.hash(try TokenFile.establish("admin", environment: "SUANLI_ADMIN_TOKEN", in: directory, reuse: true, logger: logger))
            let bootstrapHash = Token.hash(try TokenFile.establish("bootstrap", environment: "SUANLI_BOOTSTRAP_TOKEN", in: directory, reuse: true, logger: logger))
            let role = ReplicaRole(identity: "\(ProcessInfo.processInfo.hostName)/\(getpid())/\(Token.generate(prefix: "s").suffix(8))")
            closing = [{ await role.shutdown() }, { store.shutdown() }]
            let election = LeaderElection(store: store, role: role, lease: settings.lease, advertisedURL: settings.advertiseURL, logger: logger) {
                let scheduler = try Scheduler(store: store, config: chosen.scheduler, adminTokenHash: adminHash, bootstrapTokenHash: bootstrapHash, logger: serviceLogger)
                scheduler.placePending()
                return leaderServices(scheduler)
            }
            let scheme = tls == nil ? "http" : "https"
            let app = Application(
                responder: role.responder, server: server, configuration: configuration,
                onServerRunning: { channel in
                    await Self.listening(channel, host: host, tls: tls != nil, logger: serviceLogger)
                    let shown = ["0.0.0.0", "::", "[::]"].contains(host) ? ProcessInfo.processInfo.hostName : host
                    role.listening(at: "\(scheme)://\(shown.contains(":") && !shown.hasPrefix("[") ? "[\(shown)]" : shown):\(channel.localAddress?.port ?? 0)")
                },
                logger: logger)
            services = [governor, app, election]
        } else {
            let databasePath = directory.appendingPathComponent("suanli.sqlite").path
            let firstStart = !FileManager.default.fileExists(atPath: databasePath)
            let store = try SQLiteStore(path: databasePath, durability: settings.durability)
            var adminHash: String?
            var bootstrapHash: String?
            if firstStart {
                adminHash = Token.hash(try TokenFile.establish("admin", environment: "SUANLI_ADMIN_TOKEN", in: directory, logger: logger))
                bootstrapHash = Token.hash(try TokenFile.establish("bootstrap", environment: "SUANLI_BOOTSTRAP_TOKEN", in: directory, logger: logger))
            }
            let scheduler = try Scheduler(store: store, config: settings.scheduler, adminTokenHash: adminHash, bootstrapTokenHash: bootstrapHash, logger: logger)
            scheduler.placePending()
            let (responder, leading) = leaderServices(scheduler)
            let app = Application(
                responder: responder, server: server, configuration: configuration,
                onServerRunning: { channel in await Self.listening(channel, host: host, tls: tls != nil, logger: serviceLogger) },
                logger: logger)
            services = [governor, app] + leading
        }
        let group = ServiceGroup(
            configuration: .init(services: services.map { .init(service: $0) }, gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        try await group.run()
        for close in closing { await close() }
    }

    /// Pauses accepting while descriptors run out, and says where the API listens.
    static func listening(_ channel: any Channel, host: String, tls: Bool, logger: Logger) async {
        try? await channel.eventLoop.submit {
            try channel.pipeline.syncOperations.addHandler(AcceptPause(logger: logger), position: .first)
        }.get()
        logger.info("HTTP API listening", metadata: ["address": "\(host):\(channel.localAddress?.port ?? 0)", "tls": "\(tls)"])
    }
}

extension SQLiteStore.Durability: ExpressibleByArgument {}

/// The admin and bootstrap tokens of a first start.
enum TokenFile {
    /// The token from the environment variable, or (with `reuse`) the one in `<dir>/<name>.token`,
    /// or a new one written there, readable by the owner only.
    static func establish(_ name: String, environment variable: String, in directory: URL, reuse: Bool = false, logger: Logger) throws -> String {
        if let token = ProcessInfo.processInfo.environment[variable], !token.isEmpty { return token }
        let path = directory.appendingPathComponent("\(name).token").path
        if reuse, let text = try? String(contentsOfFile: path, encoding: .utf8), !text.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty {
            return text.trimmingCharacters(in: .whitespacesAndNewlines)
        }
        let token = Token.generate(prefix: name == "admin" ? "sla" : "slb")
        guard FileManager.default.createFile(atPath: path, contents: Data((token + "\n").utf8), attributes: [.posixPermissions: 0o600]) else {
            throw ValidationError("cannot write \(path)")
        }
        logger.notice("wrote the \(name) token", metadata: ["file": "\(path)"])
        return token
    }
}
