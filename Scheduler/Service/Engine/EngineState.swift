import HeapModule
import Placement

/// Everything the scheduler holds in memory, owned by `Scheduler` behind one lock. The store has
/// all of it too; this is the working copy that decisions are made on.
struct EngineState: Sendable {
    var cluster: ClusterState
    var nodes: [String: NodeRecord]
    /// Sites, links and storage pools: what the cluster state's topology and pools are built from.
    var infrastructure: Infrastructure
    /// Pending requests, why each waits, and the pass that places them.
    var scheduling: SchedulingQueue
    var placer: Placer
    /// Requests that have not ended, by id, with what agents and samples said about them.
    var open = OpenRequests()
    /// Agents with an open assignment stream, by node.
    var sessions: [String: AgentSession] = [:]
    var nextSessionID: UInt64 = 0
    /// Commands for agents, delivered once the change that produced them is committed.
    var outbox: [(node: String, command: AgentCommand)] = []
    /// Draining nodes whose restartable workloads the next pass moves elsewhere.
    var drainQueue: Set<String> = []
    /// Health of the nodes that agents have claimed.
    var health: [String: NodeHealth] = [:]
    /// Grants whose expiry has been acted on.
    var expiredGrants: Set<String> = []
    /// Lease ends (time, request id); stale entries are skipped when popped.
    var leases = Heap<LeaseEnd>()
    /// The resource catalog by code.
    var catalog: [String: CatalogEntry] = [:]
    var tenants: [String: Tenant]
    var users: [String: User]
    var grants: [String: Grant]
    var ledger: MeteringLedger
    /// When API calls were last turned into metering samples.
    var apiCallsFlushedAt: Double?
    var settings: [String: String]
    var counters = Counters()
    /// Requests the queue refused when they were queued again (their quota was lowered below
    /// them): the next pass rejects them.
    var refused: [AdmissionRejection] = []
}

/// An agent's open assignment stream.
struct AgentSession: Sendable {
    var id: UInt64
    var continuation: AsyncStream<AgentCommand>.Continuation
}

extension EngineState {
    func isConnected(_ node: String) -> Bool { sessions[node] != nil }

    /// A node's state as placement sees it, from its two owners: its agent's liveness (`health`:
    /// suspect, lost) wins over the operator's state (`nodes`: ready, cordoned, draining).
    func effectiveState(ofNode id: String) -> NodeState? {
        guard let record = nodes[id] else { return nil }
        if let liveness = health[id]?.nodeState, liveness != .ready { return liveness }
        return record.node.state
    }

    /// Brings the cluster state's copy of a node's state in line with its owners, after either
    /// changed.
    mutating func refreshState(ofNode id: String) {
        guard let state = effectiveState(ofNode: id), let index = cluster.index(ofNode: id), cluster.nodeStates[index] != state else { return }
        cluster.setState(state, ofNode: index)
    }

    /// Queues a request (new, or back after an eviction or a failure). One its tenant's quota no
    /// longer admits is kept in `refused`, and the next pass rejects it with the reason.
    mutating func enqueue(_ request: PlacementRequest) {
        if let refusal = scheduling.submit(request) { refused.append(refusal) }
    }

    /// Hands the outbox to the agents' streams; commands for nodes without a stream are dropped
    /// (the agent gets a full sync when it connects).
    mutating func deliverOutbox() {
        for (node, command) in outbox { sessions[node]?.continuation.yield(command) }
        outbox.removeAll(keepingCapacity: true)
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
