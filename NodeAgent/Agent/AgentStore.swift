import Foundation
import GRDB
import WorkloadDriver

/// The agent's local state in one SQLite file under its data directory: the node credential,
/// the desired workloads with what the agent did about them, the metering samples (kept after
/// the scheduler acknowledged them, for audit, then pruned) and the status reports not yet sent.
/// Every change that must be reported is written in the same transaction as its report.
public final class AgentStore: Sendable {
    private let database: DatabaseQueue

    /// Opens (creating) `agent.sqlite` in `directory`.
    public init(directory: URL) throws {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        var configuration = Configuration()
        configuration.busyMode = .timeout(5)
        // One connection (the agent is one writer with light reads) in WAL mode, so that
        // operators and tests can read the file while the agent runs.
        configuration.prepareDatabase { db in try db.execute(sql: "PRAGMA journal_mode = WAL") }
        database = try DatabaseQueue(path: directory.appendingPathComponent("agent.sqlite").path, configuration: configuration)
        try Self.migrator.migrate(database)
    }

    private static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1") { db in
            try db.execute(sql: """
                CREATE TABLE setting (key TEXT PRIMARY KEY, value TEXT NOT NULL);
                CREATE TABLE workload (
                    id TEXT PRIMARY KEY, definition TEXT NOT NULL, phase TEXT NOT NULL,
                    restarts INTEGER NOT NULL DEFAULT 0, retryAt REAL NOT NULL DEFAULT 0,
                    startedAt REAL, sampledAt REAL, counters TEXT);
                CREATE TABLE sample (
                    sequence INTEGER PRIMARY KEY AUTOINCREMENT, workloadID TEXT NOT NULL,
                    start REAL NOT NULL, "end" REAL NOT NULL, cpuCoreHours REAL NOT NULL,
                    memoryGiBHours REAL NOT NULL, gpuHours REAL NOT NULL, storageGiBHours REAL NOT NULL,
                    bandwidthMbpsHours REAL NOT NULL, acknowledgedAt REAL);
                CREATE INDEX sample_pending ON sample(sequence) WHERE acknowledgedAt IS NULL;
                CREATE TABLE status (
                    id INTEGER PRIMARY KEY AUTOINCREMENT, workloadID TEXT NOT NULL, state TEXT NOT NULL,
                    reason TEXT NOT NULL, at REAL NOT NULL);
                """)
        }
        migrator.registerMigration("v2") { db in
            try db.execute(sql: "ALTER TABLE workload ADD COLUMN stopDeadline REAL")
        }
        return migrator
    }

    // MARK: Credential

    /// The node id and credential the scheduler gave at registration, if any.
    public func credential() throws -> (nodeID: String, credential: String)? {
        try database.read { db in
            guard let node = try String.fetchOne(db, sql: "SELECT value FROM setting WHERE key = 'nodeID'"),
                  let credential = try String.fetchOne(db, sql: "SELECT value FROM setting WHERE key = 'credential'") else { return nil }
            return (node, credential)
        }
    }

    public func saveCredential(nodeID: String, credential: String?) throws {
        try database.write { db in
            try db.execute(sql: "INSERT OR REPLACE INTO setting (key, value) VALUES ('nodeID', ?)", arguments: [nodeID])
            if let credential {
                try db.execute(sql: "INSERT OR REPLACE INTO setting (key, value) VALUES ('credential', ?)", arguments: [credential])
            } else {
                try db.execute(sql: "DELETE FROM setting WHERE key = 'credential'")
            }
        }
    }

    // MARK: Desired state

    /// Every workload the scheduler assigned, with what the agent did about it.
    public func workloads() throws -> [LocalWorkload] {
        try database.read { db in try LocalWorkload.fetchAll(db, sql: "SELECT * FROM workload ORDER BY id") }
    }

    public func workload(_ id: String) throws -> LocalWorkload? {
        try database.read { db in try LocalWorkload.fetchOne(db, sql: "SELECT * FROM workload WHERE id = ?", arguments: [id]) }
    }

    /// Applies the scheduler's assignments: `sync` replaces the whole set, the others change one
    /// workload. New workloads are accepted (and reported so); a changed runtime is replaced; a
    /// workload no longer assigned is marked stopping, for the reconciler to stop it, meter it to
    /// the end, and forget it.
    public func apply(_ change: AssignmentChange, at now: Double) throws {
        try database.write { db in
            switch change {
            case .sync(let definitions):
                let keep = Set(definitions.map(\.id))
                for id in try String.fetchAll(db, sql: "SELECT id FROM workload") where !keep.contains(id) {
                    try Self.markStopping(id, db)
                }
                for definition in definitions { try Self.upsert(definition, db, now) }
            case .start(let definition), .update(let definition):
                try Self.upsert(definition, db, now)
            case .stop(let id):
                try Self.markStopping(id, db)
            }
        }
    }

    private static func markStopping(_ id: String, _ db: Database) throws {
        try db.execute(sql: "UPDATE workload SET phase = ? WHERE id = ?", arguments: [LocalWorkload.Phase.stopping.rawValue, id])
    }

    private static func upsert(_ definition: WorkloadDefinition, _ db: Database, _ now: Double) throws {
        if var existing = try LocalWorkload.fetchOne(db, sql: "SELECT * FROM workload WHERE id = ?", arguments: [definition.id]) {
            // Assigned again before the agent stopped it: it starts afresh.
            if existing.phase == .stopping {
                existing.phase = .replacing
            } else if existing.definition == definition {
                return
            } else if existing.definition.runtime != definition.runtime, existing.phase != .pending {
                existing.phase = .replacing
            }
            existing.definition = definition
            try existing.save(db)
        } else {
            try LocalWorkload(definition: definition, phase: .pending).save(db)
            try report(definition.id, .accepted, "", db, now)
        }
    }

    /// Records a phase change of a workload still assigned and, when given, its report. A stop
    /// from the scheduler applied since the caller read the workload stands: it stays stopping.
    public func transition(_ id: String, to phase: LocalWorkload.Phase, report: (WorkloadReportState, String)?, at now: Double,
                           update: (inout LocalWorkload) -> Void = { _ in }) throws {
        try database.write { db in
            guard var workload = try LocalWorkload.fetchOne(db, sql: "SELECT * FROM workload WHERE id = ?", arguments: [id]) else { return }
            if workload.phase != .stopping { workload.phase = phase }
            update(&workload)
            try workload.save(db)
            if let (state, reason) = report { try Self.report(id, state, reason, db, now) }
        }
    }

    /// Records that the workload was asked to stop and must be killed at `deadline`.
    public func stopRequested(_ id: String, deadline: Double) throws {
        try database.write { db in try db.execute(sql: "UPDATE workload SET stopDeadline = ? WHERE id = ?", arguments: [deadline, id]) }
    }

    /// Reports a workload the agent removed because the scheduler no longer assigns it, and
    /// forgets it (its samples stay until acknowledged).
    public func reportRemoved(_ id: String, reason: String, at now: Double) throws {
        try database.write { db in
            try db.execute(sql: "DELETE FROM workload WHERE id = ?", arguments: [id])
            try Self.report(id, .stopped, reason, db, now)
        }
    }

    private static func report(_ id: String, _ state: WorkloadReportState, _ reason: String, _ db: Database, _ now: Double) throws {
        try db.execute(sql: "INSERT INTO status (workloadID, state, reason, at) VALUES (?, ?, ?, ?)", arguments: [id, state.rawValue, reason, now])
    }

    // MARK: Status outbox

    /// The oldest status reports not yet delivered, in the order they happened.
    public func pendingStatuses(limit: Int = 200) throws -> [PendingStatus] {
        try database.read { db in try PendingStatus.fetchAll(db, sql: "SELECT * FROM status ORDER BY id LIMIT ?", arguments: [limit]) }
    }

    public func deleteStatuses(through id: Int64) throws {
        try database.write { db in try db.execute(sql: "DELETE FROM status WHERE id <= ?", arguments: [id]) }
    }

    // MARK: Metering

    /// Appends a sample and moves the workload's counters forward, in one transaction.
    public func appendSample(_ sample: NewSample, counters: UsageCounters) throws {
        try database.write { db in
            try db.execute(
                sql: """
                    INSERT INTO sample (workloadID, start, "end", cpuCoreHours, memoryGiBHours, gpuHours, storageGiBHours, bandwidthMbpsHours)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                    """,
                arguments: [sample.workloadID, sample.start, sample.end, sample.usage.cpuCoreHours, sample.usage.memoryGiBHours,
                            sample.usage.gpuHours, sample.usage.storageGiBHours, sample.usage.bandwidthMbpsHours])
            let encoded = String(decoding: try JSONEncoder().encode(counters), as: UTF8.self)
            try db.execute(sql: "UPDATE workload SET sampledAt = ?, counters = ? WHERE id = ?", arguments: [sample.end, encoded, sample.workloadID])
        }
    }

    /// Takes `counters` as a workload's baseline at `time`: its next sample counts from here.
    public func setBaseline(of id: String, counters: UsageCounters, at time: Double) throws {
        let encoded = String(decoding: try JSONEncoder().encode(counters), as: UTF8.self)
        try database.write { db in
            try db.execute(sql: "UPDATE workload SET sampledAt = ?, counters = ? WHERE id = ?", arguments: [time, encoded, id])
        }
    }

    /// The oldest samples the scheduler has not acknowledged, in sequence order.
    public func pendingSamples(limit: Int = 500) throws -> [StoredSample] {
        try database.read { db in
            try StoredSample.fetchAll(db, sql: "SELECT * FROM sample WHERE acknowledgedAt IS NULL ORDER BY sequence LIMIT ?", arguments: [limit])
        }
    }

    /// Every sample, acknowledged or not (an audit of what the agent measured).
    public func samples() throws -> [StoredSample] {
        try database.read { db in try StoredSample.fetchAll(db, sql: "SELECT * FROM sample ORDER BY sequence") }
    }

    public func acknowledge(_ sequences: [UInt64], at now: Double) throws {
        try database.write { db in
            for sequence in sequences {
                try db.execute(sql: "UPDATE sample SET acknowledgedAt = ? WHERE sequence = ?", arguments: [now, Int64(sequence)])
            }
        }
    }

    /// Drops a sample the scheduler refuses for good (its request is gone).
    public func discardSample(_ sequence: UInt64) throws {
        try database.write { db in try db.execute(sql: "DELETE FROM sample WHERE sequence = ?", arguments: [Int64(sequence)]) }
    }

    /// Deletes acknowledged samples older than `before`.
    public func pruneSamples(acknowledgedBefore before: Double) throws {
        try database.write { db in try db.execute(sql: "DELETE FROM sample WHERE acknowledgedAt < ?", arguments: [before]) }
    }
}

/// A change the scheduler sends on the assignment stream.
public enum AssignmentChange: Sendable {
    case sync([WorkloadDefinition])
    case start(WorkloadDefinition)
    case update(WorkloadDefinition)
    case stop(id: String)
}

/// The states the agent reports, as the contract names them.
public enum WorkloadReportState: String, Sendable, Codable {
    case accepted, running, stopped, failed
}

/// A desired workload and what the agent did about it.
public struct LocalWorkload: Sendable, Equatable, Codable, FetchableRecord, PersistableRecord {
    public static let databaseTableName = "workload"

    public enum Phase: String, Sendable, Codable {
        /// Accepted, to be started (again, after `retryAt`).
        case pending
        case running
        /// Its runtime spec changed (or it was assigned again while stopping): the old one is
        /// removed, then it starts again.
        case replacing
        /// It ended and is not restarted (its policy or its lease), or it could not start; reported.
        case finished
        /// No longer assigned: stopped (cleanly within the grace period, else killed) and metered
        /// to the end, then reported and forgotten.
        case stopping
    }

    public var id: String
    public var definition: WorkloadDefinition
    public var phase: Phase
    /// Starts attempted since it last ran, for the back-off.
    public var restarts: Int
    /// Seconds since the Unix epoch before which a pending workload is not started again.
    public var retryAt: Double
    public var startedAt: Double?
    /// The end of the last metering sample.
    public var sampledAt: Double?
    /// The runtime's counters at `sampledAt`.
    public var counters: UsageCounters?
    /// Set when the agent asked the workload to stop: the moment it is killed if still running.
    public var stopDeadline: Double?

    public init(definition: WorkloadDefinition, phase: Phase) {
        id = definition.id
        self.definition = definition
        self.phase = phase
        restarts = 0
        retryAt = 0
    }

    public static let databaseColumnEncodingStrategy = DatabaseColumnEncodingStrategy.useDefaultKeys
}

/// A status report waiting in the outbox.
public struct PendingStatus: Sendable, Codable, FetchableRecord {
    public var id: Int64
    public var workloadID: String
    public var state: WorkloadReportState
    public var reason: String
    public var at: Double
}

/// Usage over a sample's interval, in the units the ledger bills.
public struct SampleUsage: Sendable, Equatable, Codable {
    public var cpuCoreHours: Double
    public var memoryGiBHours: Double
    public var gpuHours: Double
    public var storageGiBHours: Double
    public var bandwidthMbpsHours: Double

    public init(cpuCoreHours: Double, memoryGiBHours: Double, gpuHours: Double, storageGiBHours: Double, bandwidthMbpsHours: Double) {
        self.cpuCoreHours = cpuCoreHours
        self.memoryGiBHours = memoryGiBHours
        self.gpuHours = gpuHours
        self.storageGiBHours = storageGiBHours
        self.bandwidthMbpsHours = bandwidthMbpsHours
    }
}

public struct NewSample: Sendable {
    public var workloadID: String
    public var start: Double
    public var end: Double
    public var usage: SampleUsage
}

/// A metering sample on disk, numbered in the order it was taken.
public struct StoredSample: Sendable, Codable, FetchableRecord {
    public var sequence: Int64
    public var workloadID: String
    public var start: Double
    public var end: Double
    public var cpuCoreHours: Double
    public var memoryGiBHours: Double
    public var gpuHours: Double
    public var storageGiBHours: Double
    public var bandwidthMbpsHours: Double
    public var acknowledgedAt: Double?
}
