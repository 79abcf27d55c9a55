import AsyncHTTPClient
import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import SchedulerHTTP
import SchedulerPostgres
import SchedulerService
import ServiceLifecycle
import Synchronization

/// How the schedulers sharing a PostgreSQL store choose their leader (configuration keys of the
/// same names). The defaults take over about 3 s after a leader dies, as kube-scheduler's lease
/// (15 s, renewed every 2 s) does in 15, scaled down.
struct LeaseSettings: Sendable {
    /// How long a lease lasts unless renewed.
    var leaseSeconds = 3.0
    /// How often the leader renews it, and how often a standby looks whether it has lapsed.
    var renewSeconds = 1.0
}

/// The HTTP side of one scheduler among several: while it leads, the API and the portal of its
/// engine; while it stands by, its own probes, and everything else passed on to the leader (the
/// answer as the leader gave it), or 503 with `not_leader` when no one leads yet.
final class ReplicaRole: Sendable {
    /// The one header that marks a call a standby passed on: a standby never passes one on again.
    static let forwardedHeader = HTTPField.Name("Suanli-Forwarded-By")!
    /// Headers that belong to one connection, not to the call. `Host` goes on as the caller sent
    /// it: the portal checks a form's `Origin` against it, and the address the caller used is the
    /// standby's.
    static let hopByHop: Set<String> = ["connection", "keep-alive", "proxy-connection", "te", "trailer", "transfer-encoding", "upgrade", "content-length"]

    /// How long a standby waits for the leader's answer: the API's calls answer in well under
    /// this, and a leader that does not (frozen, cut off) loses its lease within seconds.
    static let forwardTimeout = TimeAmount.seconds(15)

    let identity: String
    private let leading = Mutex<RouterResponder<APIContext>?>(nil)
    /// The leader's URL as the store last said.
    private let leaderURL = Mutex<String?>(nil)
    /// This scheduler's own URL, once its HTTP server listens.
    private let ownURL = Mutex<String?>(nil)
    private let client: HTTPClient

    init(identity: String) {
        self.identity = identity
        var configuration = HTTPClient.Configuration(redirectConfiguration: .disallow, timeout: .init(connect: .seconds(1), read: Self.forwardTimeout))
        configuration.httpVersion = .http1Only
        // A leader that is gone refuses at once: answer so, rather than retrying until the timeout.
        configuration.connectionPool.retryConnectionEstablishment = false
        client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
    }

    func lead(with responder: RouterResponder<APIContext>) { leading.withLock { $0 = responder } }
    func follow(_ url: String?) { leaderURL.withLock { $0 = url } }
    var leader: String? { leaderURL.withLock { $0 } }

    func listening(at url: String) { ownURL.withLock { $0 = url } }
    var url: String? { ownURL.withLock { $0 } }

    func shutdown() async { try? await client.shutdown() }

    /// The responder of the HTTP server.
    var responder: CallbackResponder<APIContext> {
        CallbackResponder { [self] request, context in
            if let leading = leading.withLock({ $0 }) { return try await leading.respond(to: request, context: context) }
            return try await standby(request)
        }
    }

    private func standby(_ request: Request) async throws -> Response {
        let leader = self.leader
        switch request.uri.path {
        case "/healthz":
            return Response(status: .ok, headers: [.contentType: "text/plain; charset=utf-8"], body: .init(byteBuffer: ByteBuffer(string: "ok\n")))
        case "/readyz":
            return try Readiness.standby(following: leader)
        case "/metrics":
            return Response(
                status: .ok, headers: [.contentType: "text/plain; version=0.0.4"],
                body: .init(byteBuffer: ByteBuffer(string: "# HELP suanli_leader Whether this scheduler leads (1) or stands by (0).\n# TYPE suanli_leader gauge\nsuanli_leader 0\n")))
        default:
            break
        }
        guard request.headers[Self.forwardedHeader] == nil else {
            return try Self.notLeader("a standby passed this call on to another standby; the lease is changing hands: retry in a moment")
        }
        guard let leader else { return try Self.notLeader("no scheduler leads at the moment; a standby takes over within seconds: retry") }
        var forwarded = HTTPClientRequest(url: leader + request.uri.description)
        forwarded.method = .init(rawValue: request.method.rawValue)
        for field in request.headers where !Self.hopByHop.contains(field.name.canonicalName) {
            forwarded.headers.add(name: field.name.rawName, value: field.value)
        }
        // HTTP/1's Host arrives as the request's authority, not among its headers.
        if let authority = request.head.authority { forwarded.headers.replaceOrAdd(name: "Host", value: authority) }
        forwarded.headers.add(name: Self.forwardedHeader.rawName, value: identity)
        var request = request
        guard let body = try? await request.collectBody(upTo: maxBodyBytes) else {
            return try ServiceError(.limitExceeded, "the body is larger than \(maxBodyBytes) bytes", field: "body").response()
        }
        if body.readableBytes > 0 { forwarded.body = .bytes(body) }
        let answer: HTTPClientResponse
        let bytes: ByteBuffer
        do {
            answer = try await client.execute(forwarded, timeout: Self.forwardTimeout)
            bytes = try await answer.body.collect(upTo: 64 << 20)
        } catch {
            return try Self.notLeader("the leader at \(leader) does not answer (\(error)); a standby takes over within seconds: retry")
        }
        var headers = HTTPFields()
        for (name, value) in answer.headers where !Self.hopByHop.contains(name.lowercased()) {
            if let name = HTTPField.Name(name) { headers.append(HTTPField(name: name, value: value)) }
        }
        return Response(status: .init(code: Int(answer.status.code)), headers: headers, body: .init(byteBuffer: bytes))
    }

    static func notLeader(_ message: String) throws -> Response {
        try ServiceError(.notLeader, message).response()
    }
}

/// Campaigns for the lease until it wins, then leads: builds the engine from the store, serves
/// the API through `role`, runs the leader's services (`leaderServices`), and renews the lease
/// until shutdown, when it gives the lease up so that a standby takes over at once. A leader that
/// finds another holding the lease (a renewal or a commit refused) exits: its state may be ahead
/// of the store, and its supervisor starts it again as a standby.
struct LeaderElection: Service {
    let store: PostgresStore
    let role: ReplicaRole
    let lease: LeaseSettings
    /// This scheduler's URL for the others, if not the one its HTTP server listens on.
    let advertisedURL: String?
    let logger: Logger
    /// Builds the engine and returns the API's responder and the services a leader runs.
    let becomeLeader: @Sendable () throws -> (RouterResponder<APIContext>, [any Service])

    func run() async throws {
        store.onDeposed { [logger] why in
            logger.critical("stepping down: \(why); exiting so that the supervisor starts this scheduler again as a standby")
            // After the answers in flight (their commits refused) have gone out.
            DispatchQueue.global().asyncAfter(deadline: .now() + 0.5) { exit(3) }
        }
        while role.url == nil {
            guard await pause(.milliseconds(20)) else { return }
        }
        let address = advertisedURL ?? role.url!
        var wasLeader: String?
        while true {
            do {
                if try store.campaign(holder: role.identity, address: address, leaseSeconds: lease.leaseSeconds) { break }
                let current = try store.leaderLease()
                role.follow(current.flatMap { $0.isLive ? $0.address : nil })
                if let current, current.isLive, current.holder != wasLeader {
                    logger.info("standing by", metadata: ["leader": "\(current.address)", "epoch": "\(current.epoch)"])
                    wasLeader = current.holder
                }
            } catch {
                logger.warning("cannot reach the store to campaign: \(error)")
            }
            // A standby looks twice per renewal, so that it takes a lapsed lease soon after.
            guard await pause(.seconds(lease.renewSeconds / 2)) else { return }
        }
        let started = ContinuousClock.now
        let (responder, services) = try becomeLeader()
        role.follow(address)
        role.lead(with: responder)
        logger.notice("leading", metadata: ["epoch": "\(store.currentFence?.epoch ?? 0)", "address": "\(address)", "restored": "\(ContinuousClock.now - started)"])
        try await withThrowingDiscardingTaskGroup { group in
            for service in services { group.addTask { try await service.run() } }
            group.addTask { try await renew() }
        }
        store.resign()
        logger.info("gave up the lease")
    }

    /// Waits; false when the scheduler shuts down meanwhile.
    private func pause(_ duration: Duration) async -> Bool {
        do {
            try await cancelWhenGracefulShutdown { try await Task.sleep(for: duration) }
            return true
        } catch {
            return false
        }
    }

    /// Renews the lease until shutdown. A renewal the store cannot answer is retried: fencing keeps
    /// a leader whose lease lapsed meanwhile from writing, and the next renewal tells.
    private func renew() async throws {
        while await pause(.seconds(lease.renewSeconds)) {
            do {
                _ = try store.renew(leaseSeconds: lease.leaseSeconds)
            } catch {
                logger.warning("cannot renew the lease: \(error)")
            }
        }
    }
}
