import Foundation
import Placement
import SchedulerService
import SchedulerPostgres
import SchedulerSQLite
import SuanliTestSupport
import Synchronization

/// A clock the test moves by hand.
final class ManualClock: WallClock {
    private let time: Mutex<Double>
    init(_ start: Double = 1_800_000_000) { time = Mutex(start) }
    func now() -> Double { time.withLock { $0 } }
    func advance(_ seconds: Double) { time.withLock { $0 += seconds } }
}


/// A SQLite store in a new directory.
func newStore() throws -> (SQLiteStore, path: String) {
    let path = try temporaryDirectory().appendingPathComponent("suanli.sqlite").path
    return (try SQLiteStore(path: path), path)
}

/// A store on a new database of the test PostgreSQL server, leading it.
func newPostgresStore() throws -> PostgresStore {
    let store = try PostgresStore(address: try PostgresAddress(url: try TestPostgres.freshDatabase()))
    guard try store.campaign(holder: "test-\(UUID().uuidString)", address: "127.0.0.1:0", leaseSeconds: 600) else { throw TestPostgresError("a new database's lease is taken") }
    return store
}

let adminToken = "test-admin-token"
let admin = Principal(user: "admin", role: .admin)

/// A scheduler on a new store with tenants `water` and `transport` and general nodes n1...nN of
/// 16 cores and 64 GiB.
func newScheduler(nodes: Int = 2, clock: ManualClock = ManualClock(), config: SchedulerConfig = SchedulerConfig()) throws -> (Scheduler, SQLiteStore, ManualClock) {
    let (store, _) = try newStore()
    let scheduler = try Scheduler(store: store, config: config, clock: clock, adminTokenHash: Token.hash(adminToken), bootstrapTokenHash: Token.hash("boot"))
    _ = try scheduler.createTenant(id: "water", name: "Water Bureau", by: admin)
    _ = try scheduler.createTenant(id: "transport", name: "Transport", by: admin)
    for i in 1...max(1, nodes) where nodes > 0 {
        _ = try scheduler.registerNode(
            Node(id: "n\(i)", nodeClass: .general, site: "d1", capacity: Resources(cpuMillis: 16_000, memoryMiB: 65_536)),
            awaitingAgent: true, by: admin)
    }
    return (scheduler, store, clock)
}
