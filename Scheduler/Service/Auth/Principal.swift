/// What a user may do. Tenants act only within their own tenant.
public enum Role: String, Sendable, Hashable, Codable, CaseIterable {
    /// Everything, including users, tenants and tokens.
    case admin
    /// Nodes, the catalog, quotas, grants and every tenant's requests; not users or the audit log.
    case `operator`
    /// A department's user: its own requests, usage, quotas and grants.
    case tenant
    /// Reads everything, changes nothing.
    case auditor
    /// A security officer: decides the security steps of applications for entries at the higher
    /// protection levels; reads the catalog, applications and the audit log.
    case security
}

/// The caller of an operation, as established from its bearer token.
public struct Principal: Sendable, Hashable, Codable {
    public var user: String
    public var role: Role
    /// The tenant a `tenant` user belongs to; nil for the other roles.
    public var tenant: String?

    public init(user: String, role: Role, tenant: String? = nil) {
        self.user = user
        self.role = role
        self.tenant = tenant
    }

    /// The scheduler itself: leases, health and reclamation act under this name in the audit log.
    public static let system = Principal(user: "system", role: .admin)
}

/// An operation that needs permission.
public enum Permission: String, Sendable, Hashable, CaseIterable {
    case submitRequests, readRequests, changeRequests
    case readNodes, manageNodes
    case readCatalog, manageCatalog
    case readTenants, manageTenants
    case readUsers, manageUsers
    case readQuotas, manageQuotas
    case readUsage
    case readAudit
    case readOperations
    case applyForResources, readApplications, decideApplications, manageApprovalPolicies
    case readNotifications, manageWebhooks
    case readAlerts

    /// What it lets a caller do, in words for messages.
    public var words: String {
        switch self {
        case .submitRequests: "submit requests"
        case .readRequests: "read requests"
        case .changeRequests: "release or extend requests"
        case .readNodes: "read nodes, sites and storage pools"
        case .manageNodes: "manage nodes, sites and storage pools"
        case .readCatalog: "read the catalog"
        case .manageCatalog: "manage the catalog"
        case .readTenants: "read tenants"
        case .manageTenants: "manage tenants"
        case .readUsers: "read users"
        case .manageUsers: "manage users"
        case .readQuotas: "read quotas and grants"
        case .manageQuotas: "manage quotas, grants, budgets and prices"
        case .readUsage: "read usage and billing"
        case .readAudit: "read the audit log"
        case .readOperations: "read utilization, alerts and consolidation"
        case .applyForResources: "apply for resources"
        case .readApplications: "read applications"
        case .decideApplications: "decide applications"
        case .manageApprovalPolicies: "manage approval policies"
        case .readNotifications: "read notifications"
        case .manageWebhooks: "manage webhooks"
        case .readAlerts: "read alerts"
        }
    }
}

extension Principal {
    /// Whether the caller may do `permission` on resources of `tenant` (nil for resources that
    /// belong to no tenant, such as nodes).
    public func may(_ permission: Permission, tenant owner: String? = nil) -> Bool {
        switch role {
        case .admin:
            return true
        case .auditor:
            switch permission {
            case .readRequests, .readNodes, .readCatalog, .readTenants, .readUsers, .readQuotas, .readUsage, .readAudit, .readOperations, .readApplications,
                .readNotifications, .readAlerts:
                return true
            default: return false
            }
        case .security:
            switch permission {
            case .readCatalog, .readTenants, .readAudit, .readApplications, .decideApplications, .readNotifications: return true
            default: return false
            }
        case .operator:
            switch permission {
            case .readUsers, .manageUsers, .manageTenants, .readAudit, .submitRequests, .applyForResources: return false
            default: return true
            }
        case .tenant:
            switch permission {
            case .readCatalog, .readNotifications: return true
            // Its own tenant's, or for deciding, the applications for its tenant's entries
            // (whether this user decides them is the engine's to say: it must be an approver).
            case .submitRequests, .readRequests, .changeRequests, .readQuotas, .readUsage, .readTenants, .applyForResources, .readApplications,
                .decideApplications, .manageWebhooks, .readAlerts:
                return owner != nil && owner == tenant
            default: return false
            }
        }
    }

    /// Whether the caller's role allows `permission` on some resources: its own tenant's for a
    /// tenant user, any for the other roles. Checked before a request's body is read.
    public func mayAtAll(_ permission: Permission) -> Bool {
        may(permission, tenant: role == .tenant ? tenant : nil)
    }

    /// The tenant a read is limited to, one rule for every endpoint that takes `?tenant=`: a tenant
    /// user reads its own tenant (asking for another is forbidden); the other roles read the
    /// tenant asked for, or all (nil).
    public func scope(_ requested: String?, for permission: Permission) throws(ServiceError) -> String? {
        if role == .tenant {
            if let requested, requested != tenant {
                throw ServiceError(.forbidden, "a tenant user reads only its own tenant's data, not tenant \(requested)'s", field: "tenant")
            }
            try require(permission, tenant: tenant)
            return tenant
        }
        try require(permission, tenant: requested)
        return requested
    }

    /// Throws `forbidden` unless the caller may do `permission` on `tenant`'s resources.
    public func require(_ permission: Permission, tenant owner: String? = nil) throws(ServiceError) {
        guard may(permission, tenant: owner) else {
            let scope = owner.map { " of tenant \($0)" } ?? ""
            throw ServiceError.forbidden("\(user) (\(role.rawValue)) may not \(permission.words)\(scope)")
        }
    }
}
