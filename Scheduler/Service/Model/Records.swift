import Placement

/// A city department: the unit of quotas, grants, usage and billing.
public struct Tenant: Sendable, Hashable, Codable {
    public var id: String
    public var name: String
    /// Fair-share weight among tenants in the pending queue.
    public var weight: Double
    /// Whether idle requests are reclaimed; nil follows the scheduler's `IdlePolicy`.
    public var reclaimIdle: Bool?
    /// What it may be billed in a calendar month, in the price list's currency; nil for no budget.
    public var monthlyBudget: Double?
    public var createdAt: Double

    public init(id: String, name: String, weight: Double = 1, reclaimIdle: Bool? = nil, createdAt: Double) {
        self.id = id
        self.name = name
        self.weight = weight
        self.reclaimIdle = reclaimIdle
        self.createdAt = createdAt
    }
}

/// A caller of the API, known by the hash of its bearer token.
public struct User: Sendable, Hashable, Codable {
    public var id: String
    public var role: Role
    /// Set for `tenant` users only.
    public var tenant: String?
    public var tokenHash: String
    public var createdAt: Double
    /// What kind of user it is, for entries open to some kinds only.
    public var kind: UserKind
    /// The highest security level it may apply for (`SecurityLevel`).
    public var clearance: Int
    /// A tenant user who decides the owner's steps of applications for its tenant's entries.
    public var approver: Bool
    /// The bcrypt hash of its password for the portal's sign-in; nil: it signs in with its token.
    public var passwordHash: String?
    /// How many times its password was set: portal sessions begun under an earlier one end.
    public var passwordGeneration: Int?

    public init(
        id: String, role: Role, tenant: String?, tokenHash: String, createdAt: Double, kind: UserKind = .government, clearance: Int = 1, approver: Bool = false
    ) {
        self.id = id
        self.role = role
        self.tenant = tenant
        self.tokenHash = tokenHash
        self.createdAt = createdAt
        self.kind = kind
        self.clearance = clearance
        self.approver = approver
    }

    enum CodingKeys: String, CodingKey { case id, role, tenant, tokenHash, createdAt, kind, clearance, approver, passwordHash, passwordGeneration }

    /// Users stored before kinds and clearances existed read as government users of clearance 1
    /// who approve nothing.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(
            id: try c.decode(String.self, forKey: .id), role: try c.decode(Role.self, forKey: .role), tenant: try c.decodeIfPresent(String.self, forKey: .tenant),
            tokenHash: try c.decode(String.self, forKey: .tokenHash), createdAt: try c.decode(Double.self, forKey: .createdAt),
            kind: try c.decodeIfPresent(UserKind.self, forKey: .kind) ?? .government, clearance: try c.decodeIfPresent(Int.self, forKey: .clearance) ?? 1,
            approver: try c.decodeIfPresent(Bool.self, forKey: .approver) ?? false)
        passwordHash = try c.decodeIfPresent(String.self, forKey: .passwordHash)
        passwordGeneration = try c.decodeIfPresent(Int.self, forKey: .passwordGeneration)
    }

    public var principal: Principal { Principal(user: id, role: role, tenant: tenant) }
}

/// A tenant's quota in one priority class: what its running requests of that class may hold.
public struct QuotaRecord: Sendable, Hashable, Codable {
    public var tenant: String
    public var priority: PriorityClass
    public var quota: Quota

    public init(tenant: String, priority: PriorityClass, quota: Quota) {
        self.tenant = tenant
        self.priority = priority
        self.quota = quota
    }
}

/// Permission for a tenant to use a partition, the catalog entries that need a grant it lists,
/// and the priority classes that preempt it lists, until a time. Requests that need the grant are
/// revoked (released by force) when it expires or is revoked and no other grant covers them.
public struct Grant: Sendable, Hashable, Codable {
    public var id: String
    public var tenant: String
    public var partition: String
    /// Codes of conditional or restricted catalog entries the tenant may use.
    public var entries: [String]?
    /// Priority classes that may preempt other departments' work the tenant may submit at.
    public var priorities: [PriorityClass]?
    public var expiresAt: Double
    public var createdAt: Double
    /// The application whose approval gave it; nil for one an operator gave directly.
    public var application: String?
    /// Set when it was revoked before its expiry.
    public var revokedAt: Double?
    public var revokedBy: String?
    public var revocationReason: String?
    /// Whether its holders were told it ends within a day.
    public var expiryNoticeSent: Bool?

    public init(
        id: String, tenant: String, partition: String, entries: [String]? = nil, priorities: [PriorityClass]? = nil, expiresAt: Double, createdAt: Double,
        application: String? = nil
    ) {
        self.id = id
        self.tenant = tenant
        self.partition = partition
        self.entries = entries
        self.priorities = priorities
        self.expiresAt = expiresAt
        self.createdAt = createdAt
        self.application = application
    }

    /// Whether it lets its tenant use what it lists at `now`.
    public func isLive(at now: Double) -> Bool { revokedAt == nil && expiresAt > now }

    /// Whether it is live and ends within `warning` seconds: its tenant is told once and an alert
    /// stands. A grant no longer than the warning is not "ending" from its first moment.
    public func isEnding(at now: Double, warning: Double) -> Bool {
        isLive(at: now) && expiresAt - now <= warning && expiresAt - createdAt > warning
    }
}

/// A node in the catalog, with who registered it and whether an agent has claimed it.
///
/// Two parties describe a node: the operator (registration, edits) and its agent (what it
/// measures on the host). The effective `node` takes the class, site, partition, region and
/// labels from the operator when an operator gave them, and the capacity and GPUs from the agent;
/// both descriptions are kept (`registration`, `reported`) so that a difference shows.
public struct NodeRecord: Sendable, Hashable, Codable {
    public var node: Node
    public var registeredAt: Double
    /// Pre-registered by an operator and not yet claimed by an agent.
    public var awaitingAgent: Bool
    public var agentVersion: String?
    /// SHA-256 of the credential the node's agent received when it joined; nil for a node no
    /// agent has claimed (its health is not tracked).
    public var credentialHash: String?
    /// The node as the operator registered or last edited it; nil when only an agent described it.
    public var registration: Node?
    /// The node as its agent last described it.
    public var reported: Node?
    /// Retired: cordoned for good; it is removed once nothing runs on it.
    public var retired: Bool

    public init(
        node: Node, registeredAt: Double, awaitingAgent: Bool = false, agentVersion: String? = nil, credentialHash: String? = nil,
        registration: Node? = nil, reported: Node? = nil, retired: Bool = false
    ) {
        self.node = node
        self.registeredAt = registeredAt
        self.awaitingAgent = awaitingAgent
        self.agentVersion = agentVersion
        self.credentialHash = credentialHash
        self.registration = registration
        self.reported = reported
        self.retired = retired
    }

    enum CodingKeys: String, CodingKey {
        case node, registeredAt, awaitingAgent, agentVersion, credentialHash, registration, reported, retired
    }

    /// Records written before `registration`, `reported` and `retired` existed read as having none.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(
            node: try c.decode(Node.self, forKey: .node), registeredAt: try c.decode(Double.self, forKey: .registeredAt),
            awaitingAgent: try c.decode(Bool.self, forKey: .awaitingAgent), agentVersion: try c.decodeIfPresent(String.self, forKey: .agentVersion),
            credentialHash: try c.decodeIfPresent(String.self, forKey: .credentialHash), registration: try c.decodeIfPresent(Node.self, forKey: .registration),
            reported: try c.decodeIfPresent(Node.self, forKey: .reported), retired: try c.decodeIfPresent(Bool.self, forKey: .retired) ?? false)
    }
}

/// A request with its lifecycle and what it holds: the unit the store keeps.
public struct RequestRecord: Sendable, Hashable, Codable {
    public var spec: PlacementRequest
    /// What runs on the nodes; nil for a reservation of capacity only.
    public var workload: WorkloadSpec?
    public var lifecycle: RequestLifecycle
    /// What it holds while placed; nil once given back. Changed through `hold`, which accounts
    /// what was held.
    public internal(set) var allocation: Allocation?
    /// Since when it holds `allocation`.
    public internal(set) var allocatedAt: Double?
    public var submittedBy: String
    public var updatedAt: Double
    /// When the lease ends and the request is released automatically.
    public var leaseEndsAt: Double?
    public var idempotencyKey: String?
    /// The code of the catalog entry the request runs when that entry needs a grant.
    public var restrictedEntry: String?
    /// The application it was provisioned for.
    public var application: String?
    /// True when it runs at a priority that may preempt because a grant lists that priority (not
    /// because an operator set its tenant a quota for it): it ends with the grant.
    public var grantedPriority: Bool?
    /// The lease end its submitter was told of a day before; an extension moves the end and
    /// brings a new notice.
    public var leaseNoticeSentFor: Double?
    /// The code of the catalog entry the request runs: the component it names, or the entry an
    /// application provisioned it from.
    public var catalogEntry: String?
    /// A hash of the submission an idempotency key came with, so that a retry can be told from
    /// another submission under the same key.
    public var idempotencyFingerprint: String?

    public init(
        spec: PlacementRequest, workload: WorkloadSpec? = nil, lifecycle: RequestLifecycle = RequestLifecycle(), allocation: Allocation? = nil,
        submittedBy: String, updatedAt: Double, leaseEndsAt: Double? = nil, idempotencyKey: String? = nil
    ) {
        self.spec = spec
        self.workload = workload
        self.lifecycle = lifecycle
        self.allocation = allocation
        self.submittedBy = submittedBy
        self.updatedAt = updatedAt
        self.leaseEndsAt = leaseEndsAt
        self.idempotencyKey = idempotencyKey
    }

    public var id: String { spec.id }
    /// The name within its tenant: the id after `TENANT:`.
    public var name: String { id.firstIndex(of: ":").map { String(id[id.index(after: $0)...]) } ?? id }
    public var tenant: String { spec.tenant }
    public var phase: RequestPhase { lifecycle.phase }

    /// Whether its department is using its catalog entry, which lets it rate the entry: its
    /// workload runs, or, with nothing to run, its capacity is held.
    public var usesEntry: Bool { catalogEntry != nil && (phase == .running || (workload == nil && phase == .placed)) }
}

/// One step in a request's history: the phase it entered, why, and who caused it.
public struct HistoryEntry: Sendable, Hashable, Codable {
    public var requestID: String
    public var at: Double
    public var phase: String
    public var reason: String?
    public var actor: String

    public init(requestID: String, at: Double, phase: String, reason: String? = nil, actor: String) {
        self.requestID = requestID
        self.at = at
        self.phase = phase
        self.reason = reason
        self.actor = actor
    }
}

/// One line of the append-only audit log: a state change and who caused it.
public struct AuditEntry: Sendable, Hashable, Codable {
    /// Assigned by the store, in append order.
    public var sequence: Int64?
    public var at: Double
    public var actor: String
    /// What was done, e.g. `request.submit`, `node.cordon`, `user.create`.
    public var action: String
    /// What it was done to, e.g. `request/r-12`.
    public var target: String
    public var detail: String

    public init(sequence: Int64? = nil, at: Double, actor: String, action: String, target: String, detail: String = "") {
        self.sequence = sequence
        self.at = at
        self.actor = actor
        self.action = action
        self.target = target
        self.detail = detail
    }
}
