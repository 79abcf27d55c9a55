import Placement

/// Who decides a step of an application.
public enum Decider: String, Sendable, Hashable, Codable, CaseIterable {
    /// An approver of the department that owns the entry (a tenant user with `approver` set).
    case owner
    /// A platform operator (or an admin).
    case `operator`
    /// A security officer (role `security`, or an admin).
    case security
}

/// One step of an application's review: who decides, by when, and what they said.
public struct ApprovalStep: Sendable, Hashable, Codable {
    public enum Outcome: String, Sendable, Hashable, Codable { case approved, rejected }

    public var decider: Decider
    /// For an owner step: the tenant whose approvers decide it.
    public var department: String?
    /// How long the decider has once the step is reached.
    public var deadlineHours: Double
    /// Set when the step is reached: the application expires if it is not decided by then.
    public var deadline: Double?
    public var outcome: Outcome?
    public var decidedBy: String?
    public var decidedAt: Double?
    public var comment: String?

    public init(decider: Decider, department: String? = nil, deadlineHours: Double) {
        self.decider = decider
        self.department = department
        self.deadlineHours = deadlineHours
    }

    /// The decider in words: `owner water`, `operator`, `security`.
    public var who: String { department.map { "\(decider.rawValue) \($0)" } ?? decider.rawValue }
}

/// What an application asks for: a catalog entry in a quantity, or a request written out
/// (free-form). For an entry, `request` may add what the entry does not say: the workload to run,
/// the priority, the users' site and the latency bound.
public struct ApplicationItem: Sendable, Hashable, Codable {
    /// A catalog entry's code.
    public var entry: String?
    /// Replicas (of a component) or instances (of an offering's shape); default 1.
    public var quantity: Int?
    public var request: RequestSpec?

    public init(entry: String? = nil, quantity: Int? = nil, request: RequestSpec? = nil) {
        self.entry = entry
        self.quantity = quantity
        self.request = request
    }
}

/// What the platform did once an application was approved: the requests it created, or why it
/// could not.
public struct Provisioning: Sendable, Hashable, Codable {
    public var at: Double
    /// `TENANT:NAME` of each request created, one per item.
    public var requests: [String]
    /// Why the requests could not be created; nil when they were.
    public var error: String?

    public init(at: Double, requests: [String], error: String? = nil) {
        self.at = at
        self.requests = requests
        self.error = error
    }
}

/// A department's application for resources: what, why, for how long, and its way through review.
public struct Application: Sendable, Hashable, Codable {
    public var id: String
    public var tenant: String
    /// The user who applied: the requests are submitted in its name and it is told each step.
    public var applicant: String
    public var purpose: String
    public var industry: String?
    public var scenario: String?
    /// How long the resources are needed: the grant's length and each request's lease.
    public var durationSeconds: Int64
    public var items: [ApplicationItem]
    public var lifecycle: ApplicationLifecycle
    public var createdAt: Double
    public var updatedAt: Double
    public var submittedAt: Double?
    /// The grants its approval gave: one per partition whose use needs one.
    public var grants: [String] = []
    public var provisioning: Provisioning?
    /// The key a retried submission of it carries (per tenant), and a hash of what was asked with
    /// it, so that a retry can be told from another application under the same key.
    public var idempotencyKey: String?
    public var idempotencyFingerprint: String?

    public init(
        id: String, tenant: String, applicant: String, purpose: String, industry: String?, scenario: String?, durationSeconds: Int64,
        items: [ApplicationItem], createdAt: Double
    ) {
        self.id = id
        self.tenant = tenant
        self.applicant = applicant
        self.purpose = purpose
        self.industry = industry
        self.scenario = scenario
        self.durationSeconds = durationSeconds
        self.items = items
        self.lifecycle = ApplicationLifecycle()
        self.createdAt = createdAt
        self.updatedAt = createdAt
    }

    public var state: ApplicationState { lifecycle.state }

    /// The deadline of the step under review, if any.
    public var currentDeadline: Double? { lifecycle.currentStep.flatMap { lifecycle.steps[$0].deadline } }

    /// Whether it still needs the engine's attention: under review, or approved and not yet
    /// provisioned.
    public var isOpen: Bool { !state.isFinal || (state == .approved && provisioning == nil) }
}

/// Which applications to list, newest first.
public struct ApplicationQuery: Sendable, Hashable {
    public var tenant: String?
    public var state: ApplicationState?
    public var applicant: String?
    public var limit: Int

    public init(tenant: String? = nil, state: ApplicationState? = nil, applicant: String? = nil, limit: Int = 100) {
        self.tenant = tenant
        self.state = state
        self.applicant = applicant
        self.limit = limit
    }
}
