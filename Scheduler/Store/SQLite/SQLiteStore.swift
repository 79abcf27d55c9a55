import Foundation
import GRDB
import Placement
import SchedulerService

/// The scheduler's store on embedded SQLite through GRDB: a WAL database in one file, written by
/// one connection at a time and read concurrently. Domain values are kept as JSON beside the
/// columns that queries filter on.
public final class SQLiteStore: SchedulerStore {
    /// How hard SQLite works to keep a commit across failures.
    public enum Durability: String, Sendable, Codable, CaseIterable {
        /// A commit survives a crash of the process (`kill -9`); the last commits may be lost if
        /// the machine loses power. SQLite's `synchronous=NORMAL` in WAL mode.
        case process
        /// A commit survives power loss too: every commit waits for the disk (`synchronous=FULL`).
        case power
    }

    private let pool: DatabasePool
    private let encoder: JSONEncoder
    private let decoder = JSONDecoder()

    /// Opens (creating when missing) the database at `path` and migrates it forward.
    public init(path: String, durability: Durability = .process) throws(ServiceError) {
        var configuration = Configuration()
        configuration.busyMode = .timeout(10)
        configuration.prepareDatabase { db in
            try db.execute(sql: "PRAGMA synchronous = \(durability == .power ? "FULL" : "NORMAL")")
        }
        encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        do {
            pool = try DatabasePool(path: path, configuration: configuration)
            // Token and password hashes and the departments' data: readable by the scheduler's
            // user only, as its token files are (SQLite gives journal files made later the same mode).
            for file in [path, path + "-wal", path + "-shm"] where FileManager.default.fileExists(atPath: file) {
                try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: file)
            }
            try Self.migrator.migrate(pool)
        } catch {
            throw ServiceError(.unavailable, "cannot open the database at \(path): \(error)")
        }
    }

    // MARK: Schema

    private static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1") { db in
            try db.execute(sql: """
                CREATE TABLE setting (key TEXT PRIMARY KEY NOT NULL, value TEXT NOT NULL);
                CREATE TABLE tenant (id TEXT PRIMARY KEY NOT NULL, json BLOB NOT NULL);
                CREATE TABLE user (id TEXT PRIMARY KEY NOT NULL, tokenHash TEXT NOT NULL UNIQUE, json BLOB NOT NULL);
                CREATE TABLE node (id TEXT PRIMARY KEY NOT NULL, json BLOB NOT NULL);
                CREATE TABLE quota (tenant TEXT NOT NULL, priority TEXT NOT NULL, json BLOB NOT NULL, PRIMARY KEY (tenant, priority));
                CREATE TABLE grant (id TEXT PRIMARY KEY NOT NULL, tenant TEXT NOT NULL, json BLOB NOT NULL);
                CREATE TABLE request (
                    id TEXT PRIMARY KEY NOT NULL, tenant TEXT NOT NULL, phase TEXT NOT NULL, priority TEXT NOT NULL,
                    kind TEXT NOT NULL, submittedAt REAL NOT NULL, terminal INTEGER NOT NULL,
                    idempotencyKey TEXT, json BLOB NOT NULL);
                CREATE INDEX request_open ON request (terminal) WHERE terminal = 0;
                CREATE INDEX request_list ON request (submittedAt DESC, id DESC);
                CREATE INDEX request_tenant ON request (tenant, submittedAt DESC, id DESC);
                CREATE UNIQUE INDEX request_idempotency ON request (tenant, idempotencyKey) WHERE idempotencyKey IS NOT NULL;
                CREATE TABLE history (
                    id INTEGER PRIMARY KEY AUTOINCREMENT, requestID TEXT NOT NULL, at REAL NOT NULL,
                    phase TEXT NOT NULL, reason TEXT, actor TEXT NOT NULL);
                CREATE INDEX history_request ON history (requestID, id);
                CREATE TABLE audit (
                    sequence INTEGER PRIMARY KEY AUTOINCREMENT, at REAL NOT NULL, actor TEXT NOT NULL,
                    action TEXT NOT NULL, target TEXT NOT NULL, detail TEXT NOT NULL);
                CREATE INDEX audit_at ON audit (at);
                CREATE TABLE meteringSample (node TEXT NOT NULL, sequence INTEGER NOT NULL, json BLOB NOT NULL, PRIMARY KEY (node, sequence));
                """)
        }
        migrator.registerMigration("v2 catalog") { db in
            try db.execute(sql: "CREATE TABLE catalog (code TEXT PRIMARY KEY NOT NULL, json BLOB NOT NULL)")
        }
        migrator.registerMigration("v3 sites, links and storage pools") { db in
            try db.execute(sql: """
                CREATE TABLE site (id TEXT PRIMARY KEY NOT NULL, json BLOB NOT NULL);
                CREATE TABLE siteLink (fromSite TEXT NOT NULL, toSite TEXT NOT NULL, json BLOB NOT NULL, PRIMARY KEY (fromSite, toSite));
                CREATE TABLE storagePool (id TEXT PRIMARY KEY NOT NULL, json BLOB NOT NULL);
                """)
        }
        migrator.registerMigration("v4 metering ledger") { db in
            try db.execute(sql: SQLiteLedger.schema)
            try SQLiteLedger.migrateSamples(in: db)
        }
        migrator.registerMigration("v5 price lists") { db in
            try db.execute(sql: "CREATE TABLE priceVersion (effectiveFrom REAL PRIMARY KEY NOT NULL, json BLOB NOT NULL)")
        }
        migrator.registerMigration("v6 applications, policies, notifications and webhooks") { db in
            try db.execute(sql: SQLiteWorkflow.schema)
        }
        migrator.registerMigration("v7 site-wide search") { db in
            try db.execute(sql: SQLiteSearch.schema)
            try SQLiteSearch.backfill(in: db)
        }
        migrator.registerMigration("v8 ratings, questions and answers") { db in
            try db.execute(sql: SQLiteFeedback.schema)
            try db.execute(sql: """
                INSERT OR IGNORE INTO entryUse (entry, tenant)
                SELECT json_extract(json, '$.catalogEntry'), tenant FROM request WHERE json_extract(json, '$.catalogEntry') IS NOT NULL
                """)
        }
        return migrator
    }

    // MARK: SchedulerStore

    public func snapshot() throws(ServiceError) -> StoreSnapshot {
        try run("read the snapshot") {
            try pool.read { db in
                var snapshot = StoreSnapshot()
                snapshot.nodes = try decodeAll(NodeRecord.self, db, "SELECT json FROM node ORDER BY id")
                snapshot.tenants = try decodeAll(Tenant.self, db, "SELECT json FROM tenant ORDER BY id")
                snapshot.users = try decodeAll(User.self, db, "SELECT json FROM user ORDER BY id")
                snapshot.quotas = try decodeAll(QuotaRecord.self, db, "SELECT json FROM quota ORDER BY tenant, priority")
                snapshot.grants = try decodeAll(Grant.self, db, "SELECT json FROM grant ORDER BY id")
                snapshot.openRequests = try decodeAll(
                    RequestRecord.self, db, "SELECT json FROM request WHERE terminal = 0 ORDER BY submittedAt, id")
                snapshot.catalog = try decodeAll(CatalogEntry.self, db, "SELECT json FROM catalog ORDER BY code")
                snapshot.sites = try decodeAll(Site.self, db, "SELECT json FROM site ORDER BY id")
                snapshot.links = try decodeAll(SiteLink.self, db, "SELECT json FROM siteLink ORDER BY fromSite, toSite")
                snapshot.storagePools = try decodeAll(StoragePool.self, db, "SELECT json FROM storagePool ORDER BY id")
                snapshot.priceVersions = try decodeAll(PriceVersion.self, db, "SELECT json FROM priceVersion ORDER BY effectiveFrom")
                snapshot.openApplications = try decodeAll(Application.self, db, "SELECT json FROM application WHERE open = 1 ORDER BY createdAt, id")
                snapshot.approvalPolicies = try decodeAll(ApprovalPolicy.self, db, "SELECT json FROM approvalPolicy ORDER BY scope")
                snapshot.webhooks = try decodeAll(Webhook.self, db, "SELECT json FROM webhook ORDER BY id")
                for row in try Row.fetchAll(db, sql: "SELECT key, value FROM setting") {
                    snapshot.settings[row["key"]] = row["value"]
                }
                return snapshot
            }
        }
    }

    public func commit(_ batch: StoreBatch) throws(ServiceError) {
        guard !batch.isEmpty else { return }
        try run("commit") {
            try pool.write { db in
                for (key, value) in batch.settings {
                    try db.execute(sql: "INSERT OR REPLACE INTO setting (key, value) VALUES (?, ?)", arguments: [key, value])
                }
                for tenant in batch.tenants {
                    try db.execute(sql: "INSERT OR REPLACE INTO tenant (id, json) VALUES (?, ?)", arguments: [tenant.id, encode(tenant)])
                }
                for id in batch.removedSites { try db.execute(sql: "DELETE FROM site WHERE id = ?", arguments: [id]) }
                for site in batch.sites {
                    try db.execute(sql: "INSERT OR REPLACE INTO site (id, json) VALUES (?, ?)", arguments: [site.id, encode(site)])
                }
                for link in batch.removedLinks {
                    try db.execute(sql: "DELETE FROM siteLink WHERE fromSite = ? AND toSite = ?", arguments: [link.from, link.to])
                }
                for link in batch.links {
                    try db.execute(sql: "INSERT OR REPLACE INTO siteLink (fromSite, toSite, json) VALUES (?, ?, ?)", arguments: [link.from, link.to, encode(link)])
                }
                for id in batch.removedStoragePools { try db.execute(sql: "DELETE FROM storagePool WHERE id = ?", arguments: [id]) }
                for pool in batch.storagePools {
                    try db.execute(sql: "INSERT OR REPLACE INTO storagePool (id, json) VALUES (?, ?)", arguments: [pool.id, encode(pool)])
                }
                for code in batch.removedCatalog { try db.execute(sql: "DELETE FROM catalog WHERE code = ?", arguments: [code]) }
                for entry in batch.catalog {
                    try db.execute(sql: "INSERT OR REPLACE INTO catalog (code, json) VALUES (?, ?)", arguments: [entry.code, encode(entry)])
                }
                for id in batch.removedUsers { try db.execute(sql: "DELETE FROM user WHERE id = ?", arguments: [id]) }
                for user in batch.users {
                    try db.execute(
                        sql: """
                            INSERT INTO user (id, tokenHash, json) VALUES (?, ?, ?)
                            ON CONFLICT (id) DO UPDATE SET tokenHash = excluded.tokenHash, json = excluded.json
                            """,
                        arguments: [user.id, user.tokenHash, encode(user)])
                }
                for id in batch.removedNodes { try db.execute(sql: "DELETE FROM node WHERE id = ?", arguments: [id]) }
                for node in batch.nodes {
                    try db.execute(sql: "INSERT OR REPLACE INTO node (id, json) VALUES (?, ?)", arguments: [node.node.id, encode(node)])
                }
                for quota in batch.quotas {
                    try db.execute(
                        sql: "INSERT OR REPLACE INTO quota (tenant, priority, json) VALUES (?, ?, ?)",
                        arguments: [quota.tenant, quota.priority.rawValue, encode(quota)])
                }
                for grant in batch.grants {
                    try db.execute(
                        sql: "INSERT OR REPLACE INTO grant (id, tenant, json) VALUES (?, ?, ?)",
                        arguments: [grant.id, grant.tenant, encode(grant)])
                }
                let upsert = try db.cachedStatement(sql: """
                    INSERT INTO request (id, tenant, phase, priority, kind, submittedAt, terminal, idempotencyKey, json)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
                    ON CONFLICT (id) DO UPDATE SET phase = excluded.phase, terminal = excluded.terminal, json = excluded.json
                    """)
                for record in batch.requests {
                    try upsert.execute(arguments: [
                        record.id, record.tenant, record.phase.name, record.spec.priority.rawValue, record.spec.kind.rawValue,
                        record.spec.submittedAt, record.phase.isTerminal, record.idempotencyKey, encode(record),
                    ])
                }
                let history = try db.cachedStatement(sql: "INSERT INTO history (requestID, at, phase, reason, actor) VALUES (?, ?, ?, ?, ?)")
                for entry in batch.history {
                    try history.execute(arguments: [entry.requestID, entry.at, entry.phase, entry.reason, entry.actor])
                }
                let audit = try db.cachedStatement(sql: "INSERT INTO audit (at, actor, action, target, detail) VALUES (?, ?, ?, ?, ?)")
                for entry in batch.audit {
                    try audit.execute(arguments: [entry.at, entry.actor, entry.action, entry.target, entry.detail])
                }
                for version in batch.priceVersions {
                    try db.execute(sql: "INSERT INTO priceVersion (effectiveFrom, json) VALUES (?, ?)", arguments: [version.effectiveFrom, encode(version)])
                }
                try SQLiteLedger.hold(batch.holdings, in: db)
                try SQLiteLedger.insert(batch.meteringSamples, basis: .used, in: db)
                try SQLiteLedger.insert(batch.allocatedSamples, basis: .allocated, in: db)
                if let prune = batch.pruneSamplesBefore { try SQLiteLedger.prune(before: prune, in: db) }
                try SQLiteWorkflow.write(batch, in: db) { try encode($0) }
                try SQLiteSearch.index(batch, in: db)
                try SQLiteFeedback.write(batch, in: db)
            }
        }
    }

    public func request(id: String) throws(ServiceError) -> RequestRecord? {
        try run("read request \(id)") {
            try pool.read { db in try decodeAll(RequestRecord.self, db, "SELECT json FROM request WHERE id = ?", [id]).first }
        }
    }

    public func existingRequests(_ ids: [String]) throws(ServiceError) -> Set<String> {
        guard !ids.isEmpty else { return [] }
        return try run("look up request ids") {
            try pool.read { db in
                var found: Set<String> = []
                for start in stride(from: 0, to: ids.count, by: 500) {
                    let chunk = Array(ids[start..<min(start + 500, ids.count)])
                    let marks = chunk.map { _ in "?" }.joined(separator: ",")
                    found.formUnion(try String.fetchAll(db, sql: "SELECT id FROM request WHERE id IN (\(marks))", arguments: StatementArguments(chunk)))
                }
                return found
            }
        }
    }

    public func requests(_ query: RequestQuery) throws(ServiceError) -> [RequestRecord] {
        var conditions: [String] = []
        var arguments: [(any DatabaseValueConvertible)?] = []
        if let tenant = query.tenant { conditions.append("tenant = ?"); arguments.append(tenant) }
        if let phase = query.phase { conditions.append("phase = ?"); arguments.append(phase) }
        if let priority = query.priority { conditions.append("priority = ?"); arguments.append(priority.rawValue) }
        if let kind = query.kind { conditions.append("kind = ?"); arguments.append(kind.rawValue) }
        if let after = query.after {
            conditions.append("(submittedAt < ? OR (submittedAt = ? AND id < ?))")
            arguments += [after.submittedAt, after.submittedAt, after.id]
        }
        let filter = conditions.isEmpty ? "" : "WHERE " + conditions.joined(separator: " AND ")
        let sql = "SELECT json FROM request \(filter) ORDER BY submittedAt DESC, id DESC LIMIT \(max(0, query.limit))"
        let bound = StatementArguments(arguments)
        return try run("list requests") {
            try pool.read { db in try decodeAll(RequestRecord.self, db, sql, bound) }
        }
    }

    public func history(ofRequest id: String) throws(ServiceError) -> [HistoryEntry] {
        try run("read the history of \(id)") {
            try pool.read { db in
                try Row.fetchAll(db, sql: "SELECT at, phase, reason, actor FROM history WHERE requestID = ? ORDER BY id", arguments: [id]).map {
                    HistoryEntry(requestID: id, at: $0["at"], phase: $0["phase"], reason: $0["reason"], actor: $0["actor"])
                }
            }
        }
    }

    public func requestID(tenant: String, idempotencyKey: String) throws(ServiceError) -> String? {
        try run("look up an idempotency key") {
            try pool.read { db in
                try String.fetchOne(db, sql: "SELECT id FROM request WHERE tenant = ? AND idempotencyKey = ?", arguments: [tenant, idempotencyKey])
            }
        }
    }

    public func audit(_ query: AuditQuery) throws(ServiceError) -> [AuditEntry] {
        var conditions: [String] = []
        var arguments: [(any DatabaseValueConvertible)?] = []
        if let actor = query.actor { conditions.append("actor = ?"); arguments.append(actor) }
        if let action = query.action { conditions.append("action = ?"); arguments.append(action) }
        if let prefix = query.targetPrefix { conditions.append("substr(target, 1, ?) = ?"); arguments += [prefix.count, prefix] }
        if let from = query.from { conditions.append("at >= ?"); arguments.append(from) }
        if let to = query.to { conditions.append("at < ?"); arguments.append(to) }
        if let after = query.afterSequence { conditions.append("sequence > ?"); arguments.append(after) }
        if let before = query.beforeSequence { conditions.append("sequence < ?"); arguments.append(before) }
        let filter = conditions.isEmpty ? "" : "WHERE " + conditions.joined(separator: " AND ")
        let sql = "SELECT * FROM audit \(filter) ORDER BY sequence\(query.newestFirst ? " DESC" : "") LIMIT \(max(0, query.limit))"
        let bound = StatementArguments(arguments)
        return try run("read the audit log") {
            try pool.read { db in
                try Row.fetchAll(db, sql: sql, arguments: bound).map {
                    AuditEntry(sequence: $0["sequence"], at: $0["at"], actor: $0["actor"], action: $0["action"], target: $0["target"], detail: $0["detail"])
                }
            }
        }
    }

    public func application(id: String) throws(ServiceError) -> Application? {
        try run("read application \(id)") {
            try pool.read { db in try decodeAll(Application.self, db, "SELECT json FROM application WHERE id = ?", [id]).first }
        }
    }

    public func applicationID(tenant: String, idempotencyKey: String) throws(ServiceError) -> String? {
        try run("look up an application's idempotency key") {
            try pool.read { db in
                try String.fetchOne(db, sql: "SELECT id FROM application WHERE tenant = ? AND idempotencyKey = ?", arguments: [tenant, idempotencyKey])
            }
        }
    }

    public func applications(_ query: ApplicationQuery) throws(ServiceError) -> [Application] {
        try run("list applications") { try pool.read { db in try SQLiteWorkflow.applications(query, in: db, decoder: decoder) } }
    }

    public func notifications(_ query: NotificationQuery) throws(ServiceError) -> [InboxNotification] {
        try run("read the notifications of \(query.user)") { try pool.read { db in try SQLiteWorkflow.notifications(query, in: db, decoder: decoder) } }
    }

    public func feedback(entry: String, limit: Int) throws(ServiceError) -> EntryFeedback {
        try run("read the feedback on \(entry)") { try pool.read { db in try SQLiteFeedback.feedback(entry: entry, limit: limit, in: db) } }
    }

    public func post(id: String) throws(ServiceError) -> Post? {
        try run("read post \(id)") { try pool.read { db in try SQLiteFeedback.post(id: id, in: db) } }
    }

    public func ratingSummaries() throws(ServiceError) -> [String: RatingSummary] {
        try run("read the ratings") { try pool.read { db in try SQLiteFeedback.summaries(in: db) } }
    }

    public func hasUsed(entry: String, tenant: String) throws(ServiceError) -> Bool {
        try run("read the use of \(entry)") { try pool.read { db in try SQLiteFeedback.hasUsed(entry: entry, tenant: tenant, in: db) } }
    }

    public func search(_ query: SearchQuery) throws(ServiceError) -> [SearchHit] {
        try run("search") { try pool.read { db in try SQLiteSearch.search(query, in: db) } }
    }

    public func unreadNotifications(user: String) throws(ServiceError) -> Int {
        try run("count the unread notifications of \(user)") {
            try pool.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM notification WHERE user = ? AND read = 0", arguments: [user]) ?? 0 }
        }
    }

    public func dueDeliveries(at now: Double, limit: Int) throws(ServiceError) -> [WebhookDelivery] {
        try run("read due webhook deliveries") {
            try pool.read { db in
                try SQLiteWorkflow.deliveries(
                    where: "nextAttemptAt IS NOT NULL AND nextAttemptAt <= ?", [now], order: "nextAttemptAt, id", limit: limit, in: db, decoder: decoder)
            }
        }
    }

    public func deliveries(webhook: String, limit: Int) throws(ServiceError) -> [WebhookDelivery] {
        try run("read the deliveries of webhook \(webhook)") {
            try pool.read { db in try SQLiteWorkflow.deliveries(where: "webhook = ?", [webhook], order: "id DESC", limit: limit, in: db, decoder: decoder) }
        }
    }

    public func usage(_ query: UsageQuery, at now: Double) throws(ServiceError) -> [UsageLine] {
        try run("read usage") { try pool.read { db in try SQLiteLedger.usage(query, at: now, in: db) } }
    }

    // MARK: Helpers

    private func encode(_ value: any Encodable) throws -> Data { try encoder.encode(value) }

    private func decodeAll<T: Decodable>(_ type: T.Type, _ db: Database, _ sql: String, _ arguments: StatementArguments = []) throws -> [T] {
        try Data.fetchAll(db, sql: sql, arguments: arguments).map { try decoder.decode(T.self, from: $0) }
    }

    /// Runs a database call and turns its failure into `unavailable`, naming what was attempted.
    private func run<T>(_ what: String, _ body: () throws -> T) throws(ServiceError) -> T {
        do { return try body() } catch { throw ServiceError(.unavailable, "the store could not \(what): \(error)") }
    }
}
