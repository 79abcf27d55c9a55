import Foundation
import PostgresNIO
import SchedulerService

/// Applications, approval policies, inboxes and webhook deliveries in PostgreSQL, as in the SQLite
/// store (`SQLiteWorkflow`): a notice is written once per recipient and once per webhook of its
/// tenant by the transaction of the change it tells of.
enum PostgresWorkflow {
    private struct ApplicationRow: Encodable {
        var id: String, tenant: String, applicant: String, state: String, open: Bool, createdAt: Double, idempotencyKey: String?
        var record: Application
    }

    private struct InboxRow: Encodable {
        var user: String, notice: Notice
    }

    private struct OutboxRow: Encodable {
        var tenant: String, at: Double, notice: Notice
    }

    private struct AttemptRow: Encodable {
        var delivery: Int64, attempts: Int, status: Int?, error: String?, nextAttemptAt: Double?, deliveredAt: Double?, gaveUpAt: Double?
    }

    static func statements(_ batch: StoreBatch, into out: inout StatementBatch) throws {
        func add<Row: Encodable>(_ rows: [Row], _ text: String, reads: Set<String> = []) throws { try out.add(rows, text, reads: reads) }
        let applications = PostgresWrites.last(batch.applications.map { PostgresWrites.Keyed(id: $0.id, record: $0) }).map {
            ApplicationRow(
                id: $0.id, tenant: $0.record.tenant, applicant: $0.record.applicant, state: $0.record.state.rawValue, open: $0.record.isOpen,
                createdAt: $0.record.createdAt, idempotencyKey: $0.record.idempotencyKey, record: $0.record)
        }
        try add(applications, """
            INSERT INTO application (id, tenant, applicant, state, open, created_at, idempotency_key, record)
            SELECT id, tenant, applicant, state, open, "createdAt", "idempotencyKey", record FROM json_to_recordset(%@)
                AS x(id text, tenant text, applicant text, state text, open boolean, "createdAt" float8, "idempotencyKey" text, record json)
            ON CONFLICT (id) DO UPDATE SET state = excluded.state, open = excluded.open, record = excluded.record
            """)
        if !batch.removedApprovalPolicies.isEmpty {
            out.add(writes: "approval_policy") { sql in "DELETE FROM approval_policy WHERE scope = ANY(\(sql.bind(batch.removedApprovalPolicies.map(\.description))))" }
        }
        try add(PostgresWrites.last(batch.approvalPolicies.map { PostgresWrites.Keyed(id: $0.scope.description, record: $0) }), """
            INSERT INTO approval_policy (scope, record) SELECT id, record FROM json_to_recordset(%@) AS x(id text, record json)
            ON CONFLICT (scope) DO UPDATE SET record = excluded.record
            """)
        if !batch.removedWebhooks.isEmpty {
            out.add(writes: "webhook") { sql in "DELETE FROM webhook WHERE id = ANY(\(sql.bind(batch.removedWebhooks)))" }
            out.add(writes: "webhook_delivery") { sql in "DELETE FROM webhook_delivery WHERE webhook = ANY(\(sql.bind(batch.removedWebhooks)))" }
        }
        try add(PostgresWrites.last(batch.webhooks.map { PostgresWrites.Keyed(id: $0.id, tenant: $0.tenant, record: $0) }), """
            INSERT INTO webhook (id, tenant, record) SELECT id, tenant, record FROM json_to_recordset(%@) AS x(id text, tenant text, record json)
            ON CONFLICT (id) DO UPDATE SET tenant = excluded.tenant, record = excluded.record
            """)
        var inbox: [InboxRow] = []
        var outbox: [OutboxRow] = []
        for notice in batch.notices {
            var stored = notice
            stored.recipients = []
            for user in Set(notice.recipients).sorted() { inbox.append(InboxRow(user: user, notice: stored)) }
            if let tenant = notice.tenant { outbox.append(OutboxRow(tenant: tenant, at: notice.at, notice: stored)) }
        }
        try add(inbox, """
            INSERT INTO notification (user_id, notice) SELECT "user", notice FROM json_to_recordset(%@) AS x("user" text, notice json)
            """)
        try add(outbox, """
            INSERT INTO webhook_delivery (webhook, notice, next_attempt_at)
            SELECT w.id, x.notice, x.at FROM ROWS FROM (json_to_recordset(%@) AS (tenant text, at float8, notice json)) WITH ORDINALITY AS x(tenant, at, notice, n)
            JOIN webhook w ON w.tenant = x.tenant ORDER BY x.n, w.id
            """, reads: ["webhook"])
        for read in batch.notificationsRead {
            out.add(writes: "notification") { sql in
                let user = sql.bind(read.user)
                let upTo = read.upTo.map { " OR id <= \(sql.bind($0))" } ?? ""
                return "UPDATE notification SET read = true WHERE user_id = \(user) AND NOT read AND (id = ANY(\(sql.bind(read.ids)))\(upTo))"
            }
        }
        let attempts = batch.deliveryAttempts.map {
            AttemptRow(
                delivery: $0.delivery, attempts: $0.attempts, status: $0.status, error: $0.error, nextAttemptAt: $0.nextAttemptAt,
                deliveredAt: $0.succeeded ? $0.at : nil, gaveUpAt: !$0.succeeded && $0.nextAttemptAt == nil ? $0.at : nil)
        }
        for attempt in attempts {
            try add([attempt], """
                UPDATE webhook_delivery d SET attempts = x.attempts, last_status = x.status, last_error = x.error, next_attempt_at = x."nextAttemptAt",
                    delivered_at = COALESCE(x."deliveredAt", d.delivered_at), gave_up_at = COALESCE(x."gaveUpAt", d.gave_up_at)
                FROM json_to_recordset(%@) AS x(delivery bigint, attempts integer, status integer, error text, "nextAttemptAt" float8, "deliveredAt" float8, "gaveUpAt" float8)
                WHERE d.id = x.delivery
                """)
        }
    }

    static func applications(_ query: ApplicationQuery) -> SQL {
        var sql = SQL()
        var conditions: [String] = []
        if let tenant = query.tenant { conditions.append("tenant = \(sql.bind(tenant))") }
        if let state = query.state { conditions.append("state = \(sql.bind(state.rawValue))") }
        if let applicant = query.applicant { conditions.append("applicant = \(sql.bind(applicant))") }
        let filter = conditions.isEmpty ? "" : "WHERE " + conditions.joined(separator: " AND ")
        sql.text = "SELECT record::text FROM application \(filter) ORDER BY created_at DESC, id DESC LIMIT \(max(0, query.limit))"
        return sql
    }

    static func notifications(_ query: NotificationQuery) -> SQL {
        var sql = SQL()
        var text = "SELECT id, read, notice::text FROM notification WHERE user_id = \(sql.bind(query.user))"
        if query.unreadOnly { text += " AND NOT read" }
        if let before = query.before { text += " AND id < \(sql.bind(before))" }
        sql.text = text + " ORDER BY id DESC LIMIT \(max(0, query.limit))"
        return sql
    }

    static func deliveries(where condition: String, order: String, limit: Int) -> String {
        """
        SELECT id, webhook, notice::text, attempts, next_attempt_at, delivered_at, gave_up_at, last_status, last_error
        FROM webhook_delivery WHERE \(condition) ORDER BY \(order) LIMIT \(max(0, limit))
        """
    }

    @Sendable static func delivery(_ row: PostgresRow) throws -> WebhookDelivery {
        let (id, webhook, notice, attempts, next, delivered, gaveUp, status, error) = try row.decode(
            (Int64, String, String, Int32, Double?, Double?, Double?, Int32?, String?).self)
        var delivery = WebhookDelivery(
            id: id, webhook: webhook, notice: try JSONDecoder().decode(Notice.self, from: Data(notice.utf8)), attempts: Int(attempts), nextAttemptAt: next)
        delivery.deliveredAt = delivered
        delivery.gaveUpAt = gaveUp
        delivery.lastStatus = status.map(Int.init)
        delivery.lastError = error
        return delivery
    }
}
