import HeapModule
import Placement

/// Everything the scheduler holds in memory, owned by `Scheduler` behind one lock. The store has
/// all of it too; this is the working copy that decisions are made on.
struct EngineState: Sendable {
    var cluster: ClusterState
    var nodes: [String: NodeRecord]
    /// Sites, links and storage pools: what the cluster state's topology and pools are built from.
    var infrastructure: Infrastructure
    var queue: AdmissionQueue
    var placer: Placer
    /// Requests that have not ended, by id.
    var open: [String: RequestRecord]
    /// Why each pending request did not fit at its last attempt.
    var noFit: [String: NoFitReport] = [:]
    /// The capacity generation at which each pending request last did not fit: it is not tried
    /// again until the generation moves.
    var noFitGeneration: [String: UInt64] = [:]
    /// Agents with an open assignment stream, by node.
    var sessions: [String: AgentSession] = [:]
    var nextSessionID: UInt64 = 0
    /// Commands for agents, delivered once the change that produced them is committed.
    var outbox: [(node: String, command: AgentCommand)] = []
    /// Workloads a releasing request waits to hear are stopped, by request.
    var stopping: [String: Set<String>] = [:]
    /// Replicas agents report running, by request.
    var runningReplicas: [String: Set<Int>] = [:]
    /// Draining nodes whose restartable workloads the next pass moves elsewhere.
    var drainQueue: Set<String> = []
    /// Since when each running request has been under the idle threshold (from its samples).
    var idleSince: [String: Double] = [:]
    /// When each idle request's notice went out.
    var idleNoticeAt: [String: Double] = [:]
    /// Health of the nodes that agents have claimed.
    var health: [String: NodeHealth] = [:]
    /// Grants whose expiry has been acted on.
    var expiredGrants: Set<String> = []
    /// Requests placed in part that wait for their missing replicas.
    var partlyPlaced: Set<String> = []
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
    /// Grows with every change that may let a pending request fit (a release, a node joining or
    /// becoming ready); a pass over the queue that made no progress waits for it to change.
    var capacityGeneration: UInt64 = 0
}

/// An agent's open assignment stream.
struct AgentSession: Sendable {
    var id: UInt64
    var continuation: AsyncStream<AgentCommand>.Continuation
}

extension EngineState {
    func isConnected(_ node: String) -> Bool { sessions[node] != nil }

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
