import Hummingbird
import Placement
import SchedulerService

/// Tenants, users, quotas and grants.
enum TenantRoutes {
    struct TenantBody: Decodable {
        var id: String
        var name: String?
        var weight: Double?
        var reclaimIdle: Bool?
    }
    struct UserBody: Decodable {
        var id: String
        var role: Role
        var tenant: String?
        var kind: UserKind?
        var clearance: Int?
        var approver: Bool?
        var password: String?
    }
    struct PasswordBody: Decodable {
        var password: String
    }
    struct UserUpdateBody: Decodable {
        var kind: UserKind?
        var clearance: Int?
        var approver: Bool?
    }
    struct GrantBody: Decodable {
        var tenant: String
        var partition: String
        var entries: [String]?
        var priorities: [PriorityClass]?
        var expiresAt: Double
    }
    struct RevocationBody: Decodable {
        var reason: String
    }
    struct AdjustmentBody: Decodable {
        var expiresAt: Double?
        var entries: [String]?
        var priorities: [PriorityClass]?
        var reason: String?
    }

    static let tenantParameter = Operation.Parameter("tenant", Components.identifier, "The tenant's id.")
    static let grantParameter = Operation.Parameter("id", .string(maxLength: 64, minLength: 1, pattern: "^g_[0-9a-f]{1,62}$"), "The grant's id.")

    static var endpoints: [Endpoint] {
        [
            Endpoint(Operation(
                .post, "/v1/tenants", id: "createTenant", summary: "Create a tenant (a department)", tag: "tenants",
                permission: .manageTenants, body: "TenantCreation", success: [.json(201, "Tenant", "Created.")], errors: [409])) { call in
                let body = try call.body(TenantBody.self)
                return try JSON.response(
                    try call.scheduler.createTenant(id: body.id, name: body.name, weight: body.weight ?? 1, reclaimIdle: body.reclaimIdle, by: call.caller),
                    status: .created)
            },
            Endpoint(Operation(
                .get, "/v1/tenants", id: "listTenants", summary: "Tenants the caller may see", tag: "tenants", permission: .readTenants,
                success: [.json(200, "TenantList", "Tenants by id.")])) { call in
                try JSON.response(["tenants": try call.scheduler.tenants(by: call.caller)])
            },
            Endpoint(Operation(
                .put, "/v1/tenants/{tenant}/quotas/{priority}", id: "setQuota", summary: "Set a tenant's quota for a priority class",
                tag: "tenants", permission: .manageQuotas,
                pathParameters: [tenantParameter, .init("priority", Components.choice(PriorityClass.self), "The priority class.")],
                body: "Quota", success: [.json(200, "QuotaUsage", "The quota as set.")])) { call in
                let body = try call.body(QuotaBody.self)
                let priority = PriorityClass(rawValue: call.path("priority"))!
                let record = try call.scheduler.setQuota(tenant: call.path("tenant"), priority: priority, quota: body.quota(), by: call.caller)
                let used = try call.scheduler.quotas(tenant: record.tenant, by: call.caller).first { $0.0.priority == priority }?.used ?? Usage()
                return try JSON.response(QuotaView(record, used: used))
            },
            Endpoint(Operation(
                .get, "/v1/tenants/{tenant}/quotas", id: "listQuotas", summary: "A tenant's quotas and what it uses", tag: "tenants",
                permission: .readQuotas, pathParameters: [tenantParameter], success: [.json(200, "QuotaList", "By priority class.")])) { call in
                let quotas = try call.scheduler.quotas(tenant: call.path("tenant"), by: call.caller)
                return try JSON.response(["quotas": quotas.map { QuotaView($0.0, used: $0.used) }])
            },
            Endpoint(Operation(
                .post, "/v1/users", id: "createUser", summary: "Create a user; the answer holds its token, shown once", tag: "users",
                permission: .manageUsers, body: "UserCreation", success: [.json(201, "User", "Created, with its token.")], errors: [409, 422])) { call in
                let body = try call.body(UserBody.self)
                let (user, token) = try call.scheduler.createUser(
                    id: body.id, role: body.role, tenant: body.tenant, kind: body.kind ?? .government, clearance: body.clearance ?? 1,
                    approver: body.approver ?? false, password: body.password, by: call.caller)
                return try JSON.response(UserView(user, token: token), status: .created)
            },
            Endpoint(Operation(
                .put, "/v1/users/{id}/password", id: "setPassword", summary: "Set a user's password for the portal: a user its own, an admin anyone's",
                tag: "users", permission: .readCatalog, pathParameters: [.init("id", Components.identifier, "The user's id.")], body: "PasswordChange",
                success: [.json(200, "User", "Set; the password is kept only as a bcrypt hash.")], errors: [422])) { call in
                let body = try call.body(PasswordBody.self)
                return try JSON.response(UserView(try call.scheduler.setPassword(of: call.path("id"), to: body.password, by: call.caller)))
            },
            Endpoint(Operation(
                .patch, "/v1/users/{id}", id: "updateUser", summary: "Change a user's kind, clearance or approver flag", tag: "users",
                permission: .manageUsers, pathParameters: [.init("id", Components.identifier, "The user's id.")], body: "UserUpdate",
                success: [.json(200, "User", "The user as changed.")], errors: [422])) { call in
                let body = try call.body(UserUpdateBody.self)
                return try JSON.response(UserView(try call.scheduler.updateUser(call.path("id"), kind: body.kind, clearance: body.clearance, approver: body.approver, by: call.caller)))
            },
            Endpoint(Operation(
                .get, "/v1/me", id: "whoAmI", summary: "The caller: its role, tenant, kind, clearance and whether it approves", tag: "users",
                permission: .readCatalog, success: [.json(200, "User", "The caller, without its token.")])) { call in
                try JSON.response(UserView(try call.scheduler.user(call.caller.user, by: call.caller)))
            },
            Endpoint(Operation(
                .get, "/v1/users", id: "listUsers", summary: "Users (admins and auditors)", tag: "users", permission: .readUsers,
                success: [.json(200, "UserList", "Users by id, without tokens.")])) { call in
                try JSON.response(["users": try call.scheduler.users(by: call.caller).map { UserView($0) }])
            },
            Endpoint(Operation(
                .delete, "/v1/users/{id}", id: "deleteUser", summary: "Delete a user; its token stops working", tag: "users",
                permission: .manageUsers, pathParameters: [.init("id", Components.identifier, "The user's id.")],
                success: [Operation.Answer(status: 204, description: "Deleted.", content: .none)], errors: [409])) { call in
                try call.scheduler.deleteUser(call.path("id"), by: call.caller)
                return Response(status: .noContent)
            },
            Endpoint(Operation(
                .post, "/v1/grants", id: "createGrant", summary: "Let a tenant use a partition, catalog entries and preempting priorities until a time",
                tag: "tenants", permission: .manageQuotas, body: "GrantCreation", success: [.json(201, "Grant", "Granted.")], errors: [422])) { call in
                let body = try call.body(GrantBody.self)
                return try JSON.response(
                    try call.scheduler.createGrant(
                        tenant: body.tenant, partition: body.partition, entries: body.entries, priorities: body.priorities, expiresAt: body.expiresAt, by: call.caller),
                    status: .created)
            },
            Endpoint(Operation(
                .post, "/v1/grants/{id}/revoke", id: "revokeGrant", summary: "End a grant now; the requests only it covered are stopped and released",
                tag: "tenants", permission: .manageQuotas, pathParameters: [grantParameter], body: "GrantRevocation",
                success: [.json(200, "Grant", "Revoked.")], errors: [409])) { call in
                let body = try call.body(RevocationBody.self)
                return try JSON.response(try call.scheduler.revokeGrant(call.path("id"), reason: body.reason, by: call.caller))
            },
            Endpoint(Operation(
                .patch, "/v1/grants/{id}", id: "adjustGrant", summary: "Change a live grant's end, entries or priorities; requests it no longer covers are revoked",
                tag: "tenants", permission: .manageQuotas, pathParameters: [grantParameter], body: "GrantAdjustment",
                success: [.json(200, "Grant", "The grant as changed.")], errors: [409, 422])) { call in
                let body = try call.body(AdjustmentBody.self)
                return try JSON.response(
                    try call.scheduler.adjustGrant(
                        call.path("id"), expiresAt: body.expiresAt, entries: body.entries, priorities: body.priorities, reason: body.reason, by: call.caller))
            },
            Endpoint(Operation(
                .get, "/v1/grants", id: "listGrants", summary: "Grants", tag: "tenants", permission: .readQuotas,
                query: [.init("tenant", Components.identifier, "Only this tenant's (a tenant user may name only its own).")],
                success: [.json(200, "GrantList", "Grants by id.")], errors: [422])) { call in
                try JSON.response(["grants": try call.scheduler.grants(tenant: call.query("tenant"), by: call.caller)])
            },
        ]
    }
}
