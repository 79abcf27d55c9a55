import Foundation
import GRDB
import GRDBSQLite
import SchedulerService

/// The metering ledger in SQLite: every sample cut at hour boundaries (`usageSample`, kept for
/// the retention), and rollups by hour, day and month (`usageRollup`, kept for good) updated in the
/// transaction that takes the sample; beside them, what open requests hold (`heldAllocation`).
/// Queries read whole months, days and hours from the rollups and only the parts of hours at a
/// range's ends from the samples.
enum SQLiteLedger {
    static let amountColumns = UsageAmounts.components.map(\.name)
    /// The setting that numbers allocated samples (the scheduler sends them without a number).
    static let allocatedSequenceSetting = "ledgerAllocatedSequence"
    /// The setting holding the first hour whose samples are still kept.
    static let keptFromHourSetting = "ledgerKeptFromHour"

    struct RollupKey: Hashable {
        var period: LedgerPeriod
        var tenant: String
        var bucket: Int64
        var requestID: String
        var node: String
    }

    static func values(_ amounts: UsageAmounts) -> [(any DatabaseValueConvertible)?] { amounts.values }

    static let schema = """
        CREATE TABLE usageSample (
            basis TEXT NOT NULL, node TEXT NOT NULL, sequence INTEGER NOT NULL, hour INTEGER NOT NULL,
            tenant TEXT NOT NULL, requestID TEXT NOT NULL, start REAL NOT NULL, "end" REAL NOT NULL,
            \(amountColumns.map { "\($0) REAL NOT NULL" }.joined(separator: ", ")),
            PRIMARY KEY (basis, node, sequence, hour)) WITHOUT ROWID;
        CREATE INDEX usageSample_hour ON usageSample (hour);
        CREATE TABLE heldAllocation (
            requestID TEXT NOT NULL, replica INTEGER NOT NULL, tenant TEXT NOT NULL, node TEXT NOT NULL, since REAL NOT NULL,
            \(amountColumns.map { "\($0) REAL NOT NULL" }.joined(separator: ", ")),
            PRIMARY KEY (requestID, replica)) WITHOUT ROWID;
        CREATE INDEX heldAllocation_tenant ON heldAllocation (tenant);
        CREATE TABLE usageRollup (
            period TEXT NOT NULL, tenant TEXT NOT NULL, bucket INTEGER NOT NULL, requestID TEXT NOT NULL, node TEXT NOT NULL, basis TEXT NOT NULL,
            \(amountColumns.map { "\($0) REAL NOT NULL" }.joined(separator: ", ")),
            PRIMARY KEY (period, tenant, bucket, requestID, node, basis)) WITHOUT ROWID;
        """

    /// Takes samples on one basis: each piece once (a sample sent again is ignored piece by
    /// piece), its amounts added to its hour's, day's and month's rollups.
    static func insert(_ samples: [MeteringSample], basis: MeteringBasis, in db: Database) throws {
        guard !samples.isEmpty else { return }
        let placeholders = Array(repeating: "?", count: amountColumns.count).joined(separator: ", ")
        let sample = try db.cachedStatement(sql: """
            INSERT OR IGNORE INTO usageSample (basis, node, sequence, hour, tenant, requestID, start, "end", \(amountColumns.joined(separator: ", ")))
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, \(placeholders))
            """)
        let rollup = try db.cachedStatement(sql: """
            INSERT INTO usageRollup (period, tenant, bucket, requestID, node, basis, \(amountColumns.joined(separator: ", ")))
            VALUES (?, ?, ?, ?, ?, ?, \(placeholders))
            ON CONFLICT (period, tenant, bucket, requestID, node, basis) DO UPDATE SET
            \(amountColumns.map { "\($0) = \($0) + excluded.\($0)" }.joined(separator: ", "))
            """)
        let lastNumber = basis == .allocated ? try Int64.fetchOne(db, sql: "SELECT value FROM setting WHERE key = ?", arguments: [allocatedSequenceSetting]) ?? 0 : nil
        let (pieces, allocatedSequence) = LedgerPeriods.pieces(of: samples, numberingFrom: lastNumber)
        // Summed per rollup row first: an agent's report holds many minutes of the same workloads.
        var rollups: [RollupKey: UsageAmounts] = [:]
        let insertSample = RawStatement(sample), upsertRollup = RawStatement(rollup)
        for (hour, piece) in pieces {
            try insertSample.run(in: db) { bind in
                bind.text(basis.rawValue); bind.text(piece.node); bind.integer(Int64(clamping: piece.sequence)); bind.integer(hour)
                bind.text(piece.tenant); bind.text(piece.requestID); bind.real(piece.start); bind.real(piece.end); bind.amounts(piece.amounts)
            }
            guard db.changesCount > 0 else { continue }
            for (period, bucket) in LedgerPeriod.buckets(ofHour: hour) {
                let key = RollupKey(period: period, tenant: piece.tenant, bucket: bucket, requestID: piece.requestID, node: piece.node)
                rollups[key, default: UsageAmounts()] = rollups[key, default: UsageAmounts()] + piece.amounts
            }
        }
        for (key, amounts) in rollups {
            try upsertRollup.run(in: db) { bind in
                bind.text(key.period.rawValue); bind.text(key.tenant); bind.integer(key.bucket); bind.text(key.requestID); bind.text(key.node)
                bind.text(basis.rawValue); bind.amounts(amounts)
            }
        }
        if let allocatedSequence {
            try db.execute(sql: "INSERT OR REPLACE INTO setting (key, value) VALUES (?, ?)", arguments: [allocatedSequenceSetting, String(allocatedSequence)])
        }
    }

    /// Keeps what each request holds now beside its record, one row per replica with its amounts
    /// per hour: the allocated basis still to be accounted, read by queries without decoding
    /// records. Only allocations made, changed or given back are written.
    static func hold(_ holdings: [Holding], in db: Database) throws {
        guard !holdings.isEmpty else { return }
        let released = try db.cachedStatement(sql: "DELETE FROM heldAllocation WHERE requestID = ?")
        let held = try db.cachedStatement(sql: """
            INSERT INTO heldAllocation (requestID, replica, tenant, node, since, \(amountColumns.joined(separator: ", ")))
            VALUES (?, ?, ?, ?, ?, \(Array(repeating: "?", count: amountColumns.count).joined(separator: ", ")))
            """)
        for holding in holdings {
            try released.execute(arguments: [holding.requestID])
            for replica in holding.replicas {
                try held.execute(arguments: StatementArguments([holding.requestID, replica.replica, holding.tenant, replica.node, holding.since] + values(holding.hour)))
            }
        }
    }

    /// Drops the samples of the hours before `time`; the rollups stay.
    static func prune(before time: Double, in db: Database) throws {
        let hour = LedgerPeriods.hour(of: time)
        try db.execute(sql: "DELETE FROM usageSample WHERE hour < ?", arguments: [hour])
        try db.execute(sql: "INSERT OR REPLACE INTO setting (key, value) VALUES (?, ?)", arguments: [keptFromHourSetting, String(hour)])
    }

    /// Use matching `query` by basis, tenant, request and node: the ledger's, and what open
    /// requests have held until `now` (`UsageTally` says what to read and prorates).
    static func usage(_ query: UsageQuery, at now: Double, in db: Database) throws -> [UsageLine] {
        var tally = UsageTally(query, at: now)
        // The query's filters as SQL, the tenant's among them or not.
        func filter(tenant: Bool) -> (sql: String, arguments: [(any DatabaseValueConvertible)?]) {
            let given: [(String, String?)] = [("tenant", tenant ? query.tenant : nil), ("requestID", query.requestID), ("node", query.node)]
            let present = given.compactMap { column, value in value.map { (column, $0) } }
            return (present.map { " AND \($0.0) = ?" }.joined(), present.map(\.1))
        }
        func key(_ row: Row) -> UsageLine.Key {
            UsageLine.Key(basis: MeteringBasis(rawValue: row["basis"]) ?? .used, tenant: row["tenant"], requestID: row["requestID"], node: row["node"])
        }
        let sums = amountColumns.map { "SUM(\($0))" }.joined(separator: ", ")
        // The rollups are kept by tenant first: one range of the table per tenant asked about.
        let tenants = try query.tenant.map { [$0] } ?? String.fetchAll(db, sql: "SELECT id FROM tenant ORDER BY id")
        let rollupFilter = filter(tenant: false), sampleFilter = filter(tenant: true)
        let keptFrom = try Int64.fetchOne(db, sql: "SELECT value FROM setting WHERE key = ?", arguments: [keptFromHourSetting]) ?? .min
        for read in tally.reads(keptFromHour: keptFrom) {
            switch read {
            case .rollups(let period, let buckets, let share):
                for tenant in tenants {
                    let rows = try Row.fetchCursor(db, sql: """
                        SELECT basis, tenant, requestID, node, \(sums) FROM usageRollup
                        WHERE period = ? AND tenant = ? AND bucket >= ? AND bucket < ?\(rollupFilter.sql) GROUP BY basis, requestID, node
                        """, arguments: StatementArguments([period.rawValue, tenant, buckets.lowerBound, buckets.upperBound] + rollupFilter.arguments))
                    while let row = try rows.next() { tally.add(key(row), amounts(row, from: 4), share: share) }
                }
            case .samples(let hour, let from, let to):
                let rows = try Row.fetchCursor(db, sql: """
                    SELECT basis, tenant, requestID, node, \(amountColumns.joined(separator: ", ")), start, "end" FROM usageSample
                    WHERE hour = ?\(sampleFilter.sql)
                    """, arguments: StatementArguments([hour] + sampleFilter.arguments))
                while let row = try rows.next() { tally.addSample(key(row), amounts(row, from: 4), start: row["start"], end: row["end"], from: from, to: to) }
            }
        }
        let held = try Row.fetchCursor(db, sql: """
            SELECT tenant, requestID, node, since, \(amountColumns.joined(separator: ", ")) FROM heldAllocation WHERE 1\(sampleFilter.sql)
            """, arguments: StatementArguments(sampleFilter.arguments))
        while let row = try held.next() { tally.addHeld(amounts(row, from: 4), on: row["node"], by: row["requestID"], of: row["tenant"], since: row["since"]) }
        return tally.usageLines
    }

    /// The amounts in a row's columns from `first` on, in the order of `amountColumns` (a sum
    /// over no row is NULL: 0).
    static func amounts(_ row: Row, from first: Int) -> UsageAmounts {
        let value = { (i: Int) -> Double in row[first + i] ?? 0 }
        return UsageAmounts(
            cpuCoreHours: value(0), memoryGiBHours: value(1), gpuHours: value(2), storageGiBHours: value(3), bandwidthMbpsHours: value(4), apiCalls: value(5))
    }

    /// Moves the samples of the first schema (whole samples as JSON) into the ledger, and what
    /// open requests hold beside it.
    static func migrateSamples(in db: Database) throws {
        let decoder = JSONDecoder()
        let stored = try Data.fetchAll(db, sql: "SELECT json FROM meteringSample ORDER BY node, sequence").map { try decoder.decode(MeteringSample.self, from: $0) }
        try insert(stored, basis: .used, in: db)
        try db.execute(sql: "DROP TABLE meteringSample")
        let open = try Data.fetchAll(db, sql: "SELECT json FROM request WHERE terminal = 0").map { try decoder.decode(RequestRecord.self, from: $0) }
        try hold(open.map(\.holding), in: db)
    }
}

/// A prepared statement bound through SQLite's C API and run once per call. The ledger's two
/// inserts run for every sample; binding through GRDB's arguments (an array of existentials) cost
/// more than SQLite's own work.
struct RawStatement {
    let statement: Statement

    init(_ statement: Statement) { self.statement = statement }

    /// Binds parameters in order, from the first.
    struct Binder {
        let handle: OpaquePointer
        var index: Int32 = 1

        mutating func text(_ value: String) {
            // Copied by SQLite (SQLITE_TRANSIENT), so the string may go once bound.
            sqlite3_bind_text(handle, index, value, -1, unsafeBitCast(-1, to: sqlite3_destructor_type.self))
            index += 1
        }

        mutating func integer(_ value: Int64) {
            sqlite3_bind_int64(handle, index, value)
            index += 1
        }

        mutating func real(_ value: Double) {
            sqlite3_bind_double(handle, index, value)
            index += 1
        }

        mutating func amounts(_ amounts: UsageAmounts) {
            for value in amounts.values { real(value) }
        }
    }

    func run(in db: Database, _ bind: (inout Binder) -> Void) throws {
        let handle = statement.sqliteStatement
        sqlite3_reset(handle)
        var binder = Binder(handle: handle)
        bind(&binder)
        let code = sqlite3_step(handle)
        sqlite3_reset(handle)
        guard code == SQLITE_DONE else {
            throw DatabaseError(resultCode: ResultCode(rawValue: code), message: String(cString: sqlite3_errmsg(db.sqliteConnection)), sql: statement.sql)
        }
    }
}
