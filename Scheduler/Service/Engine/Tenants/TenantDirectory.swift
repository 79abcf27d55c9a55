import Placement

/// Who may use what: tenants, their users, the grants that open partitions and restricted catalog
/// entries to them, and the catalog itself.
struct TenantDirectory: Sendable {
    var tenants: [String: Tenant]
    var users: [String: User]
    var grants: [String: Grant]
    /// Grants whose expiry has been acted on.
    var expiredGrants: Set<String> = []
    /// The resource catalog by code; changed through `put` and `removeEntry`, which keep the
    /// index by name.
    private(set) var catalog: [String: CatalogEntry] = [:]
    /// Codes by entry name: what a request naming a component, or a new entry, is checked against.
    private var codesByName: [String: Set<String>] = [:]
    /// Who approves applications, by scope.
    var approvalPolicies: [PolicyScope: ApprovalPolicy] = [:]
    /// Tenants' outgoing webhooks by id.
    var webhooks: [String: Webhook] = [:]

    init(_ snapshot: StoreSnapshot) {
        tenants = Dictionary(uniqueKeysWithValues: snapshot.tenants.map { ($0.id, $0) })
        users = Dictionary(uniqueKeysWithValues: snapshot.users.map { ($0.id, $0) })
        grants = Dictionary(uniqueKeysWithValues: snapshot.grants.map { ($0.id, $0) })
        for entry in snapshot.catalog { put(entry) }
        approvalPolicies = Dictionary(uniqueKeysWithValues: snapshot.approvalPolicies.map { ($0.scope, $0) })
        webhooks = Dictionary(uniqueKeysWithValues: snapshot.webhooks.map { ($0.id, $0) })
    }

    /// Adds or replaces a catalog entry.
    mutating func put(_ entry: CatalogEntry) {
        catalog[entry.code] = entry
        codesByName[entry.name, default: []].insert(entry.code)
    }

    mutating func removeEntry(code: String) {
        guard let entry = catalog.removeValue(forKey: code) else { return }
        codesByName[entry.name]?.remove(code)
        if codesByName[entry.name]?.isEmpty == true { codesByName[entry.name] = nil }
    }

    /// The entries with this name, of every kind, version and class.
    func entries(named name: String) -> [CatalogEntry] {
        (codesByName[name] ?? []).compactMap { catalog[$0] }
    }

    /// The ids of a tenant's users, who hear of what concerns the tenant as a whole.
    func users(of tenant: String) -> [String] {
        users.values.filter { $0.tenant == tenant }.map(\.id).sorted()
    }

    /// The users who decide `step`: the owner department's approvers, the operators, or the
    /// security officers; admins decide every step but are told only when no one else would be.
    func deciders(of step: ApprovalStep) -> [String] {
        let named = users.values.filter { user in
            switch step.decider {
            case .owner: user.role == .tenant && user.tenant == step.department && user.approver
            case .operator: user.role == .operator
            case .security: user.role == .security
            }
        }
        let chosen = named.isEmpty ? users.values.filter { $0.role == .admin } : named
        return chosen.map(\.id).sorted()
    }

    /// Whether `caller` decides `step` (an applicant never decides its own application).
    func mayDecide(_ step: ApprovalStep, caller: Principal) -> Bool {
        switch (caller.role, step.decider) {
        case (.admin, _), (.operator, .operator), (.security, .security): true
        case (.tenant, .owner): caller.tenant == step.department && users[caller.user]?.approver == true
        default: false
        }
    }

    /// The policy that applies to an item: its entry's, else its partition's, else its entry's
    /// security level's; nil when none is set.
    func policy(entry: CatalogEntry?, partition: String) -> ApprovalPolicy? {
        if let entry, let policy = approvalPolicies[.entry(entry.code)] { return policy }
        if let policy = approvalPolicies[.partition(partition)] { return policy }
        return entry.flatMap { approvalPolicies[.securityLevel($0.securityLevel)] }
    }

    /// Whether `tenant` holds a live grant for `partition`; the public partition needs none.
    func mayUse(partition: String, tenant: String, at now: Double) -> Bool {
        partition == "public" || grants.values.contains { $0.tenant == tenant && $0.isLive(at: now) && $0.partition == partition }
    }

    /// Whether `tenant` holds a live grant listing the catalog entry `code`.
    func mayUse(entry code: String, tenant: String, at now: Double) -> Bool {
        grants.values.contains { $0.tenant == tenant && $0.isLive(at: now) && $0.entries?.contains(code) == true }
    }

    /// Whether `tenant` holds a live grant listing the priority class `priority`.
    func mayUse(priority: PriorityClass, tenant: String, at now: Double) -> Bool {
        grants.values.contains { $0.tenant == tenant && $0.isLive(at: now) && $0.priorities?.contains(priority) == true }
    }

    /// Whether the grants `tenant` holds still cover an open request: its partition, the entry
    /// it runs if that needs a grant, and its priority if only a grant let it use that.
    func covers(_ record: RequestRecord, at now: Double) -> Bool {
        mayUse(partition: record.spec.partition, tenant: record.tenant, at: now)
            && (record.restrictedEntry.map { mayUse(entry: $0, tenant: record.tenant, at: now) } ?? true)
            && (record.grantedPriority != true || mayUse(priority: record.spec.priority, tenant: record.tenant, at: now))
    }
}
