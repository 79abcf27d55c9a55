import Placement

/// How long a node may stay silent, by class.
public struct NodeHealthPolicy: Sendable, Hashable, Codable {
    /// Seconds between an agent's heartbeats.
    public var heartbeatInterval: Double
    /// Missed heartbeats after which a node is suspect (no new work is placed there).
    public var missedBeforeSuspect: Int
    /// Seconds a suspect node of each class may stay silent before it is lost.
    public var lostAfter: [NodeClass: Double]
    /// Classes whose workloads are placed elsewhere when a node is lost. Edge sites run cut off
    /// from the center by design: their workloads are not evicted.
    public var replacesWorkloadsOnLoss: Set<NodeClass>

    public init(
        heartbeatInterval: Double = 10, missedBeforeSuspect: Int = 3,
        lostAfter: [NodeClass: Double] = [.general: 300, .ai: 300, .hpc: 600, .edge: 86_400],
        replacesWorkloadsOnLoss: Set<NodeClass> = [.general, .ai, .hpc]
    ) {
        self.heartbeatInterval = heartbeatInterval
        self.missedBeforeSuspect = missedBeforeSuspect
        self.lostAfter = lostAfter
        self.replacesWorkloadsOnLoss = replacesWorkloadsOnLoss
    }
}

/// What the scheduler must do because a node's health changed.
public enum HealthAction: Sendable, Hashable, Codable {
    /// Mark the node suspect: place nothing new there.
    case stopPlacing
    /// Mark the node lost and alert operators.
    case markLost
    /// Place the node's restartable workloads elsewhere.
    case replaceWorkloads
    /// The agent is back: mark the node ready and reconcile what it reports with what it should run.
    case reconcile
}

/// One node's health as a value: ready -> suspect after missed heartbeats -> lost after a grace
/// that depends on its class; a heartbeat brings it back. The caller supplies the time.
public struct NodeHealth: Sendable, Hashable, Codable {
    public enum Status: Sendable, Hashable, Codable {
        case ready
        case suspect(since: Double)
        case lost(since: Double)
    }

    public let nodeClass: NodeClass
    public var policy: NodeHealthPolicy
    public private(set) var status: Status = .ready
    public private(set) var lastHeartbeat: Double

    public init(nodeClass: NodeClass, policy: NodeHealthPolicy = NodeHealthPolicy(), registeredAt now: Double) {
        self.nodeClass = nodeClass
        self.policy = policy
        self.lastHeartbeat = now
    }

    /// The placement state this health maps to.
    public var nodeState: NodeState {
        switch status {
        case .ready: .ready
        case .suspect: .suspect
        case .lost: .lost
        }
    }

    public mutating func heartbeat(at now: Double) -> [HealthAction] {
        lastHeartbeat = max(lastHeartbeat, now)
        guard status != .ready else { return [] }
        status = .ready
        return [.reconcile]
    }

    /// Advances the clock: call periodically.
    public mutating func tick(at now: Double) -> [HealthAction] {
        switch status {
        case .ready:
            let deadline = lastHeartbeat + policy.heartbeatInterval * Double(policy.missedBeforeSuspect)
            guard now > deadline else { return [] }
            status = .suspect(since: deadline)
            return [.stopPlacing] + tick(at: now)
        case .suspect(let since):
            guard now > since + (policy.lostAfter[nodeClass] ?? 300) else { return [] }
            status = .lost(since: now)
            return policy.replacesWorkloadsOnLoss.contains(nodeClass) ? [.markLost, .replaceWorkloads] : [.markLost]
        case .lost:
            return []
        }
    }
}
