import PostgresNIO
import SchedulerService

/// Who leads the schedulers sharing a database: one row holding the leader's name, its address
/// for callers and agents, an epoch raised by every change of leader, and when the lease lapses,
/// by the database's clock (so the schedulers' clocks never matter). The leader renews the lease;
/// a standby takes it once it has lapsed. Every write transaction of the leader first checks,
/// under a share lock on the row, that the epoch is still its own: a deposed leader can never
/// commit, and a new leader's takeover waits for a commit in flight, which it then reads.
enum PostgresLeadership {
    static let schema = """
        CREATE TABLE leader_lease (
            id integer PRIMARY KEY CHECK (id = 1), holder text NOT NULL, address text NOT NULL, epoch bigint NOT NULL, expires_at timestamptz NOT NULL);
        INSERT INTO leader_lease (id, holder, address, epoch, expires_at) VALUES (1, '', '', 0, '-infinity')
        """

    /// Takes the lease when it has lapsed (or was given up), raising the epoch.
    static func campaign(holder: String, address: String, seconds: Double) -> SQL {
        var sql = SQL()
        let holder = sql.bind(holder), address = sql.bind(address), seconds = sql.bind(seconds)
        sql.text = """
            UPDATE leader_lease SET holder = \(holder), address = \(address), epoch = epoch + 1,
                expires_at = clock_timestamp() + make_interval(secs => \(seconds))
            WHERE id = 1 AND expires_at < clock_timestamp() RETURNING epoch
            """
        return sql
    }

    /// Extends the lease of the leader of `epoch`; no row when it is no longer the leader.
    static func renew(_ fence: Fence, seconds: Double) -> SQL {
        var sql = SQL()
        let holder = sql.bind(fence.holder), epoch = sql.bind(fence.epoch), seconds = sql.bind(seconds)
        sql.text = """
            UPDATE leader_lease SET expires_at = clock_timestamp() + make_interval(secs => \(seconds))
            WHERE id = 1 AND holder = \(holder) AND epoch = \(epoch) RETURNING epoch
            """
        return sql
    }

    /// Gives the lease up at once, so that a standby need not wait for it to lapse.
    static func resign(_ fence: Fence) -> SQL {
        var sql = SQL()
        let holder = sql.bind(fence.holder), epoch = sql.bind(fence.epoch)
        sql.text = "UPDATE leader_lease SET expires_at = '-infinity' WHERE id = 1 AND holder = \(holder) AND epoch = \(epoch)"
        return sql
    }

    /// The first statement of every write: a row only while `fence` is the leader's, locked
    /// against a takeover until the transaction ends.
    static func check(_ fence: Fence) -> SQL {
        var sql = SQL()
        let holder = sql.bind(fence.holder), epoch = sql.bind(fence.epoch)
        sql.text = "SELECT epoch FROM leader_lease WHERE id = 1 AND holder = \(holder) AND epoch = \(epoch) FOR SHARE"
        return sql
    }

    static let current = SQL("""
        SELECT holder, address, epoch, EXTRACT(EPOCH FROM expires_at - clock_timestamp())::float8 FROM leader_lease WHERE id = 1 AND expires_at > '-infinity'
        """)
}

/// A leader's claim: its name and the epoch it won.
public struct Fence: Sendable, Hashable {
    public var holder: String
    public var epoch: Int64
}

/// The lease as the database holds it.
public struct LeaderLease: Sendable, Hashable {
    public var holder: String
    public var address: String
    public var epoch: Int64
    /// Seconds until it lapses by the database's clock; negative once lapsed.
    public var remainingSeconds: Double

    public var isLive: Bool { remainingSeconds > 0 }
}
