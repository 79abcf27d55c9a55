import Foundation
#if canImport(Glibc)
import Glibc
#endif
import GRPCCore
import GRPCNIOTransportHTTP2
import Logging
import ServiceLifecycle
import SuanliProto
import Synchronization

/// The agent's connection to the scheduler: registers (with the bootstrap token the first time,
/// the node credential after), heartbeats, applies the assignment stream to the store, and
/// delivers the status outbox and the metering buffer in order. When the scheduler cannot be
/// reached it tries the next of the schedulers it knows (a standby opens its agents' port only
/// once it leads), and after a round without one, backs off; the node keeps running meanwhile.
public struct SchedulerLink: Service {
    /// A scheduler's gRPC endpoint.
    public struct Endpoint: Sendable, Hashable, CustomStringConvertible {
        public var host: String
        public var port: Int

        public init(host: String, port: Int) {
            self.host = host
            self.port = port
        }

        public var description: String { "\(host):\(port)" }
    }

    public struct Settings: Sendable {
        /// The schedulers sharing one store, in the order they are tried.
        public var schedulers: [Endpoint]
        /// The bootstrap token, for the first registration (or after the scheduler forgot the node).
        public var bootstrapToken: String?
        /// A PEM file of the certificates that sign the scheduler's; nil for plaintext.
        public var trustRootsFile: String?
        public var agentVersion: String

        public init(schedulers: [Endpoint], bootstrapToken: String?, trustRootsFile: String? = nil, agentVersion: String) {
            precondition(!schedulers.isEmpty, "an agent needs a scheduler")
            self.schedulers = schedulers
            self.bootstrapToken = bootstrapToken
            self.trustRootsFile = trustRootsFile
            self.agentVersion = agentVersion
        }
    }

    private let settings: Settings
    private let node: @Sendable () throws -> Suanli_Agent_V1_NodeInfo
    private let store: AgentStore
    private let reconcile: Trigger
    private let upload: Trigger
    private let logger: Logger
    private let connected = ConnectedFlag()

    /// `node` describes the host at each registration; `reconcile` is fired when assignments
    /// change; `upload` is fired by whoever queued reports or samples.
    public init(settings: Settings, node: @escaping @Sendable () throws -> Suanli_Agent_V1_NodeInfo, store: AgentStore,
                reconcile: Trigger, upload: Trigger, logger: Logger) {
        self.settings = settings
        self.node = node
        self.store = store
        self.reconcile = reconcile
        self.upload = upload
        self.logger = logger
    }

    public func run() async throws {
        try? await cancelWhenGracefulShutdown {
            var failures = 0
            var lastProblem: Problem?
            var next = 0
            while !Task.isCancelled {
                let scheduler = settings.schedulers[next % settings.schedulers.count]
                do {
                    try await withGRPCClient(transport: try transport(to: scheduler)) { client in
                        try await session(Suanli_Agent_V1_AgentService.Client(wrapping: client), scheduler: scheduler) {
                            failures = 0
                            lastProblem = nil
                        }
                    }
                } catch {
                    if Task.isCancelled { break }
                    let problem = Problem(error, scheduler: "\(scheduler)")
                    if connected.value {
                        logger.warning("lost the scheduler; workloads keep running and samples are kept on disk", metadata: ["error": "\(error)"])
                    } else if problem != lastProblem {
                        // Each new kind of problem is said once, while the agent keeps retrying.
                        logger.log(level: problem.refused ? .error : .warning, "\(problem.message); retrying", metadata: ["error": "\(error)"])
                    }
                    lastProblem = problem
                    connected.value = false
                }
                // The next scheduler at once; after a whole round, a pause that grows.
                next += 1
                guard next % settings.schedulers.count == 0 else { continue }
                failures += 1
                try await Task.sleep(for: .milliseconds(Int64(min(30_000, 500 * (1 << min(failures, 6))))))
            }
        }
    }

    private func transport(to scheduler: Endpoint) throws -> HTTP2ClientTransport.Posix {
        let security: HTTP2ClientTransport.Posix.TransportSecurity
        if let file = settings.trustRootsFile {
            security = .tls { $0.trustRoots = .certificates([.file(path: file, format: .pem)]) }
        } else {
            security = .plaintext
        }
        return try HTTP2ClientTransport.Posix(target: Self.target(host: scheduler.host, port: scheduler.port), transportSecurity: security)
    }

    /// An address as written: an IP address is connected to as such (its certificate must name the
    /// address: TLS sends no server name for it), anything else is a host name resolved by DNS.
    static func target(host: String, port: Int) -> any ResolvableTarget {
        var ipv4 = in_addr(), ipv6 = in6_addr()
        let bare = host.hasPrefix("[") && host.hasSuffix("]") ? String(host.dropFirst().dropLast()) : host
        if inet_pton(AF_INET, bare, &ipv4) == 1 { return .ipv4(address: bare, port: port) }
        if inet_pton(AF_INET6, bare, &ipv6) == 1 { return .ipv6(address: bare, port: port) }
        return .dns(host: host, port: port)
    }

    /// Why the last attempt to reach the scheduler failed, in words an operator can act on.
    struct Problem: Equatable {
        var message: String
        /// The scheduler answered and refused (a token, a registration), rather than not answering.
        var refused: Bool

        init(_ error: any Error, scheduler: String) {
            switch error {
            case let error as RPCError where error.code == .unauthenticated:
                message = "the scheduler at \(scheduler) refused the token (\(error.message)): give its bootstrap token with --token or --token-file (the scheduler's <data-dir>/bootstrap.token)"
                refused = true
            case let error as RPCError where [.invalidArgument, .failedPrecondition, .permissionDenied, .notFound, .alreadyExists].contains(error.code):
                message = "the scheduler at \(scheduler) refused the registration: \(error.message)"
                refused = true
            case let error as LinkError:
                message = error.description
                refused = true
            default:
                message = "cannot reach the scheduler at \(scheduler)"
                refused = false
            }
        }
    }

    typealias Client = Suanli_Agent_V1_AgentService.Client<HTTP2ClientTransport.Posix>

    /// One connected session; returns or throws when the connection is lost.
    private func session(_ client: Client, scheduler: Endpoint, onConnected: () -> Void) async throws {
        let credential = try await register(client)
        let metadata: Metadata = ["authorization": "Bearer \(credential.token)"]
        connected.value = true
        onConnected()
        logger.info("connected to the scheduler", metadata: ["node": "\(credential.nodeID)", "scheduler": "\(scheduler)"])
        // A scheduler that stops answering (frozen, or cut off behind a connection that stays up)
        // is given up after two heartbeats' time: the session ends and the next scheduler is tried.
        let heartbeat = {
            var options = CallOptions.defaults
            options.timeout = .milliseconds(Int64(max(5, 2 * credential.heartbeatInterval) * 1000))
            return options
        }()
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                while true {
                    _ = try await client.heartbeat(
                        Suanli_Agent_V1_HeartbeatRequest.with { $0.sentAt = Date().timeIntervalSince1970 }, metadata: metadata, options: heartbeat)
                    try await Task.sleep(for: .seconds(credential.heartbeatInterval))
                }
            }
            group.addTask {
                try await client.watchAssignments(Suanli_Agent_V1_WatchAssignmentsRequest(), metadata: metadata) { response in
                    for try await assignment in response.messages {
                        guard let change = AssignmentChange(assignment) else { continue }
                        try store.apply(change, at: Date().timeIntervalSince1970)
                        reconcile.fire()
                        upload.fire()
                    }
                }
                throw LinkError("the scheduler closed the assignment stream")
            }
            group.addTask {
                while true {
                    try await deliverStatuses(client, metadata)
                    try await deliverSamples(client, metadata)
                    await upload.wait(timeout: .seconds(5))
                    try Task.checkCancellation()
                }
            }
            try await group.next()
            group.cancelAll()
        }
    }

    private struct Credential {
        var nodeID: String
        var token: String
        var heartbeatInterval: Double
    }

    /// Registers with the stored credential, or with the bootstrap token when there is none or
    /// the scheduler no longer knows it.
    private func register(_ client: Client) async throws -> Credential {
        let info = try node()
        let request = Suanli_Agent_V1_RegisterRequest.with {
            $0.node = info
            $0.agentVersion = settings.agentVersion
        }
        if let stored = try store.credential() {
            do {
                let response = try await client.register(request, metadata: ["authorization": "Bearer \(stored.credential)"])
                return Credential(nodeID: stored.nodeID, token: stored.credential, heartbeatInterval: Self.interval(response))
            } catch let error as RPCError where error.code == .unauthenticated && settings.bootstrapToken != nil {
                logger.warning("the scheduler refused the node credential; registering again with the bootstrap token")
            }
        }
        guard let token = settings.bootstrapToken else {
            throw LinkError("the node has no credential and no bootstrap token was given (--token)")
        }
        let response = try await client.register(request, metadata: ["authorization": "Bearer \(token)"])
        guard !response.nodeCredential.isEmpty else { throw LinkError("the scheduler answered the registration without a credential") }
        try store.saveCredential(nodeID: response.nodeID, credential: response.nodeCredential)
        return Credential(nodeID: response.nodeID, token: response.nodeCredential, heartbeatInterval: Self.interval(response))
    }

    private static func interval(_ response: Suanli_Agent_V1_RegisterResponse) -> Double {
        response.heartbeatIntervalSeconds > 0 ? response.heartbeatIntervalSeconds : 10
    }

    /// Sends the status outbox in order, in batches; a batch the scheduler refuses as invalid is
    /// dropped (logged) so that it cannot block the reports after it.
    private func deliverStatuses(_ client: Client, _ metadata: Metadata) async throws {
        while true {
            let pending = try store.pendingStatuses()
            guard let last = pending.last else { return }
            let report = Suanli_Agent_V1_StatusReport.with {
                $0.statuses = pending.map { status in
                    Suanli_Agent_V1_WorkloadStatus.with {
                        $0.workloadID = status.workloadID
                        $0.state = .init(status.state)
                        $0.reason = status.reason
                        $0.at = status.at
                    }
                }
            }
            do {
                _ = try await client.reportStatus(report, metadata: metadata)
            } catch let error as RPCError where error.code == .invalidArgument || error.code == .notFound {
                logger.error("the scheduler refused status reports; dropping them", metadata: ["error": "\(error.message)"])
            }
            try store.deleteStatuses(through: last.id)
        }
    }

    /// Sends unacknowledged samples in sequence order and marks what the scheduler holds. A
    /// sample the scheduler refuses for good (its request is gone) is dropped and the batch
    /// sent again without it.
    private func deliverSamples(_ client: Client, _ metadata: Metadata) async throws {
        while true {
            let pending = try store.pendingSamples()
            guard !pending.isEmpty else { return }
            let batch = Suanli_Agent_V1_MeteringBatch.with {
                $0.samples = pending.map { sample in
                    Suanli_Agent_V1_MeteringSample.with {
                        $0.sequence = UInt64(sample.sequence)
                        $0.workloadID = sample.workloadID
                        $0.start = sample.start
                        $0.end = sample.end
                        $0.usage = .with {
                            $0.cpuCoreHours = sample.cpuCoreHours
                            $0.memoryGibHours = sample.memoryGiBHours
                            $0.gpuHours = sample.gpuHours
                            $0.storageGibHours = sample.storageGiBHours
                            $0.bandwidthMbpsHours = sample.bandwidthMbpsHours
                        }
                    }
                }
            }
            do {
                let ack = try await client.reportMetering(batch, metadata: metadata)
                try store.acknowledge(ack.acknowledged, at: Date().timeIntervalSince1970)
                if ack.acknowledged.count < pending.count { return }
            } catch let error as RPCError where error.code == .invalidArgument || error.code == .notFound {
                guard let index = Self.sampleIndex(error), index < pending.count else { throw error }
                logger.warning("the scheduler refused a sample for good; dropping it",
                               metadata: ["sequence": "\(pending[index].sequence)", "workload": "\(pending[index].workloadID)", "error": "\(error.message)"])
                try store.discardSample(UInt64(pending[index].sequence))
            }
        }
    }

    /// The sample an error's `field` metadata names (`samples[3].workloadId` → 3).
    static func sampleIndex(_ error: RPCError) -> Int? {
        guard let field = error.metadata[stringValues: "field"].first(where: { _ in true }),
              field.hasPrefix("samples["), let close = field.firstIndex(of: "]") else { return nil }
        return Int(field[field.index(field.startIndex, offsetBy: 8)..<close])
    }
}

/// Whether a session is up, for the log lines of the next failure.
private final class ConnectedFlag: Sendable {
    private let state = Mutex(false)
    var value: Bool {
        get { state.withLock { $0 } }
        set { state.withLock { $0 = newValue } }
    }
}

struct LinkError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
