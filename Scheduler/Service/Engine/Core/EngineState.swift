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
    /// Lease ends and the notices a day before them (time, request id); stale entries are skipped
    /// when popped.
    var leases = Heap<LeaseEnd>()
    /// Tenants, users, grants, the catalog, approval policies and webhooks.
    var directory: TenantDirectory
    /// Applications under review or waiting to be provisioned, by id.
    var applications: [String: Application] = [:]
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
    /// Allocation by node class over the last day, sampled every minute.
    var utilizationHistory = UtilizationHistory()
    /// When the scaling policies were last evaluated.
    var scaledAt: Double?
    /// Tenants whose budget for the month is spent (from the minute's budget alerts): their
    /// services do not scale out.
    var spentBudgets: Set<String> = []
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

    /// Schedules the end of a placed request's lease, and a notice to its submitter a day before
    /// when the lease is longer than a day.
    mutating func scheduleLease(of record: RequestRecord) {
        guard let end = record.leaseEndsAt else { return }
        leases.insert(LeaseEnd(at: end, requestID: record.id))
        if (record.spec.leaseSeconds ?? 0) > LeaseEnd.noticeSeconds, record.leaseNoticeSentFor != end {
            leases.insert(LeaseEnd(at: end - Double(LeaseEnd.noticeSeconds), requestID: record.id, notice: true))
        }
    }
}

/// A lease end, or the notice before it, in the heap of leases.
struct LeaseEnd: Comparable, Sendable {
    var at: Double
    var requestID: String
    /// The notice a day before the end, not the end.
    var notice = false

    /// How long before its end a lease's notice goes out.
    static let noticeSeconds: Int64 = 86_400

    static func < (a: LeaseEnd, b: LeaseEnd) -> Bool { (a.at, a.requestID, a.notice ? 0 : 1) < (b.at, b.requestID, b.notice ? 0 : 1) }
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
