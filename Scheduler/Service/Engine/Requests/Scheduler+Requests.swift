import Placement

/// A request as the API shows it: the record, why it waits, and its history on demand.
public struct RequestStatus: Sendable, Hashable {
    public var record: RequestRecord
    /// Why it waits, from its last try, while it waits.
    public var waiting: WaitReason?
    public var history: [HistoryEntry]

    public init(record: RequestRecord, waiting: WaitReason? = nil, history: [HistoryEntry] = []) {
        self.record = record
        self.waiting = waiting
        self.history = history
    }
}

/// The result of a submission: the requests, and whether they existed already (a retried POST
/// with the same idempotency key).
public struct Submission: Sendable, Hashable {
    public var requests: [RequestRecord]
    public var replayed: Bool
}

extension Scheduler {
    /// A request's id: its tenant, a colon and its name (the caller's, unique within the tenant,
    /// or generated).
    public static func requestID(tenant: String, name: String) -> String { "\(tenant):\(name)" }

    /// A filter naming a tenant that does not exist is a mistake worth saying, not an empty list.
    func requireTenant(_ tenant: String?) throws(ServiceError) {
        guard let tenant else { return }
        guard state.withLock({ $0.directory.tenants[tenant] != nil }) else { throw ServiceError.unprocessable("tenant", "there is no tenant '\(tenant)'") }
    }

    /// The request a caller means by `id`: `TENANT:NAME`, or for a tenant user its own `NAME`.
    public static func resolveRequestID(_ id: String, for caller: Principal) -> String {
        guard !id.contains(":"), let tenant = caller.tenant else { return id }
        return requestID(tenant: tenant, name: id)
    }

    /// Submits requests atomically: all are validated first, and either every one is queued or
    /// none is and the first error names its field (a request larger than its tenant's quota is
    /// refused: it could never run). With an idempotency key, a repeated submission returns the
    /// first one's requests and creates nothing.
    public func submit(_ specs: [RequestSpec], idempotencyKey: String? = nil, batch: Bool = false, by caller: Principal) throws(ServiceError) -> Submission {
        let submission = SubmissionInput(specs: specs, idempotencyKey: idempotencyKey, batch: batch, caller: caller)
        try submission.check(maxBatch: config.maxBatch)
        let now = now()
        let stored = try store.existingRequests(submission.namedIDs)
        let result = try change { (s: borrowing EngineState) throws(ServiceError) in try changes(for: submission, at: now, in: s, storedIDs: stored) }
        if !result.replayed { signalPlacement() }
        return result
    }

    /// What a submission stores and how it changes the state; throws naming the offending field.
    /// It is computed on `s` as if the requests of `pendingIDs` (earlier submissions of the same
    /// group commit) were open already; `storedIDs` are those of its `namedIDs` the store held
    /// before (read before the state's lock is taken: a request stored since is open).
    func changes(
        for submission: SubmissionInput, at now: Double, in s: borrowing EngineState, pendingIDs: Set<String> = [], storedIDs: Set<String>
    ) throws(ServiceError) -> (StoreBatch, (inout EngineState) -> Submission) {
        let (specs, idempotencyKey, batch, caller) = (submission.specs, submission.idempotencyKey, submission.batch, submission.caller)
        let prefix = { (i: Int) in batch ? "requests[\(i)]." : "" }
        // Resolve tenants first: the idempotency key is per tenant.
        var tenants: [String] = []
        for (i, spec) in specs.enumerated() {
            guard let tenant = spec.tenant ?? caller.tenant else {
                throw ServiceError.unprocessable(prefix(i) + "tenant", "required: an \(caller.role.rawValue) belongs to no tenant")
            }
            guard caller.may(.submitRequests, tenant: tenant) else {
                throw ServiceError(.forbidden, "\(caller.user) (\(caller.role.rawValue)) may not submit requests for tenant \(tenant)", field: prefix(i) + "tenant")
            }
            guard s.directory.tenants[tenant] != nil else { throw ServiceError.unprocessable(prefix(i) + "tenant", "there is no tenant '\(tenant)'") }
            tenants.append(tenant)
        }
        let fingerprint = submission.fingerprint
        if let key = idempotencyKey,
           let existing = try replay(key: key, tenant: tenants[0], count: specs.count, batch: batch, fingerprint: fingerprint, in: s) {
            return (StoreBatch(), { _ in Submission(requests: existing, replayed: true) })
        }
        var batchChanges = StoreBatch()
        var records: [RequestRecord] = []
        var ids: Set<String> = []
        for (i, spec) in specs.enumerated() {
            if let name = spec.id { try Identifier.check(name, field: prefix(i) + "id") }
            // Names are the tenant's own: another tenant's requests can neither collide nor be probed.
            let id = Self.requestID(tenant: tenants[i], name: spec.id ?? Token.generate(prefix: "r").prefix(18).description)
            guard ids.insert(id).inserted else { throw ServiceError.conflict("request id '\(id)' appears twice in the batch", field: prefix(i) + "id") }
            // Generated names are 64 random bits: only a caller's own name can collide.
            let taken = s.open[id] != nil || pendingIDs.contains(id) || storedIDs.contains(id)
            guard !taken else {
                throw ServiceError.conflict("tenant \(tenants[i]) has a request named '\(spec.id ?? id)' already", field: prefix(i) + "id")
            }
            // A component is the newest live version unless the request names one.
            var spec = spec
            let component = try spec.component.map { reference throws(ServiceError) in
                try Self.componentEntry(for: reference, in: s, field: prefix(i) + "component")
            }
            if let component { spec.component?.version = component.version }
            let request: PlacementRequest
            do throws(ValidationError) {
                // Kept resolved: a component's profile counts against quotas as it will run.
                request = try s.placer.validator.resolve(try spec.placementRequest(id: id, tenant: tenants[i], now: now), in: s.cluster).request
            } catch {
                throw ServiceError(error, fieldPrefix: prefix(i))
            }
            let provisionedFrom = i < submission.entries.count ? submission.entries[i].flatMap { s.directory.catalog[$0] } : nil
            let entry = component ?? provisionedFrom
            let restricted = entry?.needsGrant == true ? entry : nil
            // An entry's protection level and the kinds of users it is open to hold for requests
            // as for applications: a department's user cannot run what it could not apply for.
            if caller.role == .tenant, let entry, let user = s.directory.users[caller.user] {
                let field = prefix(i) + (component != nil ? "component" : "entry")
                if user.clearance < entry.securityLevel {
                    throw ServiceError(.forbidden, "\(entry.code) is at security level \(entry.securityLevel); \(user.id) is cleared to level \(user.clearance)", field: field)
                }
                if let kinds = entry.userKinds, !kinds.contains(user.kind) {
                    throw ServiceError(.forbidden, "\(entry.code) is open to \(kinds.map(\.rawValue).joined(separator: ", ")) users; \(user.id) is a \(user.kind.rawValue) user", field: field)
                }
            }
            // Classes that may preempt other departments' work are handed out by an operator's
            // quota (as Kubernetes limits a PriorityClass to namespaces with a quota for it) or by
            // a grant listing the class, which an approved application gives.
            var grantedPriority = false
            if caller.role == .tenant, config.priorities.band(of: request.priority).mayPreempt,
               s.scheduling.admission.config.tenants[request.tenant]?.quotas[request.priority] == nil {
                guard s.directory.mayUse(priority: request.priority, tenant: request.tenant, at: now) else {
                    throw ServiceError(
                        .forbidden,
                        "priority \(request.priority.rawValue) may preempt other departments' work: tenant \(request.tenant) needs a quota for \(request.priority.rawValue), set by an operator, or a grant listing it, from an approved application",
                        field: prefix(i) + "priority")
                }
                grantedPriority = true
            }
            if !s.directory.mayUse(partition: request.partition, tenant: request.tenant, at: now) {
                throw ServiceError.forbidden("tenant \(request.tenant) holds no grant for partition '\(request.partition)'")
            }
            if let restricted, !s.directory.mayUse(entry: restricted.code, tenant: request.tenant, at: now) {
                throw ServiceError(.forbidden, "tenant \(request.tenant) holds no grant for catalog entry \(restricted.code)", field: prefix(i) + (component != nil ? "component" : "entry"))
            }
            if let workload = spec.workload {
                try workload.validate(prefix: prefix(i))
                if (workload.vm != nil) != (request.kind == .vm) {
                    throw ServiceError.unprocessable(prefix(i) + "workload", "a request of kind \(request.kind.rawValue) runs a \(request.kind == .vm ? "vm" : "service"), not a \(workload.vm != nil ? "vm" : "service")")
                }
            }
            var record = RequestRecord(
                spec: request, workload: spec.workload, lifecycle: RequestLifecycle(maxRetries: config.maxRetries), submittedBy: caller.user, updatedAt: now,
                idempotencyKey: idempotencyKey.map { batch ? "\($0)#\(i)" : $0 })
            record.idempotencyFingerprint = idempotencyKey == nil ? nil : fingerprint
            record.restrictedEntry = restricted?.code
            record.catalogEntry = entry?.code
            record.application = submission.application
            record.grantedPriority = grantedPriority ? true : nil
            batchChanges.history.append(HistoryEntry(requestID: id, at: now, phase: "submitted", actor: caller.user))
            if let (dimension, message) = Self.quotaShortfall(of: request, quota: s.scheduling.admission.config.tenants[request.tenant]?.quotas[request.priority]) {
                throw ServiceError(.quotaExceeded, message, field: prefix(i) + dimension.apiField)
            }
            try Self.transition(&record, .admit, at: now, by: caller.user, into: &batchChanges)
            try Self.transition(&record, .enqueue, at: now, by: caller.user, into: &batchChanges)
            batchChanges.audit.append(AuditEntry(at: now, actor: caller.user, action: "request.submit", target: "request/\(id)", detail: record.phase.name))
            records.append(record)
        }
        batchChanges.requests = records
        return (batchChanges, { (s: inout EngineState) in
            for record in records {
                s.counters.submitted += 1
                s.open[record.id] = record
                s.enqueue(record.spec)
            }
            return Submission(requests: records, replayed: false)
        })
    }

    /// The dimension in which a request alone is larger than `quota` (its tenant's for its class),
    /// and that said with both figures in the API's units; nil when the quota admits it.
    static func quotaShortfall(of request: PlacementRequest, quota: Quota?) -> (Dimension, String)? {
        guard let quota, let dimension = quota.firstExceeded(by: Usage(of: request)) else { return nil }
        let asked = Usage(of: request)
        let amount = dimension == .gpu ? asked.gpuMilli : asked.resources.value(of: dimension)
        let limit = dimension == .gpu ? quota.gpuMilli : quota.resources.value(of: dimension)
        return (dimension, "the request asks for \(dimension.amountInAPIUnits(amount)) in all, more than tenant \(request.tenant)'s \(request.priority.rawValue) quota of \(dimension.amountInAPIUnits(limit)): it could never run")
    }

    /// The requests of an earlier submission with the same key, or nil when there was none.
    /// A key names one submission: the same key with another body, another size or the other
    /// endpoint (single or batch) is a conflict, not a silent replay of the first.
    func replay(
        key: String, tenant: String, count: Int, batch: Bool, fingerprint: String, in s: borrowing EngineState
    ) throws(ServiceError) -> [RequestRecord]? {
        if try store.requestID(tenant: tenant, idempotencyKey: batch ? key : "\(key)#0") != nil {
            throw ServiceError.conflict("idempotency key '\(key)' was used for a \(batch ? "single" : "batch") submission", field: "Idempotency-Key")
        }
        let keys = batch ? (0..<count).map { "\(key)#\($0)" } : [key]
        var found: [RequestRecord] = []
        for k in keys {
            guard let id = try store.requestID(tenant: tenant, idempotencyKey: k) else { break }
            if let record = s.open[id] {
                found.append(record)
            } else if let record = try store.request(id: id) {
                found.append(record)
            }
        }
        if found.isEmpty { return nil }
        guard found.count == count, found.allSatisfy({ $0.idempotencyFingerprint == nil || $0.idempotencyFingerprint == fingerprint }) else {
            throw ServiceError.conflict("idempotency key '\(key)' was used for a different submission: send it again unchanged, or use a new key", field: "Idempotency-Key")
        }
        return found
    }

    /// A request with its history, if the caller may see it. `id` is `TENANT:NAME`, or the name
    /// alone for a tenant user's own request.
    public func request(_ id: String, by caller: Principal) throws(ServiceError) -> RequestStatus {
        let id = Self.resolveRequestID(id, for: caller)
        let (open, waiting) = state.withLock { s in (s.open[id], s.scheduling.waitReason(of: id)) }
        var found = open
        if found == nil { found = try store.request(id: id) }
        guard let record = found else { throw ServiceError.notFound("request \(id)") }
        guard caller.may(.readRequests, tenant: record.tenant) else { throw ServiceError.notFound("request \(id)") }
        return RequestStatus(record: record, waiting: waiting, history: try store.history(ofRequest: id))
    }

    /// Requests, newest first. A tenant caller sees only its own.
    public func requests(_ query: RequestQuery, by caller: Principal) throws(ServiceError) -> [RequestStatus] {
        var query = query
        query.tenant = try caller.scope(query.tenant, for: .readRequests)
        try requireTenant(query.tenant)
        let stored = try store.requests(query)
        return state.withLock { s in stored.map { RequestStatus(record: s.open[$0.id] ?? $0, waiting: s.scheduling.waitReason(of: $0.id)) } }
    }

    /// Asks for a request's release: a pending one ends at once; a placed one is stopped on its
    /// nodes and releases its allocation when its agents report it gone.
    public func release(_ id: String, by caller: Principal) throws(ServiceError) -> RequestRecord {
        try end(Self.resolveRequestID(id, for: caller), with: .release, action: "request.release", by: caller)
    }

    /// Moves a lease end later by `seconds`; a lease may not end more than `Limits.maxLeaseSeconds`
    /// from now.
    public func extendLease(_ id: String, bySeconds seconds: Int64, by caller: Principal) throws(ServiceError) -> RequestRecord {
        guard (1...Limits.maxLeaseSeconds).contains(seconds) else {
            throw ServiceError.invalid("seconds", "must be between 1 and \(Limits.maxLeaseSeconds) seconds (10 years), got \(seconds)")
        }
        let id = Self.resolveRequestID(id, for: caller)
        let now = now()
        return try change { (s: borrowing EngineState) throws(ServiceError) in
            guard var record = s.open[id], caller.may(.readRequests, tenant: record.tenant) else {
                if let stored = try store.request(id: id), caller.may(.readRequests, tenant: stored.tenant) {
                    throw ServiceError.conflict("request \(id) is \(stored.phase.name): its lease cannot be extended")
                }
                throw ServiceError.notFound("request \(id)")
            }
            try caller.require(.changeRequests, tenant: record.tenant)
            guard record.phase == .queued || record.phase.holdsAllocation else {
                throw ServiceError.conflict("cannot extend the lease of a request that is \(record.phase.name)")
            }
            guard record.spec.leaseSeconds != nil else {
                throw ServiceError.conflict("request \(id) has no lease to extend: it runs until it is released")
            }
            let lease = (record.spec.leaseSeconds ?? 0).saturatingAdd(seconds)
            let end = record.leaseEndsAt.map { $0 + Double(seconds) }
            guard (end ?? now + Double(lease)) - now <= Double(Limits.maxLeaseSeconds) else {
                throw ServiceError.conflict("the lease would end more than \(Limits.maxLeaseSeconds) seconds (10 years) from now", field: "seconds")
            }
            record.spec.leaseSeconds = lease
            record.leaseEndsAt = end
            record.updatedAt = now
            var batch = StoreBatch()
            batch.requests = [record]
            batch.audit = [AuditEntry(at: now, actor: caller.user, action: "request.extend", target: "request/\(id)", detail: "+\(seconds)s")]
            let updated = record
            return (batch, { s in
                s.open[id] = updated
                if updated.phase.holdsAllocation { s.scheduleLease(of: updated) }
                for node in Set(updated.allocation?.replicas.map(\.nodeID) ?? []) where s.fleet.isConnected(node) {
                    for workload in updated.workloads(on: node) { s.fleet.outbox.append((node, .update(workload))) }
                }
                s.scheduling.update(updated.spec)
                return updated
            })
        }
    }

    /// Applies an ending event (release, expiry, revocation, reclamation) to an open request.
    func end(_ id: String, with event: RequestEvent, action: String, by caller: Principal) throws(ServiceError) -> RequestRecord {
        let now = now()
        let record = try change { (s: borrowing EngineState) throws(ServiceError) in
            guard var record = s.open[id], caller.may(.readRequests, tenant: record.tenant) else {
                if let stored = try store.request(id: id), caller.may(.readRequests, tenant: stored.tenant) {
                    throw ServiceError.conflict("request \(id) is \(stored.phase.name) already")
                }
                throw ServiceError.notFound("open request \(id)")
            }
            try caller.require(.changeRequests, tenant: record.tenant)
            var batch = StoreBatch()
            var effects = Effects()
            try Self.transition(&record, event, at: now, by: caller.user, into: &batch, effects: &effects, in: s)
            batch.audit.append(AuditEntry(at: now, actor: caller.user, action: action, target: "request/\(id)", detail: record.phase.name))
            batch.requests = [record]
            let final = record
            return (batch, { s in
                effects.apply(to: &s)
                Self.store(final, in: &s)
                return final
            })
        }
        signalPlacement()
        return record
    }
}
