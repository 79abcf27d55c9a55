import Foundation
import Logging
import Placement
import PostgresNIO
import SchedulerService

/// A batch as the statements that write it, in the SQLite store's order: each table's rows in one
/// statement, passed as one JSON array and read back with `json_to_recordset`, and consecutive
/// statements joined into one where they can be (`StatementBatch`). Encoded by the caller before
/// the transaction starts, so the transaction holds its connection only for the round trips. An
/// `INSERT ... SELECT` from one `json_to_recordset` scan inserts in the array's order, so numbered
/// rows (history, audit, notifications) are numbered in the batch's order. Rows written more than
/// once in a batch are sent once, the last version (an upsert may not touch a row twice).
struct PostgresWrites: Sendable {
    private var before = StatementBatch()
    private var ledger: PostgresLedger.Writes
    private var after = StatementBatch()

    init(_ batch: StoreBatch) throws(ServiceError) {
        do {
            ledger = PostgresLedger.Writes(batch)
            try prepare(batch)
        } catch let error as ServiceError {
            throw error
        } catch {
            throw ServiceError(.unavailable, "the store could not encode the batch: \(error)")
        }
    }

    func write(in db: PostgresConnection, logger: Logger) async throws {
        for statement in before.statements { try await db.run(statement, logger: logger) }
        try await ledger.write(in: db, logger: logger)
        for statement in after.statements { try await db.run(statement, logger: logger) }
    }

    // MARK: Rows

    struct Keyed<Record: Encodable & Sendable>: Encodable, Sendable {
        var id: String
        var tenant: String?
        var record: Record
    }

    private struct RequestRow: Encodable {
        var id: String, tenant: String, phase: String, priority: String, kind: String, submittedAt: Double, terminal: Bool, idempotencyKey: String?
        var record: RequestRecord
    }

    private struct QuotaRow: Encodable {
        var tenant: String, priority: String, record: QuotaRecord
    }

    private struct LinkRow: Encodable {
        var fromSite: String, toSite: String, record: SiteLink?
    }

    private struct UserRow: Encodable {
        var id: String, tokenHash: String, record: User
    }

    private struct PriceRow: Encodable {
        var effectiveFrom: Double, record: PriceVersion
    }

    private mutating func prepare(_ batch: StoreBatch) throws {
        if !batch.settings.isEmpty {
            let rows = batch.settings.sorted { $0.key < $1.key }.map { Keyed(id: $0.key, record: $0.value) }
            try upsert(rows, "setting (key, value) SELECT id, record #>> '{}' FROM json_to_recordset(%@) AS x(id text, record json) ON CONFLICT (key) DO UPDATE SET value = excluded.value")
        }
        try upsert(Self.last(batch.tenants.map { Keyed(id: $0.id, record: $0) }), Self.keyed("tenant"))
        try delete(batch.removedSites, from: "site", key: "id")
        try upsert(Self.last(batch.sites.map { Keyed(id: $0.id, record: $0) }), Self.keyed("site"))
        if !batch.removedLinks.isEmpty {
            try before.add(batch.removedLinks.map { LinkRow(fromSite: $0.from, toSite: $0.to, record: nil) },
                "DELETE FROM site_link l USING json_to_recordset(%@) AS x(\"fromSite\" text, \"toSite\" text) WHERE l.from_site = x.\"fromSite\" AND l.to_site = x.\"toSite\"")
        }
        let links = Dictionary(batch.links.map { ("\($0.from)\u{0}\($0.to)", $0) }) { _, newer in newer }.values.sorted { ($0.from, $0.to) < ($1.from, $1.to) }
        try upsert(links.map { LinkRow(fromSite: $0.from, toSite: $0.to, record: $0) }, """
            site_link (from_site, to_site, record) SELECT "fromSite", "toSite", record FROM json_to_recordset(%@) AS x("fromSite" text, "toSite" text, record json)
            ON CONFLICT (from_site, to_site) DO UPDATE SET record = excluded.record
            """)
        try delete(batch.removedStoragePools, from: "storage_pool", key: "id")
        try upsert(Self.last(batch.storagePools.map { Keyed(id: $0.id, record: $0) }), Self.keyed("storage_pool"))
        try delete(batch.removedCatalog, from: "catalog", key: "code")
        try upsert(Self.last(batch.catalog.map { Keyed(id: $0.code, record: $0) }), """
            catalog (code, record) SELECT id, record FROM json_to_recordset(%@) AS x(id text, record json) ON CONFLICT (code) DO UPDATE SET record = excluded.record
            """)
        try delete(batch.removedUsers, from: "app_user", key: "id")
        let users = Dictionary(batch.users.map { ($0.id, $0) }) { _, newer in newer }.values.sorted { $0.id < $1.id }
        try upsert(users.map { UserRow(id: $0.id, tokenHash: $0.tokenHash, record: $0) }, """
            app_user (id, token_hash, record) SELECT id, "tokenHash", record FROM json_to_recordset(%@) AS x(id text, "tokenHash" text, record json)
            ON CONFLICT (id) DO UPDATE SET token_hash = excluded.token_hash, record = excluded.record
            """)
        try delete(batch.removedNodes, from: "node", key: "id")
        try upsert(Self.last(batch.nodes.map { Keyed(id: $0.node.id, record: $0) }), Self.keyed("node"))
        let quotas = Dictionary(batch.quotas.map { ("\($0.tenant)\u{0}\($0.priority.rawValue)", $0) }) { _, newer in newer }.values
            .sorted { ($0.tenant, $0.priority.rawValue) < ($1.tenant, $1.priority.rawValue) }
        try upsert(quotas.map { QuotaRow(tenant: $0.tenant, priority: $0.priority.rawValue, record: $0) }, """
            quota (tenant, priority, record) SELECT tenant, priority, record FROM json_to_recordset(%@) AS x(tenant text, priority text, record json)
            ON CONFLICT (tenant, priority) DO UPDATE SET record = excluded.record
            """)
        try upsert(Self.last(batch.grants.map { Keyed(id: $0.id, tenant: $0.tenant, record: $0) }), """
            access_grant (id, tenant, record) SELECT id, tenant, record FROM json_to_recordset(%@) AS x(id text, tenant text, record json)
            ON CONFLICT (id) DO UPDATE SET tenant = excluded.tenant, record = excluded.record
            """)
        let requests = Self.last(batch.requests.map { Keyed(id: $0.id, record: $0) }).map {
            RequestRow(
                id: $0.id, tenant: $0.record.tenant, phase: $0.record.phase.name, priority: $0.record.spec.priority.rawValue, kind: $0.record.spec.kind.rawValue,
                submittedAt: $0.record.spec.submittedAt, terminal: $0.record.phase.isTerminal, idempotencyKey: $0.record.idempotencyKey, record: $0.record)
        }
        try upsert(requests, """
            request (id, tenant, phase, priority, kind, submitted_at, terminal, idempotency_key, record)
            SELECT id, tenant, phase, priority, kind, "submittedAt", terminal, "idempotencyKey", record FROM json_to_recordset(%@)
                AS x(id text, tenant text, phase text, priority text, kind text, "submittedAt" float8, terminal boolean, "idempotencyKey" text, record json)
            ON CONFLICT (id) DO UPDATE SET phase = excluded.phase, terminal = excluded.terminal, record = excluded.record
            """)
        try upsert(batch.history, """
            history (request_id, at, phase, reason, actor) SELECT "requestID", at, phase, reason, actor
            FROM json_to_recordset(%@) AS x("requestID" text, at float8, phase text, reason text, actor text)
            """)
        try upsert(batch.audit, """
            audit (at, actor, action, target, detail) SELECT at, actor, action, target, detail
            FROM json_to_recordset(%@) AS x(at float8, actor text, action text, target text, detail text)
            """)
        try upsert(batch.priceVersions.map { PriceRow(effectiveFrom: $0.effectiveFrom, record: $0) }, """
            price_version (effective_from, record) SELECT "effectiveFrom", record FROM json_to_recordset(%@) AS x("effectiveFrom" float8, record json)
            """)
        before.flush()
        try PostgresWorkflow.statements(batch, into: &after)
        try PostgresSearch.statements(batch, into: &after)
        try PostgresFeedback.statements(batch, into: &after)
        after.flush()
    }

    /// The upsert of a table keyed by `id` holding one record.
    private static func keyed(_ table: String) -> String {
        "\(table) (id, record) SELECT id, record FROM json_to_recordset(%@) AS x(id text, record json) ON CONFLICT (id) DO UPDATE SET record = excluded.record"
    }

    /// Each id's last version, in the order of their first.
    static func last<Record>(_ rows: [Keyed<Record>]) -> [Keyed<Record>] {
        var index: [String: Int] = [:]
        var out: [Keyed<Record>] = []
        for row in rows {
            if let at = index[row.id] { out[at] = row } else {
                index[row.id] = out.count
                out.append(row)
            }
        }
        return out
    }

    /// `INSERT INTO` the statement, its rows bound where it says `%@`; nothing when there are none.
    private mutating func upsert<Row: Encodable>(_ rows: [Row], _ statement: String) throws {
        try before.add(rows, "INSERT INTO " + statement)
    }

    private mutating func delete(_ keys: [String], from table: String, key: String) {
        guard !keys.isEmpty else { return }
        before.add(writes: table) { sql in "DELETE FROM \(table) WHERE \(key) = ANY(\(sql.bind(keys)))" }
    }
}

/// Statements joined into as few as can be: consecutive writes to different tables, none of them
/// reading a table another of them writes, go as one statement whose first parts are
/// data-modifying `WITH` queries (PostgreSQL runs them all, on one snapshot), so a commit makes
/// fewer round trips. A statement is added before it is bound, so that its parameters are
/// numbered in the statement it joins.
struct StatementBatch: Sendable {
    private(set) var statements: [SQL] = []
    private var current = SQL()
    private var parts: [String] = []
    private var written: Set<String> = []

    /// Adds a statement writing `table` (and reading `reads` besides its own rows), built on the
    /// statement it joins.
    mutating func add(writes table: String, reads: Set<String> = [], _ build: (inout SQL) throws -> String) rethrows {
        if written.contains(table) || !reads.isDisjoint(with: written) { flush() }
        parts.append(try build(&current))
        written.insert(table)
    }

    /// Adds a statement taking `rows` as its JSON parameter where it says `%@`; nothing when there
    /// are none. It writes the table its text names first (`INSERT INTO t`, `DELETE FROM t`,
    /// `UPDATE t`).
    mutating func add<Row: Encodable>(_ rows: [Row], _ text: String, reads: Set<String> = []) throws {
        guard !rows.isEmpty else { return }
        let words = text.split(whereSeparator: \.isWhitespace)
        let table = String(words[words[0].uppercased() == "UPDATE" ? 1 : 2])
        try add(writes: table, reads: reads) { sql in text.replacingOccurrences(of: "%@", with: try sql.bind(json: rows)) }
    }

    /// Ends the statement being joined.
    mutating func flush() {
        guard let last = parts.last else { return }
        let with = parts.dropLast().enumerated().map { "w\($0.offset) AS (\($0.element))" }
        current.text = with.isEmpty ? last : "WITH " + with.joined(separator: ", ") + " " + last
        statements.append(current)
        current = SQL()
        parts = []
        written = []
    }
}
