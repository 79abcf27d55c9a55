import Foundation
import GRDB
import SchedulerService

/// The metering ledger in SQLite: every sample cut at hour boundaries (`usageSample`, kept for
/// the retention), and rollups by hour and by day (`usageRollup`, kept for good) updated in the
/// transaction that takes the sample. Queries read whole days and hours from the rollups and only
/// the parts of hours at a range's ends from the samples.
enum SQLiteLedger {
    static let amountColumns = UsageAmounts.components.map(\.name)
    /// The setting that numbers allocated samples (the scheduler sends them without a number).
    static let allocatedSequenceSetting = "ledgerAllocatedSequence"
    /// The setting holding the first hour whose samples are still kept.
    static let keptFromHourSetting = "ledgerKeptFromHour"

    enum Period: String {
        case hour
        case day
    }

    static let schema = """
        CREATE TABLE usageSample (
            basis TEXT NOT NULL, node TEXT NOT NULL, sequence INTEGER NOT NULL, hour INTEGER NOT NULL,
            tenant TEXT NOT NULL, requestID TEXT NOT NULL, start REAL NOT NULL, "end" REAL NOT NULL,
            \(amountColumns.map { "\($0) REAL NOT NULL" }.joined(separator: ", ")),
            PRIMARY KEY (basis, node, sequence, hour)) WITHOUT ROWID;
        CREATE INDEX usageSample_hour ON usageSample (hour);
        CREATE TABLE usageRollup (
            period TEXT NOT NULL, bucket INTEGER NOT NULL, tenant TEXT NOT NULL, requestID TEXT NOT NULL, node TEXT NOT NULL, basis TEXT NOT NULL,
            \(amountColumns.map { "\($0) REAL NOT NULL" }.joined(separator: ", ")),
            PRIMARY KEY (period, bucket, tenant, requestID, node, basis)) WITHOUT ROWID;
        CREATE INDEX usageRollup_tenant ON usageRollup (period, tenant, bucket);
        CREATE INDEX usageRollup_request ON usageRollup (period, requestID, bucket);
        """

    /// Takes samples on one basis: each piece once (a sample sent again is ignored piece by
    /// piece), its amounts added to its hour's and its day's rollups.
    static func insert(_ samples: [MeteringSample], basis: MeteringBasis, in db: Database) throws {
        guard !samples.isEmpty else { return }
        let placeholders = Array(repeating: "?", count: amountColumns.count).joined(separator: ", ")
        let sample = try db.cachedStatement(sql: """
            INSERT OR IGNORE INTO usageSample (basis, node, sequence, hour, tenant, requestID, start, "end", \(amountColumns.joined(separator: ", ")))
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, \(placeholders))
            """)
        let rollup = try db.cachedStatement(sql: """
            INSERT INTO usageRollup (period, bucket, tenant, requestID, node, basis, \(amountColumns.joined(separator: ", ")))
            VALUES (?, ?, ?, ?, ?, ?, \(placeholders))
            ON CONFLICT (period, bucket, tenant, requestID, node, basis) DO UPDATE SET
            \(amountColumns.map { "\($0) = \($0) + excluded.\($0)" }.joined(separator: ", "))
            """)
        var allocatedSequence = basis == .allocated ? try Int64.fetchOne(db, sql: "SELECT value FROM setting WHERE key = ?", arguments: [allocatedSequenceSetting]) ?? 0 : 0
        for whole in samples {
            var numbered = whole
            if basis == .allocated {
                allocatedSequence += 1
                numbered.sequence = UInt64(allocatedSequence)
            }
            for (hour, piece) in LedgerPeriods.pieces(of: numbered) {
                let amounts = UsageAmounts.components.map { piece.amounts[keyPath: $0.keyPath] as (any DatabaseValueConvertible)? }
                try sample.execute(arguments: StatementArguments(
                    [basis.rawValue, piece.node, Int64(clamping: piece.sequence), hour, piece.tenant, piece.requestID, piece.start, piece.end] + amounts))
                guard db.changesCount > 0 else { continue }
                for (period, bucket) in [(Period.hour, hour), (.day, hour / LedgerPeriods.hoursPerDay)] {
                    try rollup.execute(arguments: StatementArguments([period.rawValue, bucket, piece.tenant, piece.requestID, piece.node, basis.rawValue] + amounts))
                }
            }
        }
        if basis == .allocated {
            try db.execute(sql: "INSERT OR REPLACE INTO setting (key, value) VALUES (?, ?)", arguments: [allocatedSequenceSetting, String(allocatedSequence)])
        }
    }

    /// Drops the samples of the hours before `time`; the rollups stay.
    static func prune(before time: Double, in db: Database) throws {
        let hour = LedgerPeriods.hour(of: time)
        try db.execute(sql: "DELETE FROM usageSample WHERE hour < ?", arguments: [hour])
        try db.execute(sql: "INSERT OR REPLACE INTO setting (key, value) VALUES (?, ?)", arguments: [keptFromHourSetting, String(hour)])
    }

    /// Use matching `query` by basis, tenant, request and node, from the ledger alone.
    static func usage(_ query: UsageQuery, in db: Database) throws -> [UsageLine.Key: UsageAmounts] {
        var lines: [UsageLine.Key: UsageAmounts] = [:]
        let periods = LedgerPeriods(from: query.from, to: query.to)
        var filters: [String] = []
        var filterArguments: [(any DatabaseValueConvertible)?] = []
        if let tenant = query.tenant { filters.append("tenant = ?"); filterArguments.append(tenant) }
        if let request = query.requestID { filters.append("requestID = ?"); filterArguments.append(request) }
        if let node = query.node { filters.append("node = ?"); filterArguments.append(node) }
        let filter = filters.map { " AND " + $0 }.joined()
        let sums = amountColumns.map { "SUM(\($0))" }.joined(separator: ", ")

        func add(_ row: Row, share: Double = 1) {
            let key = UsageLine.Key(basis: MeteringBasis(rawValue: row["basis"]) ?? .used, tenant: row["tenant"], requestID: row["requestID"], node: row["node"])
            var amounts = UsageAmounts()
            for (i, component) in UsageAmounts.components.enumerated() { amounts[keyPath: component.keyPath] = (row[4 + i] as Double?) ?? 0 }
            lines[key, default: UsageAmounts()] = lines[key, default: UsageAmounts()] + amounts * share
        }
        func rollups(_ period: Period, _ buckets: Range<Int64>, share: Double = 1) throws {
            guard !buckets.isEmpty else { return }
            let rows = try Row.fetchCursor(db, sql: """
                SELECT basis, tenant, requestID, node, \(sums) FROM usageRollup
                WHERE period = ? AND bucket >= ? AND bucket < ?\(filter) GROUP BY basis, tenant, requestID, node
                """, arguments: StatementArguments([period.rawValue, buckets.lowerBound, buckets.upperBound] + filterArguments))
            while let row = try rows.next() { add(row, share: share) }
        }
        try rollups(.day, periods.days)
        for hours in periods.hours { try rollups(.hour, hours) }
        let keptFrom = try Int64.fetchOne(db, sql: "SELECT value FROM setting WHERE key = ?", arguments: [keptFromHourSetting]) ?? .min
        for part in periods.partialHours {
            guard part.hour >= keptFrom else {
                // Its samples are gone: the hour's rollup, in proportion.
                try rollups(.hour, part.hour..<(part.hour + 1), share: (part.to - part.from) / LedgerPeriods.secondsPerHour)
                continue
            }
            let rows = try Row.fetchCursor(db, sql: """
                SELECT basis, tenant, requestID, node, \(amountColumns.joined(separator: ", ")), start, "end" FROM usageSample
                WHERE hour = ?\(filter)
                """, arguments: StatementArguments([part.hour] + filterArguments))
            while let row = try rows.next() {
                let share = MeteringSample.share(start: row["start"], end: row["end"], from: part.from, to: part.to)
                if share > 0 { add(row, share: share) }
            }
        }
        return lines
    }

    /// Moves the samples of the first schema (whole samples as JSON) into the ledger.
    static func migrateSamples(in db: Database) throws {
        let decoder = JSONDecoder()
        let stored = try Data.fetchAll(db, sql: "SELECT json FROM meteringSample ORDER BY node, sequence").map { try decoder.decode(MeteringSample.self, from: $0) }
        try insert(stored, basis: .used, in: db)
        try db.execute(sql: "DROP TABLE meteringSample")
    }
}
