import Foundation
import Logging
import PostgresNIO
import SchedulerService

/// The store's tables in PostgreSQL, as forward-only named migrations: each runs once, in order,
/// in one transaction with its name recorded in `schema_migration`. Schedulers starting together
/// take turns (a transaction-scoped advisory lock, released with the transaction, so nothing
/// leaks through the pool). Domain values are kept as JSON beside the columns queries filter on,
/// as in the SQLite store.
enum PostgresSchema {
    /// Migrations never change once released; a new one is appended.
    static let migrations: [(name: String, sql: String)] = [
        ("v1 scheduler state", """
            CREATE TABLE setting (key text PRIMARY KEY, value text NOT NULL);
            CREATE TABLE tenant (id text PRIMARY KEY, record json NOT NULL);
            CREATE TABLE app_user (id text PRIMARY KEY, token_hash text NOT NULL UNIQUE, record json NOT NULL);
            CREATE TABLE node (id text PRIMARY KEY, record json NOT NULL);
            CREATE TABLE quota (tenant text NOT NULL, priority text NOT NULL, record json NOT NULL, PRIMARY KEY (tenant, priority));
            CREATE TABLE access_grant (id text PRIMARY KEY, tenant text NOT NULL, record json NOT NULL);
            CREATE TABLE request (
                id text PRIMARY KEY, tenant text NOT NULL, phase text NOT NULL, priority text NOT NULL, kind text NOT NULL,
                submitted_at float8 NOT NULL, terminal boolean NOT NULL, idempotency_key text, record json NOT NULL);
            CREATE INDEX request_open ON request (submitted_at, id) WHERE NOT terminal;
            CREATE INDEX request_list ON request (submitted_at DESC, id DESC);
            CREATE INDEX request_tenant ON request (tenant, submitted_at DESC, id DESC);
            CREATE UNIQUE INDEX request_idempotency ON request (tenant, idempotency_key) WHERE idempotency_key IS NOT NULL;
            CREATE TABLE history (
                id bigserial PRIMARY KEY, request_id text NOT NULL, at float8 NOT NULL, phase text NOT NULL, reason text, actor text NOT NULL);
            CREATE INDEX history_request ON history (request_id, id);
            CREATE TABLE audit (
                sequence bigserial PRIMARY KEY, at float8 NOT NULL, actor text NOT NULL, action text NOT NULL, target text NOT NULL, detail text NOT NULL);
            CREATE INDEX audit_at ON audit (at);
            CREATE TABLE catalog (code text PRIMARY KEY, record json NOT NULL);
            CREATE TABLE site (id text PRIMARY KEY, record json NOT NULL);
            CREATE TABLE site_link (from_site text NOT NULL, to_site text NOT NULL, record json NOT NULL, PRIMARY KEY (from_site, to_site));
            CREATE TABLE storage_pool (id text PRIMARY KEY, record json NOT NULL);
            CREATE TABLE price_version (effective_from float8 PRIMARY KEY, record json NOT NULL);
            """),
        ("v2 metering ledger", PostgresLedger.schema),
        ("v3 applications, policies, notifications and webhooks", """
            CREATE TABLE application (
                id text PRIMARY KEY, tenant text NOT NULL, applicant text NOT NULL, state text NOT NULL, open boolean NOT NULL,
                created_at float8 NOT NULL, idempotency_key text, record json NOT NULL);
            CREATE UNIQUE INDEX application_idempotency ON application (tenant, idempotency_key) WHERE idempotency_key IS NOT NULL;
            CREATE INDEX application_open ON application (created_at, id) WHERE open;
            CREATE INDEX application_list ON application (created_at DESC, id DESC);
            CREATE INDEX application_tenant ON application (tenant, created_at DESC, id DESC);
            CREATE TABLE approval_policy (scope text PRIMARY KEY, record json NOT NULL);
            CREATE TABLE notification (id bigserial PRIMARY KEY, user_id text NOT NULL, read boolean NOT NULL DEFAULT false, notice json NOT NULL);
            CREATE INDEX notification_user ON notification (user_id, id DESC);
            CREATE INDEX notification_unread ON notification (user_id) WHERE NOT read;
            CREATE TABLE webhook (id text PRIMARY KEY, tenant text NOT NULL, record json NOT NULL);
            CREATE TABLE webhook_delivery (
                id bigserial PRIMARY KEY, webhook text NOT NULL, notice json NOT NULL, attempts integer NOT NULL DEFAULT 0,
                next_attempt_at float8, delivered_at float8, gave_up_at float8, last_status integer, last_error text);
            CREATE INDEX delivery_due ON webhook_delivery (next_attempt_at) WHERE next_attempt_at IS NOT NULL;
            CREATE INDEX delivery_webhook ON webhook_delivery (webhook, id DESC);
            """),
        ("v4 site-wide search", PostgresSearch.schema),
        ("v5 ratings, questions and answers", """
            CREATE TABLE rating (
                entry text NOT NULL, user_id text NOT NULL, tenant text NOT NULL, stars integer NOT NULL, comment text, at float8 NOT NULL,
                PRIMARY KEY (entry, user_id));
            CREATE TABLE post (
                seq bigserial PRIMARY KEY, id text NOT NULL UNIQUE, entry text NOT NULL, question text, user_id text NOT NULL, tenant text,
                official boolean NOT NULL, text text NOT NULL, at float8 NOT NULL);
            CREATE INDEX post_entry ON post (entry, seq);
            CREATE TABLE entry_use (entry text NOT NULL, tenant text NOT NULL, PRIMARY KEY (entry, tenant));
            """),
        ("v6 leader lease", PostgresLeadership.schema),
    ]

    /// An arbitrary number that names the migration lock among the database's advisory locks.
    static let migrationLock: Int64 = 0x5375_616E_6C69

    /// Applies the migrations this database has not run yet.
    static func migrate(_ database: PostgresDatabase) throws(ServiceError) {
        let logger = database.logger
        // At a start: a database that cannot be reached is said soon.
        try database.transaction("migrate the schema", timeout: 10) { connection in
            var lock = SQL("SELECT pg_advisory_xact_lock(")
            lock.text += lock.bind(migrationLock) + ")"
            try await connection.run(lock, logger: logger)
            try await connection.run("CREATE TABLE IF NOT EXISTS schema_migration (name text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())", logger: logger)
            var applied = Set<String>()
            for row in try await connection.rows(SQL("SELECT name FROM schema_migration"), logger: logger) { applied.insert(try row.decode(String.self)) }
            for migration in migrations where !applied.contains(migration.name) {
                // One statement at a time: the extended protocol takes one per query.
                for statement in migration.sql.split(separator: ";").map({ $0.trimmingCharacters(in: .whitespacesAndNewlines) }) where !statement.isEmpty {
                    try await connection.run(statement, logger: logger)
                }
                var record = SQL("INSERT INTO schema_migration (name) VALUES (")
                record.text += record.bind(migration.name) + ")"
                try await connection.run(record, logger: logger)
                logger.info("migrated the store", metadata: ["migration": "\(migration.name)"])
            }
        }
    }
}
