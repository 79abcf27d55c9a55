import Foundation
import Logging
import PostgresNIO
import SchedulerService

/// The metering ledger in PostgreSQL, as in the SQLite store (`SQLiteLedger`): samples cut at hour
/// boundaries (`usage_sample`, kept for the retention), rollups by hour, day and month
/// (`usage_rollup`, kept for good) updated in the transaction that takes the samples, and what
/// open requests hold (`held_allocation`).
enum PostgresLedger {
    /// The amounts' columns, quoted: their names are the components' own.
    static let amountColumns = UsageAmounts.components.map { "\"\($0.name)\"" }
    static let allocatedSequenceSetting = "ledgerAllocatedSequence"
    static let keptFromHourSetting = "ledgerKeptFromHour"

    static let schema = """
        CREATE TABLE usage_sample (
            basis text NOT NULL, node text NOT NULL, sequence bigint NOT NULL, hour bigint NOT NULL,
            tenant text NOT NULL, request_id text NOT NULL, start float8 NOT NULL, "end" float8 NOT NULL,
            \(amountColumns.map { "\($0) float8 NOT NULL" }.joined(separator: ", ")),
            PRIMARY KEY (basis, node, sequence, hour));
        CREATE INDEX usage_sample_hour ON usage_sample (hour);
        CREATE TABLE held_allocation (
            request_id text NOT NULL, replica integer NOT NULL, tenant text NOT NULL, node text NOT NULL, since float8 NOT NULL,
            \(amountColumns.map { "\($0) float8 NOT NULL" }.joined(separator: ", ")),
            PRIMARY KEY (request_id, replica));
        CREATE INDEX held_allocation_tenant ON held_allocation (tenant);
        CREATE TABLE usage_rollup (
            period text NOT NULL, tenant text NOT NULL, bucket bigint NOT NULL, request_id text NOT NULL, node text NOT NULL, basis text NOT NULL,
            \(amountColumns.map { "\($0) float8 NOT NULL" }.joined(separator: ", ")),
            PRIMARY KEY (period, tenant, bucket, request_id, node, basis))
        """

    /// The amounts' columns in a `json_to_recordset` row type.
    static let amountTypes = amountColumns.map { "\($0) float8" }.joined(separator: ", ")

    /// A row with amounts among its fields: the amounts are written as fields of the row.
    struct Row<Fields: Encodable & Sendable>: Encodable, Sendable {
        var fields: Fields
        var amounts: UsageAmounts

        struct Key: CodingKey {
            var stringValue: String
            var intValue: Int? { nil }
            init(stringValue: String) { self.stringValue = stringValue }
            init?(intValue: Int) { nil }
        }

        func encode(to encoder: any Encoder) throws {
            try fields.encode(to: encoder)
            var container = encoder.container(keyedBy: Key.self)
            for component in UsageAmounts.components { try container.encode(amounts[keyPath: component.keyPath], forKey: Key(stringValue: component.name)) }
        }
    }

    struct SampleFields: Encodable, Sendable, Hashable {
        var basis: String, node: String, sequence: Int64, hour: Int64, tenant: String, requestID: String, start: Double, end: Double
    }

    struct HeldFields: Encodable, Sendable {
        var requestID: String, replica: Int, tenant: String, node: String, since: Double
    }

    struct RollupFields: Encodable, Sendable, Hashable {
        var period: String, tenant: String, bucket: Int64, requestID: String, node: String, basis: String
    }

    struct SampleKey: Hashable, Decodable {
        var node: String, sequence: Int64, hour: Int64
    }

    /// What a batch writes to the ledger.
    struct Writes: Sendable {
        var holdings: [Holding]
        var used: [MeteringSample]
        var allocated: [MeteringSample]
        var pruneBefore: Double?

        init(_ batch: StoreBatch) {
            var index: [String: Int] = [:]
            var holdings: [Holding] = []
            for holding in batch.holdings {
                if let at = index[holding.requestID] { holdings[at] = holding } else {
                    index[holding.requestID] = holdings.count
                    holdings.append(holding)
                }
            }
            self.holdings = holdings
            used = batch.meteringSamples
            allocated = batch.allocatedSamples
            pruneBefore = batch.pruneSamplesBefore
        }

        func write(in db: PostgresConnection, logger: Logger) async throws {
            if !holdings.isEmpty {
                var released = SQL()
                released.text = "DELETE FROM held_allocation WHERE request_id = ANY(\(released.bind(holdings.map(\.requestID))))"
                try await db.run(released, logger: logger)
                let rows = holdings.flatMap { holding in
                    holding.replicas.map {
                        Row(fields: HeldFields(requestID: holding.requestID, replica: $0.replica, tenant: holding.tenant, node: $0.node, since: holding.since), amounts: holding.hour)
                    }
                }
                if !rows.isEmpty {
                    try await db.run(try SQL("""
                        INSERT INTO held_allocation (request_id, replica, tenant, node, since, \(amountColumns.joined(separator: ", ")))
                        SELECT "requestID", replica, tenant, node, since, \(amountColumns.joined(separator: ", "))
                        FROM json_to_recordset(%@) AS x("requestID" text, replica integer, tenant text, node text, since float8, \(amountTypes))
                        """, rows: rows), logger: logger)
                }
            }
            try await insert(used, basis: .used, in: db, logger: logger)
            try await insert(allocated, basis: .allocated, in: db, logger: logger)
            if let pruneBefore {
                let hour = LedgerPeriods.hour(of: pruneBefore)
                var prune = SQL()
                prune.text = "DELETE FROM usage_sample WHERE hour < \(prune.bind(hour))"
                try await db.run(prune, logger: logger)
                try await setSetting(keptFromHourSetting, String(hour), in: db, logger: logger)
            }
        }

        /// Takes samples on one basis: each piece once (a sample sent again is ignored piece by
        /// piece), the new pieces' amounts added to their hour's, day's and month's rollups.
        private func insert(_ samples: [MeteringSample], basis: MeteringBasis, in db: PostgresConnection, logger: Logger) async throws {
            guard !samples.isEmpty else { return }
            var lastNumber: Int64?
            if basis == .allocated {
                var read = SQL("SELECT value FROM setting WHERE key = ")
                read.text += read.bind(allocatedSequenceSetting)
                lastNumber = try await db.rows(read, logger: logger).first.flatMap { Int64(try $0.decode(String.self)) } ?? 0
            }
            let (numbered, allocatedSequence) = LedgerPeriods.pieces(of: samples, numberingFrom: lastNumber)
            var pieces: [SampleKey: Row<SampleFields>] = [:]
            var order: [SampleKey] = []
            for (hour, piece) in numbered {
                let key = SampleKey(node: piece.node, sequence: Int64(clamping: piece.sequence), hour: hour)
                guard pieces[key] == nil else { continue }
                pieces[key] = Row(
                    fields: SampleFields(
                        basis: basis.rawValue, node: piece.node, sequence: key.sequence, hour: hour, tenant: piece.tenant, requestID: piece.requestID,
                        start: piece.start, end: piece.end),
                    amounts: piece.amounts)
                order.append(key)
            }
            let inserted = try await db.rows(try SQL("""
                INSERT INTO usage_sample (basis, node, sequence, hour, tenant, request_id, start, "end", \(amountColumns.joined(separator: ", ")))
                SELECT basis, node, sequence, hour, tenant, "requestID", start, "end", \(amountColumns.joined(separator: ", "))
                FROM json_to_recordset(%@) AS x(basis text, node text, sequence bigint, hour bigint, tenant text, "requestID" text, start float8, "end" float8, \(amountTypes))
                ON CONFLICT DO NOTHING RETURNING node, sequence, hour
                """, rows: order.map { pieces[$0]! }), logger: logger)
            // Summed per rollup row first: an agent's report holds many minutes of the same workloads.
            var rollups: [RollupFields: UsageAmounts] = [:]
            for row in inserted {
                let (node, sequence, hour) = try row.decode((String, Int64, Int64).self)
                guard let piece = pieces[SampleKey(node: node, sequence: sequence, hour: hour)] else { continue }
                for (period, bucket) in LedgerPeriod.buckets(ofHour: hour) {
                    let key = RollupFields(period: period.rawValue, tenant: piece.fields.tenant, bucket: bucket, requestID: piece.fields.requestID, node: node, basis: basis.rawValue)
                    rollups[key, default: UsageAmounts()] = rollups[key, default: UsageAmounts()] + piece.amounts
                }
            }
            if !rollups.isEmpty {
                try await db.run(try SQL("""
                    INSERT INTO usage_rollup (period, tenant, bucket, request_id, node, basis, \(amountColumns.joined(separator: ", ")))
                    SELECT period, tenant, bucket, "requestID", node, basis, \(amountColumns.joined(separator: ", "))
                    FROM json_to_recordset(%@) AS x(period text, tenant text, bucket bigint, "requestID" text, node text, basis text, \(amountTypes))
                    ON CONFLICT (period, tenant, bucket, request_id, node, basis) DO UPDATE SET
                    \(amountColumns.map { "\($0) = usage_rollup.\($0) + excluded.\($0)" }.joined(separator: ", "))
                    """, rows: rollups.map { Row(fields: $0.key, amounts: $0.value) }), logger: logger)
            }
            if let allocatedSequence { try await setSetting(allocatedSequenceSetting, String(allocatedSequence), in: db, logger: logger) }
        }

        private func setSetting(_ key: String, _ value: String, in db: PostgresConnection, logger: Logger) async throws {
            var sql = SQL()
            sql.text = "INSERT INTO setting (key, value) VALUES (\(sql.bind(key)), \(sql.bind(value))) ON CONFLICT (key) DO UPDATE SET value = excluded.value"
            try await db.run(sql, logger: logger)
        }
    }

    /// Use matching `query` by basis, tenant, request and node: the ledger's, and what open
    /// requests have held until `now` (`UsageTally` says what to read and prorates).
    static func usage(_ query: UsageQuery, at now: Double, in db: PostgresConnection, logger: Logger) async throws -> [UsageLine] {
        var tally = UsageTally(query, at: now)
        /// The query's filters on `sql`, the tenant's among them.
        func filter(on sql: inout SQL) -> String {
            var out = ""
            if let value = query.tenant { out += " AND tenant = \(sql.bind(value))" }
            if let value = query.requestID { out += " AND request_id = \(sql.bind(value))" }
            if let value = query.node { out += " AND node = \(sql.bind(value))" }
            return out
        }
        func key(_ row: PostgresRow) throws -> UsageLine.Key {
            let (basis, tenant, requestID, node) = try row.decode((String, String, String, String).self)
            return UsageLine.Key(basis: MeteringBasis(rawValue: basis) ?? .used, tenant: tenant, requestID: requestID, node: node)
        }
        var kept = SQL("SELECT value FROM setting WHERE key = ")
        kept.text += kept.bind(keptFromHourSetting)
        let keptFrom = try await db.rows(kept, logger: logger).first.flatMap { Int64(try $0.decode(String.self)) } ?? .min
        for read in tally.reads(keptFromHour: keptFrom) {
            var sql = SQL()
            switch read {
            case .rollups(let period, let buckets, let share):
                let bounds = "period = \(sql.bind(period.rawValue)) AND bucket >= \(sql.bind(buckets.lowerBound)) AND bucket < \(sql.bind(buckets.upperBound))"
                sql.text = """
                    SELECT basis, tenant, request_id, node, \(amountColumns.map { "SUM(\($0))::float8" }.joined(separator: ", ")) FROM usage_rollup
                    WHERE \(bounds)\(filter(on: &sql)) GROUP BY basis, tenant, request_id, node
                    """
                for row in try await db.rows(sql, logger: logger) { tally.add(try key(row), amounts(row, from: 4), share: share) }
            case .samples(let hour, let from, let to):
                let bound = sql.bind(hour)
                sql.text = """
                    SELECT basis, tenant, request_id, node, \(amountColumns.joined(separator: ", ")), start, "end" FROM usage_sample
                    WHERE hour = \(bound)\(filter(on: &sql))
                    """
                for row in try await db.rows(sql, logger: logger) {
                    let columns = row.makeRandomAccess()
                    let start = try columns[4 + amountColumns.count].decode(Double.self), end = try columns[5 + amountColumns.count].decode(Double.self)
                    tally.addSample(try key(row), amounts(row, from: 4), start: start, end: end, from: from, to: to)
                }
            }
        }
        var held = SQL()
        held.text = "SELECT tenant, request_id, node, since, \(amountColumns.joined(separator: ", ")) FROM held_allocation WHERE true\(filter(on: &held))"
        for row in try await db.rows(held, logger: logger) {
            let (tenant, requestID, node, since) = try row.decode((String, String, String, Double).self)
            tally.addHeld(amounts(row, from: 4), on: node, by: requestID, of: tenant, since: since)
        }
        return tally.usageLines
    }

    /// The amounts in a row's columns from `first` on, in the order of `amountColumns` (a sum over
    /// no row is NULL: 0).
    static func amounts(_ row: PostgresRow, from first: Int) -> UsageAmounts {
        let columns = row.makeRandomAccess()
        var amounts = UsageAmounts()
        for (i, component) in UsageAmounts.components.enumerated() {
            amounts[keyPath: component.keyPath] = (try? columns[first + i].decode(Double?.self)) ?? 0
        }
        return amounts
    }
}
