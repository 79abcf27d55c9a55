import Placement

/// The nodes and what is known of them, each fact with one owner: the operator's records
/// (`nodes`: registration, edits, ready, cordoned or draining), their agents' liveness (`health`)
/// and the agents connected now (`sessions`), with the commands waiting for them (`outbox`).
struct NodeFleet: Sendable {
    var nodes: [String: NodeRecord]
    /// Health of the nodes that agents have claimed, or that wait for their agent.
    var health: [String: NodeHealth] = [:]
    /// Agents with an open assignment stream, by node.
    var sessions: [String: AgentSession] = [:]
    var nextSessionID: UInt64 = 0
    /// Commands for agents, delivered once the change that produced them is committed.
    var outbox: [(node: String, command: AgentCommand)] = []
    /// Draining nodes whose restartable workloads the next pass moves elsewhere.
    var draining: Set<String> = []
    /// Samples refused from each node's agent since the scheduler started, for the alerts (each
    /// one is in the audit log).
    var refusedSamples: [String: RefusedSamples] = [:]

    init(nodes: [NodeRecord]) {
        self.nodes = Dictionary(uniqueKeysWithValues: nodes.map { ($0.node.id, $0) })
    }

    func isConnected(_ node: String) -> Bool { sessions[node] != nil }

    /// A node's state as placement sees it: its agent's liveness (suspect, lost) wins over the
    /// operator's state (ready, cordoned, draining).
    func effectiveState(ofNode id: String) -> NodeState? {
        guard let record = nodes[id] else { return nil }
        if let liveness = health[id]?.nodeState, liveness != .ready { return liveness }
        return record.node.state
    }

    /// Hands the outbox to the agents' streams; commands for nodes without a stream are dropped
    /// (the agent gets a full sync when it connects).
    mutating func deliverOutbox() {
        for (node, command) in outbox { sessions[node]?.continuation.yield(command) }
        outbox.removeAll(keepingCapacity: true)
    }
}

/// An agent's open assignment stream.
struct AgentSession: Sendable {
    var id: UInt64
    var continuation: AsyncStream<AgentCommand>.Continuation
}

/// Samples an agent sent that its allocations could not have used.
struct RefusedSamples: Sendable {
    var count = 0
    /// Why the last one was refused.
    var last = ""
}
