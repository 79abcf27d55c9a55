import Placement

extension Scheduler {
    // MARK: Tenants

    public func createTenant(id: String, name: String?, weight: Double = 1, reclaimIdle: Bool? = nil, by caller: Principal) throws(ServiceError) -> Tenant {
        try caller.require(.manageTenants)
        try Identifier.check(id, field: "id")
        guard weight.isFinite, weight > 0, weight <= 1000 else { throw ServiceError.invalid("weight", "must be a number in (0, 1000], got \(weight)") }
        let now = now()
        return try change { (s: borrowing EngineState) throws(ServiceError) in
            guard s.directory.tenants[id] == nil else { throw ServiceError.conflict("tenant \(id) exists already", field: "id") }
            let tenant = Tenant(id: id, name: name ?? id, weight: weight, reclaimIdle: reclaimIdle, createdAt: now)
            var batch = StoreBatch()
            batch.tenants = [tenant]
            batch.audit = [AuditEntry(at: now, actor: caller.user, action: "tenant.create", target: "tenant/\(id)", detail: "weight \(weight)")]
            return (batch, { s in
                s.directory.tenants[id] = tenant
                _ = s.scheduling.setPolicy(TenantPolicy(weight: weight), of: id)
                return tenant
            })
        }
    }

    public func tenants(by caller: Principal) throws(ServiceError) -> [Tenant] {
        state.withLock { s in s.directory.tenants.values.filter { caller.may(.readTenants, tenant: $0.id) }.sorted { $0.id < $1.id } }
    }

    // MARK: Users

    /// Creates a user and returns its bearer token: shown this once, stored only as a hash. With a
    /// password it may also sign in to the portal by name.
    public func createUser(
        id: String, role: Role, tenant: String?, kind: UserKind = .government, clearance: Int = 1, approver: Bool = false, password: String? = nil,
        by caller: Principal
    ) throws(ServiceError) -> (User, token: String) {
        try caller.require(.manageUsers)
        try Identifier.check(id, field: "id")
        let passwordHash = try password.map { (password) throws(ServiceError) in try Password.hash(password, field: "password") }
        guard (role == .tenant) == (tenant != nil) else {
            throw ServiceError.unprocessable("tenant", role == .tenant ? "a tenant user needs a tenant" : "only tenant users belong to a tenant")
        }
        try SecurityLevel.check(clearance, field: "clearance")
        if approver, role != .tenant { throw ServiceError.unprocessable("approver", "only tenant users approve for their department") }
        let token = Token.generate(prefix: "sl")
        let now = now()
        let user = try change { (s: borrowing EngineState) throws(ServiceError) in
            guard s.directory.users[id] == nil else { throw ServiceError.conflict("user \(id) exists already", field: "id") }
            if let tenant, s.directory.tenants[tenant] == nil { throw ServiceError.unprocessable("tenant", "there is no tenant '\(tenant)'") }
            var user = User(id: id, role: role, tenant: tenant, tokenHash: Token.hash(token), createdAt: now, kind: kind, clearance: clearance, approver: approver)
            user.passwordHash = passwordHash
            var batch = StoreBatch()
            batch.users = [user]
            batch.audit = [AuditEntry(at: now, actor: caller.user, action: "user.create", target: "user/\(id)", detail: role.rawValue + (tenant.map { " of \($0)" } ?? ""))]
            return (batch, { s in
                s.directory.users[id] = user
                self.credentials.withLock { $0.users[user.tokenHash] = user.principal }
                return user
            })
        }
        return (user, token)
    }

    /// Changes a user's kind, clearance or approver flag; what is left out stays.
    public func updateUser(_ id: String, kind: UserKind?, clearance: Int?, approver: Bool?, by caller: Principal) throws(ServiceError) -> User {
        try caller.require(.manageUsers)
        if let clearance { try SecurityLevel.check(clearance, field: "clearance") }
        let now = now()
        return try change { (s: borrowing EngineState) throws(ServiceError) in
            guard var user = s.directory.users[id] else { throw ServiceError.notFound("user \(id)") }
            if approver == true, user.role != .tenant { throw ServiceError.unprocessable("approver", "only tenant users approve for their department") }
            if let kind { user.kind = kind }
            if let clearance { user.clearance = clearance }
            if let approver { user.approver = approver }
            let updated = user
            var batch = StoreBatch()
            batch.users = [updated]
            batch.audit = [AuditEntry(
                at: now, actor: caller.user, action: "user.update", target: "user/\(id)",
                detail: "\(updated.kind.rawValue), clearance \(updated.clearance)\(updated.approver ? ", approver" : "")")]
            return (batch, { s in
                s.directory.users[id] = updated
                return updated
            })
        }
    }

    /// Sets a user's password for the portal: a user its own, an admin anyone's. The hash is
    /// computed before the engine is locked (bcrypt is slow on purpose).
    public func setPassword(of id: String, to password: String, by caller: Principal) throws(ServiceError) -> User {
        if id != caller.user { try caller.require(.manageUsers) }
        let hash = try Password.hash(password, field: "password")
        let now = now()
        return try change { (s: borrowing EngineState) throws(ServiceError) in
            guard var user = s.directory.users[id] else {
                if id == caller.user { throw ServiceError.unprocessable("id", "\(id) signs in with the token file and has no stored user to hold a password") }
                throw ServiceError.notFound("user \(id)")
            }
            user.passwordHash = hash
            user.passwordGeneration = (user.passwordGeneration ?? 0) + 1
            let updated = user
            var batch = StoreBatch()
            batch.users = [updated]
            batch.audit = [AuditEntry(at: now, actor: caller.user, action: "user.password", target: "user/\(id)")]
            return (batch, { s in
                s.directory.users[id] = updated
                return updated
            })
        }
    }

    /// The user named, if `password` is its password; `unauthenticated` otherwise, in the same
    /// words and about the same time whether the user exists or not.
    public func authenticate(user id: String, password: String) throws(ServiceError) -> Principal {
        let user = state.withLock { $0.directory.users[id] }
        guard Password.verify(password, hash: user?.passwordHash), let user else {
            throw ServiceError(.unauthenticated, "unknown user or wrong password")
        }
        return user.principal
    }

    /// The caller a portal session stands for, as the directory holds it now: nil once its user
    /// was deleted, or its password was set again since the session began under `generation`.
    public func principal(user id: String, passwordGeneration generation: Int? = nil) -> Principal? {
        state.withLock { s in
            guard let user = s.directory.users[id], generation == nil || generation == (user.passwordGeneration ?? 0) else { return nil }
            return user.principal
        }
    }

    /// How many times a user's password was set (a session remembers it when it begins).
    public func passwordGeneration(of id: String) -> Int? {
        state.withLock { s in s.directory.users[id].map { $0.passwordGeneration ?? 0 } }
    }

    /// Records a portal sign-in or sign-out in the audit log (`session.open`, `session.close`,
    /// `session.refused` when a name's failures start to be slowed down).
    public func recordSession(_ action: String, user: String, detail: String) {
        let now = now()
        try? change { (_: borrowing EngineState) throws(ServiceError) in
            var batch = StoreBatch()
            batch.audit = [AuditEntry(at: now, actor: user, action: action, target: "user/\(user)", detail: detail)]
            return (batch, { _ in })
        }
    }

    /// Every tenant's display name by id: shown to every signed-in user beside what a department
    /// owns or applied for.
    public func tenantNames() -> [String: String] {
        state.withLock { s in s.directory.tenants.mapValues(\.name) }
    }

    /// The caller holding the token whose hash this is (a session begun with a token).
    public func principal(tokenHash: String) -> Principal? {
        credentials.withLock { $0.users[tokenHash] }
    }

    public func deleteUser(_ id: String, by caller: Principal) throws(ServiceError) {
        try caller.require(.manageUsers)
        guard id != caller.user else { throw ServiceError.conflict("a user cannot delete itself", field: "id") }
        let now = now()
        try change { (s: borrowing EngineState) throws(ServiceError) in
            guard let user = s.directory.users[id] else { throw ServiceError.notFound("user \(id)") }
            var batch = StoreBatch()
            batch.removedUsers = [id]
            batch.audit = [AuditEntry(at: now, actor: caller.user, action: "user.delete", target: "user/\(id)")]
            return (batch, { s in
                s.directory.users[id] = nil
                self.credentials.withLock { $0.users[user.tokenHash] = nil }
            })
        }
    }

    /// A user: any user may read itself, admins and auditors anyone.
    public func user(_ id: String, by caller: Principal) throws(ServiceError) -> User {
        if id != caller.user { try caller.require(.readUsers) }
        guard let user = state.withLock({ $0.directory.users[id] }) else {
            // The admin of the token file is no stored user.
            if id == caller.user { return User(id: id, role: caller.role, tenant: caller.tenant, tokenHash: "", createdAt: 0, clearance: SecurityLevel.range.upperBound) }
            throw ServiceError.notFound("user \(id)")
        }
        return user
    }

    public func users(by caller: Principal) throws(ServiceError) -> [User] {
        try caller.require(.readUsers)
        return state.withLock { s in s.directory.users.values.sorted { $0.id < $1.id } }
    }

    // MARK: Quotas

    /// Sets a tenant's quota for one priority class. Requests already placed keep running; new
    /// ones wait while the tenant is at its quota.
    public func setQuota(tenant: String, priority: PriorityClass, quota: Quota, by caller: Principal) throws(ServiceError) -> QuotaRecord {
        try caller.require(.manageQuotas)
        for dimension in Resources.dimensions where quota.resources.value(of: dimension) < 0 {
            throw ServiceError.invalid(dimension.rawValue, "a quota must not be negative")
        }
        guard quota.gpuMilli >= 0 else { throw ServiceError.invalid("gpu", "a quota must not be negative") }
        let now = now()
        let record = try change { (s: borrowing EngineState) throws(ServiceError) in
            guard s.directory.tenants[tenant] != nil else { throw ServiceError.notFound("tenant \(tenant)") }
            let record = QuotaRecord(tenant: tenant, priority: priority, quota: quota)
            var batch = StoreBatch()
            batch.quotas = [record]
            batch.audit = [AuditEntry(at: now, actor: caller.user, action: "quota.set", target: "tenant/\(tenant)/quota/\(priority.rawValue)")]
            // Pending requests that alone are larger than the new quota could never run: they end
            // now, with the reason, as they would have been refused at submission.
            var scheduling = s.scheduling
            var policy = scheduling.admission.config.tenants[tenant] ?? TenantPolicy()
            policy.quotas[priority] = quota
            var ended: [RequestRecord] = []
            for rejection in scheduling.setPolicy(policy, of: tenant) {
                guard var rejected = s.open[rejection.requestID] else { continue }
                // Said with both figures, as at submission, against the new quota.
                let reason = Self.quotaShortfall(of: rejected.spec, quota: quota)?.1 ?? rejection.message
                try Self.transition(&rejected, .reject(reason: reason), at: now, by: caller.user, into: &batch)
                batch.requests.append(rejected)
                batch.audit.append(AuditEntry(at: now, actor: caller.user, action: "request.reject", target: "request/\(rejected.id)", detail: reason))
                ended.append(rejected)
            }
            return (batch, { [scheduling] s in
                s.scheduling = scheduling
                for record in ended { Self.store(record, in: &s) }
                return record
            })
        }
        signalPlacement()
        return record
    }

    /// A tenant's quotas with what it uses now.
    public func quotas(tenant: String, by caller: Principal) throws(ServiceError) -> [(QuotaRecord, used: Usage)] {
        try caller.require(.readQuotas, tenant: tenant)
        return try state.withLock { (s: inout EngineState) throws(ServiceError) in
            guard s.directory.tenants[tenant] != nil else { throw ServiceError.notFound("tenant \(tenant)") }
            let quotas = s.scheduling.admission.config.tenants[tenant]?.quotas ?? [:]
            return quotas.keys.sorted { $0.rawValue < $1.rawValue }.map { priority in
                (QuotaRecord(tenant: tenant, priority: priority, quota: quotas[priority]!), s.scheduling.admission.usage(of: tenant, priority: priority))
            }
        }
    }

    // MARK: Grants

    /// Lets a tenant use a partition, the catalog entries listed and the preempting priority
    /// classes listed until `expiresAt`.
    public func createGrant(
        tenant: String, partition: String, entries: [String]? = nil, priorities: [PriorityClass]? = nil, expiresAt: Double, by caller: Principal
    ) throws(ServiceError) -> Grant {
        try caller.require(.manageQuotas)
        try Identifier.check(partition, field: "partition")
        let now = now()
        guard expiresAt.isFinite, expiresAt > now else { throw ServiceError.unprocessable("expiresAt", "must be in the future (now is \(Moment.text(now)))") }
        return try change { (s: borrowing EngineState) throws(ServiceError) in
            guard s.directory.tenants[tenant] != nil else { throw ServiceError.unprocessable("tenant", "there is no tenant '\(tenant)'") }
            for (i, code) in (entries ?? []).enumerated() where s.directory.catalog[code] == nil {
                throw ServiceError.unprocessable("entries[\(i)]", "there is no catalog entry \(code)")
            }
            let grant = Grant(
                id: Token.generate(prefix: "g").prefix(14).description, tenant: tenant, partition: partition, entries: entries, priorities: priorities,
                expiresAt: expiresAt, createdAt: now)
            var batch = StoreBatch()
            batch.grants = [grant]
            batch.audit = [AuditEntry(at: now, actor: caller.user, action: "grant.create", target: "grant/\(grant.id)", detail: "\(tenant) may use \(partition) until \(Moment.text(expiresAt))")]
            return (batch, { s in
                s.directory.grants[grant.id] = grant
                return grant
            })
        }
    }

    /// Ends a grant now. The requests only it covered are revoked (stopped and released), with
    /// `reason`; its tenant's users are told.
    public func revokeGrant(_ id: String, reason: String, by caller: Principal) throws(ServiceError) -> Grant {
        try caller.require(.manageQuotas)
        guard !reason.isEmpty, DisplayText.isValid(reason, maxLength: 1000) else { throw ServiceError.invalid("reason", "must be 1 to 1000 characters, none a control character") }
        return try changeGrant(id, action: "grant.revoke", by: caller) { (grant: inout Grant, now: Double) throws(ServiceError) in
            grant.revokedAt = now
            grant.revokedBy = caller.user
            grant.revocationReason = reason
            return "grant \(grant.id) for partition \(grant.partition) was revoked by \(caller.user): \(reason)"
        }
    }

    /// Changes a live grant's expiry (later or sooner, still in the future) or the entries and
    /// priority classes it lists. Requests that no longer have a grant covering them are revoked.
    public func adjustGrant(
        _ id: String, expiresAt: Double?, entries: [String]?, priorities: [PriorityClass]?, reason: String? = nil, by caller: Principal
    ) throws(ServiceError) -> Grant {
        try caller.require(.manageQuotas)
        if let reason, !DisplayText.isValid(reason, maxLength: 1000) { throw ServiceError.invalid("reason", "must be at most 1000 characters, none a control character") }
        return try changeGrant(id, action: "grant.adjust", by: caller) { (grant: inout Grant, now: Double) throws(ServiceError) in
            if let expiresAt {
                guard expiresAt.isFinite, expiresAt > now else {
                    throw ServiceError.unprocessable("expiresAt", "must be in the future (now is \(Moment.text(now))): revoke the grant to end it now")
                }
                grant.expiresAt = expiresAt
                grant.expiryNoticeSent = nil
            }
            if let entries { grant.entries = entries }
            if let priorities { grant.priorities = priorities }
            return "grant \(grant.id) for partition \(grant.partition) was changed by \(caller.user)" + (reason.map { ": \($0)" } ?? "")
        }
    }

    /// Changes a live grant with `body` (which returns the reason requests it no longer covers
    /// end with), revokes those requests and tells the tenant's users.
    private func changeGrant(
        _ id: String, action: String, by caller: Principal, _ body: (inout Grant, Double) throws(ServiceError) -> String
    ) throws(ServiceError) -> Grant {
        let now = now()
        let grant = try change { (s: borrowing EngineState) throws(ServiceError) in
            guard var grant = s.directory.grants[id] else { throw ServiceError.notFound("grant \(id)") }
            guard grant.isLive(at: now) else {
                throw ServiceError.conflict("grant \(id) has ended (\(grant.revokedAt != nil ? "revoked" : "expired at \(Moment.text(grant.expiresAt))"))")
            }
            let reason = try body(&grant, now)
            for (i, code) in (grant.entries ?? []).enumerated() where s.directory.catalog[code] == nil {
                throw ServiceError.unprocessable("entries[\(i)]", "there is no catalog entry \(code)")
            }
            let changed = grant
            var directory = s.directory
            directory.grants[id] = changed
            var batch = StoreBatch()
            var effects = Effects()
            var ended: [RequestRecord] = []
            for var record in s.open.records.filter({ $0.tenant == changed.tenant && !$0.phase.isTerminal && $0.phase != .releasing }).sorted(by: { $0.id < $1.id })
            where !directory.covers(record, at: now) {
                try Self.transition(&record, .grantRevoked(reason: reason), at: now, by: caller.user, into: &batch, effects: &effects, in: s)
                batch.requests.append(record)
                batch.audit.append(AuditEntry(at: now, actor: caller.user, action: "request.revoke", target: "request/\(record.id)", detail: reason))
                ended.append(record)
            }
            batch.grants = [changed]
            batch.audit.append(AuditEntry(
                at: now, actor: caller.user, action: action, target: "grant/\(id)",
                detail: "\(changed.revokedAt != nil ? reason : "until \(Moment.text(changed.expiresAt))"); \(ended.count) requests revoked"))
            let released = ended.isEmpty ? "" : "; revoked: \(ended.map(\.id).joined(separator: ", "))"
            batch.notices.append(Notice(
                kind: changed.revokedAt != nil ? "grant.revoked" : "grant.adjusted", tenant: changed.tenant, subject: "grant/\(id)",
                message: (changed.revokedAt != nil
                    ? reason
                    : reason + "; it now ends at \(Moment.text(changed.expiresAt)) and lists "
                        + ((changed.entries ?? []).isEmpty ? "no entries" : "entries " + (changed.entries ?? []).joined(separator: ", "))
                        + (changed.priorities.map { $0.isEmpty ? "" : ", priorities " + $0.map(\.rawValue).joined(separator: ", ") } ?? "")) + released,
                at: now, recipients: s.directory.users(of: changed.tenant)))
            return (batch, { s in
                s.directory.grants[id] = changed
                effects.apply(to: &s)
                for record in ended { Self.store(record, in: &s) }
                return changed
            })
        }
        signalPlacement()
        return grant
    }

    public func grants(tenant: String?, by caller: Principal) throws(ServiceError) -> [Grant] {
        let scope = try caller.scope(tenant, for: .readQuotas)
        try requireTenant(scope)
        return state.withLock { s in s.directory.grants.values.filter { scope == nil || $0.tenant == scope }.sorted { $0.id < $1.id } }
    }
}
