import Foundation
import Logging
import Placement
import PostgresNIO
import SchedulerService
import Synchronization

/// The scheduler's store on PostgreSQL, shared by several schedulers: one leads and writes, the
/// others stand by (`PostgresLeadership`). The same schema as the SQLite store, each batch written
/// in one transaction with one statement per table (rows passed as one JSON array), so that a
/// commit costs a handful of round trips whatever its size.
public final class PostgresStore: SchedulerStore {
    let database: PostgresDatabase
    private let logger: Logger
    /// The leadership this store writes under; none until `campaign` wins.
    private let fence = Mutex<Fence?>(nil)
    /// Called once when a write or a renewal finds that another scheduler has taken over.
    private let deposed = Mutex<(@Sendable (String) -> Void)?>(nil)
    private let wasDeposed = Atomic<Bool>(false)

    /// Connects to `address` and migrates its schema forward.
    public init(address: PostgresAddress, logger: Logger = Logger(label: "suanli.postgres")) throws(ServiceError) {
        self.logger = logger
        database = PostgresDatabase(address: address, logger: logger)
        try PostgresSchema.migrate(database)
    }

    /// Closes the connections.
    public func shutdown() { database.shutdown() }

    // MARK: Leadership

    /// Sets what happens when another scheduler has taken the lease: the engine's state may be
    /// ahead of the store, so the scheduler must stop leading (it exits and restarts as a standby).
    public func onDeposed(_ handler: @escaping @Sendable (String) -> Void) { deposed.withLock { $0 = handler } }

    /// Takes the lease for `holder` when it has lapsed; true when this store now leads.
    public func campaign(holder: String, address: String, leaseSeconds: Double) throws(ServiceError) -> Bool {
        let sql = PostgresLeadership.campaign(holder: holder, address: address, seconds: leaseSeconds)
        let logger = logger
        let epoch = try database.read("take the leader's lease") { connection in try await connection.rows(sql, logger: logger).first?.decode(Int64.self) }
        guard let epoch else { return false }
        fence.withLock { $0 = Fence(holder: holder, epoch: epoch) }
        return true
    }

    /// Extends the lease; false (and the deposed handler called) when another scheduler holds it.
    public func renew(leaseSeconds: Double) throws(ServiceError) -> Bool {
        guard let current = fence.withLock({ $0 }) else { return false }
        let sql = PostgresLeadership.renew(current, seconds: leaseSeconds)
        let logger = logger
        let renewed = try database.read("renew the leader's lease") { connection in try await !connection.rows(sql, logger: logger).isEmpty }
        if !renewed { depose("the lease of epoch \(current.epoch) was taken by another scheduler") }
        return renewed
    }

    /// Gives the lease up (on a clean shutdown), so that a standby takes over at once.
    public func resign() {
        guard let current = fence.withLock({ $0 }) else { return }
        let sql = PostgresLeadership.resign(current)
        let logger = logger
        do { try database.read("give up the leader's lease") { connection in try await connection.run(sql, logger: logger) } } catch {
            logger.warning("could not give up the lease; it lapses by itself: \(error)")
        }
        fence.withLock { $0 = nil }
    }

    /// The lease as the database holds it, if anyone has held one.
    public func leaderLease() throws(ServiceError) -> LeaderLease? {
        let logger = logger
        return try database.read("read the leader's lease") { connection in
            try await connection.rows(PostgresLeadership.current, logger: logger).first.map {
                let (holder, address, epoch, remaining) = try $0.decode((String, String, Int64, Double).self)
                return LeaderLease(holder: holder, address: address, epoch: epoch, remainingSeconds: remaining)
            }
        }
    }

    /// The leadership this store writes under.
    public var currentFence: Fence? { fence.withLock { $0 } }

    private func depose(_ why: String) {
        fence.withLock { $0 = nil }
        guard !wasDeposed.exchange(true, ordering: .relaxed) else { return }
        logger.critical("no longer the leader: \(why)")
        deposed.withLock { $0 }?(why)
    }

    // MARK: SchedulerStore

    public func snapshot() throws(ServiceError) -> StoreSnapshot {
        let logger = logger
        return try database.transaction("read the snapshot") { db in
            try await db.run("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY", logger: logger)
            var snapshot = StoreSnapshot()
            snapshot.nodes = try await db.decoded(NodeRecord.self, SQL("SELECT record::text FROM node ORDER BY id"), logger: logger)
            snapshot.tenants = try await db.decoded(Tenant.self, SQL("SELECT record::text FROM tenant ORDER BY id"), logger: logger)
            snapshot.users = try await db.decoded(User.self, SQL("SELECT record::text FROM app_user ORDER BY id"), logger: logger)
            snapshot.quotas = try await db.decoded(QuotaRecord.self, SQL("SELECT record::text FROM quota ORDER BY tenant, priority"), logger: logger)
            snapshot.grants = try await db.decoded(Grant.self, SQL("SELECT record::text FROM access_grant ORDER BY id"), logger: logger)
            snapshot.openRequests = try await db.decoded(
                RequestRecord.self, SQL("SELECT record::text FROM request WHERE NOT terminal ORDER BY submitted_at, id"), logger: logger)
            snapshot.catalog = try await db.decoded(CatalogEntry.self, SQL("SELECT record::text FROM catalog ORDER BY code"), logger: logger)
            snapshot.sites = try await db.decoded(Site.self, SQL("SELECT record::text FROM site ORDER BY id"), logger: logger)
            snapshot.links = try await db.decoded(SiteLink.self, SQL("SELECT record::text FROM site_link ORDER BY from_site, to_site"), logger: logger)
            snapshot.storagePools = try await db.decoded(StoragePool.self, SQL("SELECT record::text FROM storage_pool ORDER BY id"), logger: logger)
            snapshot.priceVersions = try await db.decoded(PriceVersion.self, SQL("SELECT record::text FROM price_version ORDER BY effective_from"), logger: logger)
            snapshot.openApplications = try await db.decoded(
                Application.self, SQL("SELECT record::text FROM application WHERE open ORDER BY created_at, id"), logger: logger)
            snapshot.approvalPolicies = try await db.decoded(ApprovalPolicy.self, SQL("SELECT record::text FROM approval_policy ORDER BY scope"), logger: logger)
            snapshot.webhooks = try await db.decoded(Webhook.self, SQL("SELECT record::text FROM webhook ORDER BY id"), logger: logger)
            for row in try await db.rows(SQL("SELECT key, value FROM setting"), logger: logger) {
                let (key, value) = try row.decode((String, String).self)
                snapshot.settings[key] = value
            }
            return snapshot
        }
    }

    public func commit(_ batch: StoreBatch) throws(ServiceError) {
        guard !batch.isEmpty else { return }
        guard let fence = fence.withLock({ $0 }) else {
            throw ServiceError(.notLeader, wasDeposed.load(ordering: .relaxed) ? "this scheduler is no longer the leader" : "this scheduler is not the leader")
        }
        let writes = try PostgresWrites(batch)
        let logger = logger
        do {
            try database.transaction("commit") { db in
                guard try await !db.rows(PostgresLeadership.check(fence), logger: logger).isEmpty else {
                    throw ServiceError(.notLeader, "this scheduler is no longer the leader: another took the lease after epoch \(fence.epoch)")
                }
                try await writes.write(in: db, logger: logger)
            }
        } catch {
            if error.code == .notLeader { depose(error.message) }
            throw error
        }
    }

    public func request(id: String) throws(ServiceError) -> RequestRecord? {
        var sql = SQL("SELECT record::text FROM request WHERE id = ")
        sql.text += sql.bind(id)
        return try decoded(RequestRecord.self, sql, "read request \(id)").first
    }

    public func existingRequests(_ ids: [String]) throws(ServiceError) -> Set<String> {
        guard !ids.isEmpty else { return [] }
        var sql = SQL()
        sql.text = "SELECT id FROM request WHERE id = ANY(\(sql.bind(ids)))"
        return Set(try rows("look up request ids", sql) { try $0.decode(String.self) })
    }

    public func requests(_ query: RequestQuery) throws(ServiceError) -> [RequestRecord] {
        var sql = SQL()
        var conditions: [String] = []
        if let tenant = query.tenant { conditions.append("tenant = \(sql.bind(tenant))") }
        if let phase = query.phase { conditions.append("phase = \(sql.bind(phase))") }
        if let priority = query.priority { conditions.append("priority = \(sql.bind(priority.rawValue))") }
        if let kind = query.kind { conditions.append("kind = \(sql.bind(kind.rawValue))") }
        if let after = query.after {
            let at = sql.bind(after.submittedAt), id = sql.bind(after.id)
            conditions.append("(submitted_at < \(at) OR (submitted_at = \(at) AND id < \(id)))")
        }
        let filter = conditions.isEmpty ? "" : "WHERE " + conditions.joined(separator: " AND ")
        sql.text = "SELECT record::text FROM request \(filter) ORDER BY submitted_at DESC, id DESC LIMIT \(max(0, query.limit))"
        return try decoded(RequestRecord.self, sql, "list requests")
    }

    public func history(ofRequest id: String) throws(ServiceError) -> [HistoryEntry] {
        var sql = SQL("SELECT at, phase, reason, actor FROM history WHERE request_id = ")
        sql.text += sql.bind(id) + " ORDER BY id"
        return try rows("read the history of \(id)", sql) { row in
            let (at, phase, reason, actor) = try row.decode((Double, String, String?, String).self)
            return HistoryEntry(requestID: id, at: at, phase: phase, reason: reason, actor: actor)
        }
    }

    public func requestID(tenant: String, idempotencyKey: String) throws(ServiceError) -> String? {
        var sql = SQL()
        sql.text = "SELECT id FROM request WHERE tenant = \(sql.bind(tenant)) AND idempotency_key = \(sql.bind(idempotencyKey))"
        return try rows("look up an idempotency key", sql) { try $0.decode(String.self) }.first
    }

    public func audit(_ query: AuditQuery) throws(ServiceError) -> [AuditEntry] {
        var sql = SQL()
        var conditions: [String] = []
        if let actor = query.actor { conditions.append("actor = \(sql.bind(actor))") }
        if let action = query.action { conditions.append("action = \(sql.bind(action))") }
        if let prefix = query.targetPrefix { conditions.append("starts_with(target, \(sql.bind(prefix)))") }
        if let from = query.from { conditions.append("at >= \(sql.bind(from))") }
        if let to = query.to { conditions.append("at < \(sql.bind(to))") }
        if let after = query.afterSequence { conditions.append("sequence > \(sql.bind(after))") }
        if let before = query.beforeSequence { conditions.append("sequence < \(sql.bind(before))") }
        let filter = conditions.isEmpty ? "" : "WHERE " + conditions.joined(separator: " AND ")
        sql.text = "SELECT sequence, at, actor, action, target, detail FROM audit \(filter) ORDER BY sequence\(query.newestFirst ? " DESC" : "") LIMIT \(max(0, query.limit))"
        return try rows("read the audit log", sql) { row in
            let (sequence, at, actor, action, target, detail) = try row.decode((Int64, Double, String, String, String, String).self)
            return AuditEntry(sequence: sequence, at: at, actor: actor, action: action, target: target, detail: detail)
        }
    }

    public func usage(_ query: UsageQuery, at now: Double) throws(ServiceError) -> [UsageLine] {
        let logger = logger
        return try database.transaction("read usage") { db in
            try await db.run("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY", logger: logger)
            return try await PostgresLedger.usage(query, at: now, in: db, logger: logger)
        }
    }

    public func application(id: String) throws(ServiceError) -> Application? {
        var sql = SQL("SELECT record::text FROM application WHERE id = ")
        sql.text += sql.bind(id)
        return try decoded(Application.self, sql, "read application \(id)").first
    }

    public func applicationID(tenant: String, idempotencyKey: String) throws(ServiceError) -> String? {
        var sql = SQL()
        sql.text = "SELECT id FROM application WHERE tenant = \(sql.bind(tenant)) AND idempotency_key = \(sql.bind(idempotencyKey))"
        return try rows("look up an application's idempotency key", sql) { try $0.decode(String.self) }.first
    }

    public func applications(_ query: ApplicationQuery) throws(ServiceError) -> [Application] {
        try decoded(Application.self, PostgresWorkflow.applications(query), "list applications")
    }

    public func notifications(_ query: NotificationQuery) throws(ServiceError) -> [InboxNotification] {
        let decoder = JSONDecoder()
        return try rows("read the notifications of \(query.user)", PostgresWorkflow.notifications(query)) { row in
            let (id, read, json) = try row.decode((Int64, Bool, String).self)
            let notice = try decoder.decode(Notice.self, from: Data(json.utf8))
            return InboxNotification(
                id: id, user: query.user, kind: notice.kind, tenant: notice.tenant, subject: notice.subject, message: notice.message, at: notice.at, read: read)
        }
    }

    public func unreadNotifications(user: String) throws(ServiceError) -> Int {
        var sql = SQL("SELECT COUNT(*) FROM notification WHERE NOT read AND user_id = ")
        sql.text += sql.bind(user)
        return try rows("count the unread notifications of \(user)", sql) { Int(try $0.decode(Int64.self)) }.first ?? 0
    }

    public func dueDeliveries(at now: Double, limit: Int) throws(ServiceError) -> [WebhookDelivery] {
        var sql = SQL()
        sql.text = PostgresWorkflow.deliveries(where: "next_attempt_at IS NOT NULL AND next_attempt_at <= \(sql.bind(now))", order: "next_attempt_at, id", limit: limit)
        return try rows("read due webhook deliveries", sql, PostgresWorkflow.delivery)
    }

    public func deliveries(webhook: String, limit: Int) throws(ServiceError) -> [WebhookDelivery] {
        var sql = SQL()
        sql.text = PostgresWorkflow.deliveries(where: "webhook = \(sql.bind(webhook))", order: "id DESC", limit: limit)
        return try rows("read the deliveries of webhook \(webhook)", sql, PostgresWorkflow.delivery)
    }

    public func feedback(entry: String, limit: Int) throws(ServiceError) -> EntryFeedback {
        let logger = logger
        return try database.transaction("read the feedback on \(entry)") { db in
            try await db.run("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY", logger: logger)
            return try await PostgresFeedback.feedback(entry: entry, limit: limit, in: db, logger: logger)
        }
    }

    public func post(id: String) throws(ServiceError) -> Post? {
        try rows("read post \(id)", PostgresFeedback.post(id: id), PostgresFeedback.post).first
    }

    public func ratingSummaries() throws(ServiceError) -> [String: RatingSummary] {
        let lines = try rows("read the ratings", SQL("SELECT entry, COUNT(*), SUM(stars) FROM rating GROUP BY entry")) { row in
            let (entry, count, total) = try row.decode((String, Int64, Int64).self)
            return (entry, RatingSummary(count: Int(count), total: Int(total)))
        }
        return Dictionary(lines) { _, newer in newer }
    }

    public func hasUsed(entry: String, tenant: String) throws(ServiceError) -> Bool {
        var sql = SQL()
        sql.text = "SELECT EXISTS (SELECT 1 FROM entry_use WHERE entry = \(sql.bind(entry)) AND tenant = \(sql.bind(tenant)))"
        return try rows("read the use of \(entry)", sql) { try $0.decode(Bool.self) }.first ?? false
    }

    public func search(_ query: SearchQuery) throws(ServiceError) -> [SearchHit] {
        let logger = logger
        return try database.read("search") { db in try await PostgresSearch.search(query, in: db, logger: logger) }
    }

    // MARK: Helpers

    private func decoded<T: Decodable & Sendable>(_ type: T.Type, _ sql: SQL, _ what: String) throws(ServiceError) -> [T] {
        let logger = logger
        return try database.read(what) { db in try await db.decoded(T.self, sql, logger: logger) }
    }

    private func rows<T: Sendable>(_ what: String, _ sql: SQL, _ transform: @escaping @Sendable (PostgresRow) throws -> T) throws(ServiceError) -> [T] {
        let logger = logger
        return try database.read(what) { db in try await db.rows(sql, logger: logger).map(transform) }
    }
}
