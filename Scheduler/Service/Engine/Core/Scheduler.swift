import Dispatch
import Foundation
import Logging
import Placement
import Synchronization

/// The central scheduler: the catalog, the pending queue, the placement core and the one applier
/// that commits decisions, over a durable store.
///
/// Every change is made by one writer at a time (`writer`): it checks and computes its changes
/// under the state's lock, writes them to the store in one transaction with the lock released, and
/// only then applies them in memory under the lock again, as Nomad's plan applier does. So an
/// acknowledged change is durable, a failed write changes nothing, concurrent callers never
/// over-commit a node, and readers never wait for the store, except between the parts of a
/// placement pass (`placePending`), which decides on the state it changes.
public final class Scheduler: Sendable {
    public let config: SchedulerConfig
    let store: any SchedulerStore
    let clock: any WallClock
    let logger: Logger
    let state: Mutex<EngineState>
    /// Held by the one writer computing, committing and applying a change, so that nothing else
    /// changes the state between its computing and its applying. A pthread mutex (NSLock): a
    /// writer holds it through store I/O, and waiters should sleep, not spin as the
    /// priority-inheriting futex behind `Mutex` does while its owner runs.
    let writer = NSLock()
    /// The applier's blocking work (the placement pass, group commits) runs here, on a thread of
    /// its own, never on a thread of Swift's cooperative pool.
    let applierQueue = DispatchQueue(label: "suanli.applier")
    /// Who holds which token: read on every call, so kept apart from `state`, which the applier
    /// holds while it commits.
    let credentials: Mutex<Credentials>
    /// Submissions waiting for a group commit (`submitGrouped`).
    let submissions = Mutex(SubmissionQueue())
    /// API calls per tenant since the last flush into the ledger; apart from `state` so that
    /// counting never waits for the applier.
    let apiCalls = Mutex<[String: Int]>([:])
    /// Wakes the placement loop; coalesces (the newest signal only).
    let wakeups: AsyncStream<Void>
    private let wake: AsyncStream<Void>.Continuation

    /// Opens the scheduler on `store`, loading its state. On an empty store the admin user is
    /// created with `adminTokenHash`; the agents' bootstrap token hash is stored the same way.
    public init(
        store: any SchedulerStore, config: SchedulerConfig = SchedulerConfig(), clock: any WallClock = SystemWallClock(),
        adminTokenHash: String? = nil, bootstrapTokenHash: String? = nil, logger: Logger = Logger(label: "suanli.scheduler")
    ) throws(ServiceError) {
        self.store = store
        self.config = config
        self.clock = clock
        self.logger = logger
        (wakeups, wake) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
        var snapshot = try store.snapshot()
        let now = clock.now()
        var first = StoreBatch()
        if let adminTokenHash, !snapshot.users.contains(where: { $0.role == .admin }) {
            let admin = User(id: "admin", role: .admin, tenant: nil, tokenHash: adminTokenHash, createdAt: now)
            first.users.append(admin)
            first.audit.append(AuditEntry(at: now, actor: "system", action: "user.create", target: "user/admin", detail: "first start"))
            snapshot.users.append(admin)
        }
        if let bootstrapTokenHash, snapshot.settings[Self.bootstrapSetting] == nil {
            first.settings[Self.bootstrapSetting] = bootstrapTokenHash
            snapshot.settings[Self.bootstrapSetting] = bootstrapTokenHash
        }
        Self.declare(config, at: now, in: &snapshot, into: &first)
        try Self.declarePrices(config.prices, at: now, in: &snapshot, into: &first, logger: logger)
        let engine = try Self.restore(snapshot, config: config, now: now, logger: logger, into: &first)
        try store.commit(first)
        state = Mutex(engine)
        credentials = Mutex(Credentials(snapshot))
    }

    static let bootstrapSetting = "bootstrapTokenHash"

    /// Rebuilds the working state from the store: nodes, allocations of open requests, the queue.
    /// A queued request its tenant's quota no longer admits (a store written before quota changes
    /// rejected such requests) is rejected with its reason in `batch`.
    static func restore(_ snapshot: StoreSnapshot, config: SchedulerConfig, now: Double, logger: Logger, into batch: inout StoreBatch) throws(ServiceError) -> EngineState {
        let policy: PlacementPolicy
        do { policy = try PolicyRegistry.policy(spec: config.policy) } catch { throw ServiceError(error, fieldPrefix: "policy.") }
        let nodes = snapshot.nodes.map(\.node)
        let infrastructure = Infrastructure(sites: snapshot.sites, links: snapshot.links, pools: snapshot.storagePools)
        var cluster: ClusterState
        do {
            cluster = try ClusterState(nodes: nodes, topology: infrastructure.topology, storagePools: infrastructure.storagePools)
        } catch {
            throw ServiceError(error, fieldPrefix: "nodes.")
        }
        var tenantPolicies: [String: TenantPolicy] = [:]
        for tenant in snapshot.tenants { tenantPolicies[tenant.id, default: TenantPolicy()].weight = tenant.weight }
        for quota in snapshot.quotas { tenantPolicies[quota.tenant, default: TenantPolicy()].quotas[quota.priority] = quota.quota }
        let totals = cluster.totals()
        let admission = AdmissionQueue(
            config: AdmissionConfig(
                tenants: tenantPolicies, clusterCapacity: Usage(resources: totals.capacity, gpuMilli: totals.gpuMilli),
                agingIntervalSeconds: config.agingIntervalSeconds, agingStep: config.agingStep, agingCap: config.agingCap),
            priorities: config.priorities)
        var scheduling = SchedulingQueue(admission: admission, queueDepth: config.queueDepth)
        var engine = EngineState(
            cluster: cluster, fleet: NodeFleet(nodes: snapshot.nodes), infrastructure: infrastructure,
            scheduling: scheduling, placer: Placer(policy: policy, validator: RequestValidator(priorities: config.priorities), seed: config.seed),
            directory: TenantDirectory(snapshot), prices: PriceHistory(snapshot.priceVersions), settings: snapshot.settings)
        for entry in snapshot.catalog {
            if let component = entry.component { engine.placer.validator.catalog.register(component) }
        }
        engine.applications = Dictionary(uniqueKeysWithValues: snapshot.openApplications.map { ($0.id, $0) })
        // Allocations first, oldest commit first, so that capacity is taken as it was.
        let holding = snapshot.openRequests.filter { $0.phase.holdsAllocation && $0.allocation != nil }
        for record in holding.sorted(by: { $0.allocation!.sequence < $1.allocation!.sequence }) {
            do {
                try cluster.restore(record.allocation!)
                scheduling.charge(record.spec, replicas: record.allocation!.replicas.count)
            } catch {
                // The store never holds an over-commit; a missing node means it was removed.
                logger.error("cannot restore the allocation of \(record.id): \(error)")
            }
        }
        for var record in snapshot.openRequests {
            if record.allocation != nil, record.allocatedAt == nil {
                // Stored before allocations were accounted: accounted from this start on.
                record.allocatedAt = now
                batch.requests.append(record)
                batch.holdings.append(record.holding)
            }
            engine.open[record.id] = record
            if record.phase == .queued {
                if let refusal = scheduling.submit(record.spec) {
                    var rejected = record
                    try? transition(&rejected, .reject(reason: refusal.message), at: now, by: "scheduler", into: &batch)
                    batch.requests.append(rejected)
                    batch.audit.append(AuditEntry(at: now, actor: "scheduler", action: "request.reject", target: "request/\(record.id)", detail: refusal.message))
                    engine.open[record.id] = nil
                }
            } else if record.phase.holdsAllocation, let allocation = record.allocation, allocation.replicas.count < record.spec.replicas {
                if let refusal = scheduling.submit(record.spec, partlyPlaced: true) {
                    logger.warning("\(record.id) keeps the \(allocation.replicas.count) replicas it holds and waits for no more: \(refusal.message)")
                }
            }
            if record.phase.holdsAllocation { engine.scheduleLease(of: record) }
            // No agent is connected yet: the first pass ends the releases (agents are told by
            // their sync when they connect).
            if record.phase == .releasing { engine.open.updateRuntime(of: record.id) { $0.awaitingStop = [] } }
        }
        for record in snapshot.nodes where record.node.state == .draining { engine.fleet.draining.insert(record.node.id) }
        // Claimed nodes, and nodes waiting for their agent, are heard from or become suspect. A
        // claimed node's agent reconnects after the restart, so its silence counts from now; a
        // node no agent ever claimed keeps the clock of its registration, so that a restart
        // does not make it ready again (and give it work) for another grace.
        for record in snapshot.nodes where record.credentialHash != nil || record.awaitingAgent {
            let since = record.credentialHash == nil ? min(now, record.registeredAt) : now
            engine.fleet.health[record.node.id] = NodeHealth(nodeClass: record.node.nodeClass, policy: config.health, registeredAt: since)
        }
        engine.cluster = cluster
        engine.scheduling = scheduling
        return engine
    }

    // MARK: Authentication

    /// The caller holding `token`, or `unauthenticated`.
    public func authenticate(token: String) throws(ServiceError) -> Principal {
        let hash = Token.hash(token)
        guard let principal = credentials.withLock({ $0.users[hash] }) else { throw ServiceError(.unauthenticated, "unknown bearer token") }
        return principal
    }

    /// Whether `token` is the agents' bootstrap token.
    public func isBootstrapToken(_ token: String) -> Bool {
        let hash = Token.hash(token)
        return credentials.withLock { $0.bootstrap == hash }
    }

    // MARK: Writing

    /// Makes one change as the writer: `body` reads the state under its lock and returns the
    /// changes to store and a function that applies them in memory; the changes are committed with
    /// the lock released (readers go on), and applied only when the commit succeeded.
    func change<Result: Sendable>(
        _ body: (borrowing EngineState) throws(ServiceError) -> (StoreBatch, (inout EngineState) -> Result)
    ) throws(ServiceError) -> Result {
        try writing { () throws(ServiceError) -> Result in
            let (batch, apply) = try state.withLock { (s: inout EngineState) throws(ServiceError) in try body(s) }
            try store.commit(batch)
            return state.withLock { s in
                let result = apply(&s)
                s.committed()
                return result
            }
        }
    }

    /// Runs `body` as the one writer.
    func writing<Result, Failure: Error>(_ body: () throws(Failure) -> Result) throws(Failure) -> Result {
        writer.lock()
        defer { writer.unlock() }
        return try body()
    }

    /// Tells the placement loop that there may be work.
    func signalPlacement() { wake.yield() }

    public func now() -> Double { clock.now() }
}

/// Token hashes and whom they identify.
struct Credentials: Sendable {
    /// API users by token hash.
    var users: [String: Principal] = [:]
    /// Node ids by the hash of their agents' credentials.
    var agents: [String: String] = [:]
    /// The agents' bootstrap token hash.
    var bootstrap: String?

    init(_ snapshot: StoreSnapshot) {
        for user in snapshot.users { users[user.tokenHash] = user.principal }
        for record in snapshot.nodes { if let hash = record.credentialHash { agents[hash] = record.node.id } }
        bootstrap = snapshot.settings[Scheduler.bootstrapSetting]
    }
}
