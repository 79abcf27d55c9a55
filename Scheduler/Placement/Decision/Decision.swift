/// A request evicted so that a higher band request fits.
public struct Victim: Sendable, Hashable, Codable {
    public var requestID: String
    public var tenant: String
    public var priority: PriorityClass

    public init(requestID: String, tenant: String, priority: PriorityClass) {
        self.requestID = requestID
        self.tenant = tenant
        self.priority = priority
    }
}

/// Where the replicas of a request go, and whom they evict.
public struct Placement: Sendable, Hashable, Codable {
    public var replicas: [ReplicaAssignment]
    /// Requests to evict before the replicas start; empty without preemption.
    public var preempted: [Victim]
    /// Why the replicas that were not placed (non-gang requests only) did not fit.
    public var unplaced: NoFitReport?

    public init(replicas: [ReplicaAssignment], preempted: [Victim] = [], unplaced: NoFitReport? = nil) {
        self.replicas = replicas
        self.preempted = preempted
        self.unplaced = unplaced
    }
}

/// The placement core's answer for one request.
public enum Decision: Sendable, Hashable {
    /// Placed (all replicas of a gang; as many as fit otherwise), possibly by preemption.
    case placed(Placement)
    /// Nothing placed now; the request may fit later.
    case noFit(NoFitReport)
    /// The request can never be placed as written.
    case invalid(ValidationError)

    public var placement: Placement? {
        if case .placed(let placement) = self { return placement }
        return nil
    }
}
