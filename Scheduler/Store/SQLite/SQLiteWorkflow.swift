import Foundation
import GRDB
import SchedulerService

/// Applications, approval policies, inboxes and webhook deliveries in SQLite. A notice is written
/// once per recipient and once per webhook of its tenant by the same transaction as the change it
/// tells of, so a notice is never lost nor sent for a change that was not committed.
enum SQLiteWorkflow {
    static let schema = """
        CREATE TABLE application (
            id TEXT PRIMARY KEY NOT NULL, tenant TEXT NOT NULL, applicant TEXT NOT NULL, state TEXT NOT NULL,
            open INTEGER NOT NULL, createdAt REAL NOT NULL, idempotencyKey TEXT, json BLOB NOT NULL);
        CREATE UNIQUE INDEX application_idempotency ON application (tenant, idempotencyKey) WHERE idempotencyKey IS NOT NULL;
        CREATE INDEX application_open ON application (open) WHERE open = 1;
        CREATE INDEX application_list ON application (createdAt DESC, id DESC);
        CREATE INDEX application_tenant ON application (tenant, createdAt DESC, id DESC);
        CREATE TABLE approvalPolicy (scope TEXT PRIMARY KEY NOT NULL, json BLOB NOT NULL);
        CREATE TABLE notification (id INTEGER PRIMARY KEY AUTOINCREMENT, user TEXT NOT NULL, read INTEGER NOT NULL DEFAULT 0, notice BLOB NOT NULL);
        CREATE INDEX notification_user ON notification (user, id DESC);
        CREATE INDEX notification_unread ON notification (user) WHERE read = 0;
        CREATE TABLE webhook (id TEXT PRIMARY KEY NOT NULL, tenant TEXT NOT NULL, json BLOB NOT NULL);
        CREATE TABLE webhookDelivery (
            id INTEGER PRIMARY KEY AUTOINCREMENT, webhook TEXT NOT NULL, notice BLOB NOT NULL, attempts INTEGER NOT NULL DEFAULT 0,
            nextAttemptAt REAL, deliveredAt REAL, gaveUpAt REAL, lastStatus INTEGER, lastError TEXT);
        CREATE INDEX delivery_due ON webhookDelivery (nextAttemptAt) WHERE nextAttemptAt IS NOT NULL;
        CREATE INDEX delivery_webhook ON webhookDelivery (webhook, id DESC);
        """

    static func write(_ batch: StoreBatch, in db: Database, encode: (any Encodable) throws -> Data) throws {
        for application in batch.applications {
            try db.execute(
                sql: """
                    INSERT INTO application (id, tenant, applicant, state, open, createdAt, idempotencyKey, json) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                    ON CONFLICT (id) DO UPDATE SET state = excluded.state, open = excluded.open, json = excluded.json
                    """,
                arguments: [
                    application.id, application.tenant, application.applicant, application.state.rawValue, application.isOpen, application.createdAt,
                    application.idempotencyKey, encode(application),
                ])
        }
        for scope in batch.removedApprovalPolicies { try db.execute(sql: "DELETE FROM approvalPolicy WHERE scope = ?", arguments: [scope.description]) }
        for policy in batch.approvalPolicies {
            try db.execute(sql: "INSERT OR REPLACE INTO approvalPolicy (scope, json) VALUES (?, ?)", arguments: [policy.scope.description, encode(policy)])
        }
        for id in batch.removedWebhooks {
            try db.execute(sql: "DELETE FROM webhook WHERE id = ?", arguments: [id])
            try db.execute(sql: "DELETE FROM webhookDelivery WHERE webhook = ?", arguments: [id])
        }
        for webhook in batch.webhooks {
            try db.execute(sql: "INSERT OR REPLACE INTO webhook (id, tenant, json) VALUES (?, ?, ?)", arguments: [webhook.id, webhook.tenant, encode(webhook)])
        }
        let inbox = try db.cachedStatement(sql: "INSERT INTO notification (user, notice) VALUES (?, ?)")
        let outbox = try db.cachedStatement(sql: "INSERT INTO webhookDelivery (webhook, notice, nextAttemptAt) SELECT id, ?, ? FROM webhook WHERE tenant = ?")
        for notice in batch.notices {
            var stored = notice
            stored.recipients = []
            let json = try encode(stored)
            for user in Set(notice.recipients).sorted() { try inbox.execute(arguments: [user, json]) }
            if let tenant = notice.tenant { try outbox.execute(arguments: [json, notice.at, tenant]) }
        }
        for read in batch.notificationsRead {
            for chunk in stride(from: 0, to: read.ids.count, by: 500).map({ Array(read.ids[$0..<min($0 + 500, read.ids.count)]) }) {
                let marks = chunk.map { _ in "?" }.joined(separator: ",")
                try db.execute(sql: "UPDATE notification SET read = 1 WHERE user = ? AND id IN (\(marks))", arguments: StatementArguments([read.user] + chunk))
            }
            if let upTo = read.upTo { try db.execute(sql: "UPDATE notification SET read = 1 WHERE user = ? AND id <= ?", arguments: [read.user, upTo]) }
        }
        for attempt in batch.deliveryAttempts {
            try db.execute(
                sql: """
                    UPDATE webhookDelivery SET attempts = ?, lastStatus = ?, lastError = ?, nextAttemptAt = ?,
                        deliveredAt = CASE WHEN ? THEN ? ELSE deliveredAt END, gaveUpAt = CASE WHEN ? THEN ? ELSE gaveUpAt END
                    WHERE id = ?
                    """,
                arguments: [
                    attempt.attempts, attempt.status, attempt.error, attempt.nextAttemptAt, attempt.succeeded, attempt.at,
                    !attempt.succeeded && attempt.nextAttemptAt == nil, attempt.at, attempt.delivery,
                ])
        }
    }

    static func applications(_ query: ApplicationQuery, in db: Database, decoder: JSONDecoder) throws -> [Application] {
        var conditions: [String] = []
        var arguments: [(any DatabaseValueConvertible)?] = []
        if let tenant = query.tenant { conditions.append("tenant = ?"); arguments.append(tenant) }
        if let state = query.state { conditions.append("state = ?"); arguments.append(state.rawValue) }
        if let applicant = query.applicant { conditions.append("applicant = ?"); arguments.append(applicant) }
        let filter = conditions.isEmpty ? "" : "WHERE " + conditions.joined(separator: " AND ")
        return try Data.fetchAll(db, sql: "SELECT json FROM application \(filter) ORDER BY createdAt DESC, id DESC LIMIT \(max(0, query.limit))", arguments: StatementArguments(arguments))
            .map { try decoder.decode(Application.self, from: $0) }
    }

    static func notifications(_ query: NotificationQuery, in db: Database, decoder: JSONDecoder) throws -> [InboxNotification] {
        var sql = "SELECT id, read, notice FROM notification WHERE user = ?"
        var arguments: [(any DatabaseValueConvertible)?] = [query.user]
        if query.unreadOnly { sql += " AND read = 0" }
        if let before = query.before { sql += " AND id < ?"; arguments.append(before) }
        sql += " ORDER BY id DESC LIMIT \(max(0, query.limit))"
        return try Row.fetchAll(db, sql: sql, arguments: StatementArguments(arguments)).map { row in
            let notice = try decoder.decode(Notice.self, from: row["notice"] as Data)
            return InboxNotification(
                id: row["id"], user: query.user, kind: notice.kind, tenant: notice.tenant, subject: notice.subject, message: notice.message, at: notice.at,
                read: row["read"])
        }
    }

    static func deliveries(where condition: String, _ arguments: StatementArguments, order: String, limit: Int, in db: Database, decoder: JSONDecoder) throws -> [WebhookDelivery] {
        try Row.fetchAll(db, sql: "SELECT * FROM webhookDelivery WHERE \(condition) ORDER BY \(order) LIMIT \(max(0, limit))", arguments: arguments).map { row in
            var delivery = WebhookDelivery(
                id: row["id"], webhook: row["webhook"], notice: try decoder.decode(Notice.self, from: row["notice"] as Data), attempts: row["attempts"],
                nextAttemptAt: row["nextAttemptAt"])
            delivery.deliveredAt = row["deliveredAt"]
            delivery.gaveUpAt = row["gaveUpAt"]
            delivery.lastStatus = row["lastStatus"]
            delivery.lastError = row["lastError"]
            return delivery
        }
    }
}
