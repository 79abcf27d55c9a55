import ArgumentParser
import Foundation
import Hummingbird
import HummingbirdCore
import HummingbirdTLS
import Logging
import SchedulerGRPC
import SchedulerHTTP
import SchedulerService
import Placement
import SchedulerSQLite
import ServiceLifecycle

/// `suanli-scheduler`: the central scheduler. Reads its configuration file, then the environment,
/// then flags (each overriding the one before), opens the store in the data directory and runs
/// the HTTP API, the agents' gRPC service and the placement loop in one ServiceGroup until
/// SIGTERM or SIGINT.
@main
struct SuanliScheduler: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "suanli-scheduler",
        abstract: "The Suanli central scheduler: resource request API, placement, durable state.",
        subcommands: [Serve.self, SubmitBenchmark.self], defaultSubcommand: Serve.self)
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

    @Option(name: .long, help: "process (survives kill -9) or power (survives power loss; slower). Default process.")
    var durability: SQLiteStore.Durability?

    @Option(name: .long, help: "Placement policy by name or scorer=weight,... (default best-fit).")
    var policy: String?

    func run() async throws {
        let environment = ProcessInfo.processInfo.environment
        var settings = try ConfigFile.load(config ?? environment["SUANLI_CONFIG"])
        settings.dataDir = dataDir ?? environment["SUANLI_DATA_DIR"] ?? settings.dataDir
        settings.httpHost = httpHost ?? environment["SUANLI_HTTP_HOST"] ?? settings.httpHost
        if let port = httpPort ?? environment["SUANLI_HTTP_PORT"].flatMap(Int.init) { settings.httpPort = port }
        if let port = grpcPort ?? environment["SUANLI_GRPC_PORT"].flatMap(Int.init) { settings.grpcPort = port }
        settings.tlsCertificate = tlsCert ?? environment["SUANLI_TLS_CERT"] ?? settings.tlsCertificate
        settings.tlsKey = tlsKey ?? environment["SUANLI_TLS_KEY"] ?? settings.tlsKey
        if let durability { settings.durability = durability }
        if let policy { settings.scheduler.policy = policy }
        guard (0...65535).contains(settings.httpPort) else { throw ValidationError("--http-port must be between 0 and 65535") }
        guard (0...65535).contains(settings.grpcPort) else { throw ValidationError("--grpc-port must be between 0 and 65535") }
        let tls = try settings.tls()

        LoggingSystem.bootstrap { StreamLogHandler.standardOutput(label: $0) }
        var logger = Logger(label: "suanli.scheduler")
        logger.logLevel = environment["LOG_LEVEL"].flatMap(Logger.Level.init(rawValue:)) ?? .info

        let directory = URL(fileURLWithPath: settings.dataDir)
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
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

        let serviceLogger = logger
        let host = settings.httpHost
        var server = HTTPServerBuilder.http1()
        if let tls {
            let configuration = TLSConfiguration.makeServerConfiguration(
                certificateChain: try NIOSSLCertificate.fromPEMFile(tls.certificateChain).map { .certificate($0) },
                privateKey: .privateKey(try NIOSSLPrivateKey(file: tls.privateKey, format: .pem)))
            server = try .tls(.http1(), tlsConfiguration: configuration)
        }
        let app = Application(
            router: SchedulerAPI.router(scheduler: scheduler),
            server: server,
            configuration: .init(address: .hostname(settings.httpHost, port: settings.httpPort), serverName: "suanli-scheduler"),
            onServerRunning: { channel in
                serviceLogger.info("HTTP API listening", metadata: ["address": "\(host):\(channel.localAddress?.port ?? 0)", "tls": "\(tls != nil)"])
            },
            logger: logger)
        let agents = AgentServer(scheduler: scheduler, host: settings.httpHost, port: settings.grpcPort, tls: tls, logger: logger)
        let group = ServiceGroup(
            configuration: .init(
                services: [.init(service: PlacementLoop(scheduler: scheduler)), .init(service: app), .init(service: agents)],
                gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        try await group.run()
    }
}

extension SQLiteStore.Durability: ExpressibleByArgument {}

/// The configuration file: every key optional.
struct ConfigFile: Decodable {
    var dataDir = "suanli-data"
    var httpHost = "127.0.0.1"
    var httpPort = 8420
    var grpcPort = 8421
    var tlsCertificate: String?
    var tlsKey: String?
    var durability = SQLiteStore.Durability.process
    var scheduler = SchedulerConfig()

    enum CodingKeys: String, CodingKey {
        case dataDir, httpHost, httpPort, grpcPort, tlsCertificate, tlsKey, durability, policy, seed, maxBatch, maxRetries, decisionsPerCommit, topology, storagePools
        case idleCPUShare, idleSeconds, idleNoticeSeconds, reclaimIdleByDefault, heartbeatIntervalSeconds
    }

    init() {}

    init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        dataDir = try c.decodeIfPresent(String.self, forKey: .dataDir) ?? dataDir
        httpHost = try c.decodeIfPresent(String.self, forKey: .httpHost) ?? httpHost
        httpPort = try c.decodeIfPresent(Int.self, forKey: .httpPort) ?? httpPort
        grpcPort = try c.decodeIfPresent(Int.self, forKey: .grpcPort) ?? grpcPort
        tlsCertificate = try c.decodeIfPresent(String.self, forKey: .tlsCertificate)
        tlsKey = try c.decodeIfPresent(String.self, forKey: .tlsKey)
        durability = try c.decodeIfPresent(SQLiteStore.Durability.self, forKey: .durability) ?? durability
        scheduler.policy = try c.decodeIfPresent(String.self, forKey: .policy) ?? scheduler.policy
        scheduler.seed = try c.decodeIfPresent(UInt64.self, forKey: .seed) ?? scheduler.seed
        scheduler.maxBatch = try c.decodeIfPresent(Int.self, forKey: .maxBatch) ?? scheduler.maxBatch
        scheduler.maxRetries = try c.decodeIfPresent(Int.self, forKey: .maxRetries) ?? scheduler.maxRetries
        scheduler.decisionsPerCommit = try c.decodeIfPresent(Int.self, forKey: .decisionsPerCommit) ?? scheduler.decisionsPerCommit
        scheduler.storagePools = try c.decodeIfPresent([StoragePool].self, forKey: .storagePools) ?? scheduler.storagePools
        scheduler.topology = try c.decodeIfPresent(Topology.self, forKey: .topology) ?? scheduler.topology
        scheduler.idle.cpuShare = try c.decodeIfPresent(Double.self, forKey: .idleCPUShare) ?? scheduler.idle.cpuShare
        scheduler.idle.idleSeconds = try c.decodeIfPresent(Double.self, forKey: .idleSeconds) ?? scheduler.idle.idleSeconds
        scheduler.idle.noticeSeconds = try c.decodeIfPresent(Double.self, forKey: .idleNoticeSeconds) ?? scheduler.idle.noticeSeconds
        scheduler.idle.reclaimByDefault = try c.decodeIfPresent(Bool.self, forKey: .reclaimIdleByDefault) ?? scheduler.idle.reclaimByDefault
        scheduler.health.heartbeatInterval = try c.decodeIfPresent(Double.self, forKey: .heartbeatIntervalSeconds) ?? scheduler.health.heartbeatInterval
    }

    /// The TLS files when both are set; an error naming the missing one when only one is.
    func tls() throws -> AgentServer.TLSFiles? {
        switch (tlsCertificate, tlsKey) {
        case (nil, nil): return nil
        case (let certificate?, let key?):
            for (name, path) in [("tlsCertificate", certificate), ("tlsKey", key)] where !FileManager.default.isReadableFile(atPath: path) {
                throw ValidationError("\(name): cannot read \(path)")
            }
            return AgentServer.TLSFiles(certificateChain: certificate, privateKey: key)
        case (nil, _): throw ValidationError("tlsCertificate (--tls-cert) is needed with tlsKey")
        case (_, nil): throw ValidationError("tlsKey (--tls-key) is needed with tlsCertificate")
        }
    }

    /// Reads the file at `path`, or the defaults when there is none; errors name the file and key.
    static func load(_ path: String?) throws -> ConfigFile {
        guard let path else { return ConfigFile() }
        let data: Data
        do { data = try Data(contentsOf: URL(fileURLWithPath: path)) } catch {
            throw ValidationError("cannot read the configuration file \(path): \(error.localizedDescription)")
        }
        do {
            return try JSONDecoder().decode(ConfigFile.self, from: data)
        } catch let error as DecodingError {
            throw ValidationError("\(path): \(describe(error))")
        }
    }

    private static func describe(_ error: DecodingError) -> String {
        switch error {
        case .typeMismatch(_, let context), .valueNotFound(_, let context), .keyNotFound(_, let context), .dataCorrupted(let context):
            let field = context.codingPath.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }.joined(separator: ".")
            return (field.isEmpty ? "" : "\(field): ") + context.debugDescription
        @unknown default:
            return "\(error)"
        }
    }
}

/// The admin and bootstrap tokens of a first start.
enum TokenFile {
    /// The token from the environment variable, or a new one written to `<dir>/<name>.token`
    /// readable by the owner only.
    static func establish(_ name: String, environment variable: String, in directory: URL, logger: Logger) throws -> String {
        if let token = ProcessInfo.processInfo.environment[variable], !token.isEmpty { return token }
        let token = Token.generate(prefix: name == "admin" ? "sla" : "slb")
        let path = directory.appendingPathComponent("\(name).token").path
        guard FileManager.default.createFile(atPath: path, contents: Data((token + "\n").utf8), attributes: [.posixPermissions: 0o600]) else {
            throw ValidationError("cannot write \(path)")
        }
        logger.notice("wrote the \(name) token", metadata: ["file": "\(path)"])
        return token
    }
}
