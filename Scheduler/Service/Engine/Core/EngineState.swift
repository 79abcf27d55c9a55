import HeapModule
import Placement

/// Everything the scheduler holds in memory, owned by `Scheduler` behind one lock. The store has
/// all of it too; this is the working copy that decisions are made on.
struct EngineState: Sendable {
    var cluster: ClusterState
    /// The nodes: operators' records, agents' liveness and connections.
    var fleet: NodeFleet
    /// Sites, links and storage pools: what the cluster state's topology and pools are built from.
    var infrastructure: Infrastructure
    /// Pending requests, why each waits, and the pass that places them.
    var scheduling: SchedulingQueue
    var placer: Placer
    /// Requests that have not ended, by id, with what agents and samples said about them.
    var open = OpenRequests()
    /// Lease ends (time, request id); stale entries are skipped when popped.
    var leases = Heap<LeaseEnd>()
    /// Tenants, users, grants and the catalog.
    var directory: TenantDirectory
    /// Which agents' samples have been taken (the ledger itself is in the store).
    var intake = MeteringIntake()
    /// The price lists over time.
    var prices: PriceHistory
    /// When the ledger's old samples were last pruned.
    var ledgerPrunedAt: Double?
    /// When API calls were last turned into metering samples.
    var apiCallsFlushedAt: Double?
    var settings: [String: String]
    var counters = Counters()
    /// Requests the queue refused when they were queued again (their quota was lowered below
    /// them): the next pass rejects them.
    var refused: [AdmissionRejection] = []
}

extension EngineState {
    /// Brings the cluster state's copy of a node's state in line with the fleet's, after its
    /// operator or its agent changed it.
    mutating func refreshState(ofNode id: String) {
        guard let state = fleet.effectiveState(ofNode: id), let index = cluster.index(ofNode: id), cluster.nodeStates[index] != state else { return }
        cluster.setState(state, ofNode: index)
    }

    /// What follows a commit, after its changes are applied: agents get their commands.
    mutating func committed() {
        fleet.deliverOutbox()
    }

    /// Queues a request (new, or back after an eviction or a failure). One its tenant's quota no
    /// longer admits is kept in `refused`, and the next pass rejects it with the reason.
    mutating func enqueue(_ request: PlacementRequest) {
        if let refusal = scheduling.submit(request) { refused.append(refusal) }
    }
}

/// A lease end in the heap of leases.
struct LeaseEnd: Comparable, Sendable {
    var at: Double
    var requestID: String

    static func < (a: LeaseEnd, b: LeaseEnd) -> Bool { (a.at, a.requestID) < (b.at, b.requestID) }
}

/// Totals since the start, for `/metrics`.
public struct Counters: Sendable, Hashable, Codable {
    public var submitted = 0
    public var rejected = 0
    public var placed = 0
    public var preempted = 0
    public var released = 0
    public var expired = 0
    public var reclaimed = 0
    public var revoked = 0
    public var failed = 0
    public var commitConflicts = 0
    public var placementPasses = 0
    public var decisions = 0
}
