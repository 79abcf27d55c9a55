import Foundation
import Placement

/// An application as a department writes it.
public struct ApplicationInput: Sendable, Hashable, Encodable {
    /// Defaults to the caller's tenant.
    public var tenant: String?
    public var purpose: String
    public var industry: String?
    public var scenario: String?
    public var durationSeconds: Int64
    public var items: [ApplicationItem]
    /// Keep it as a draft instead of submitting it.
    public var draft: Bool

    public init(tenant: String? = nil, purpose: String, industry: String? = nil, scenario: String? = nil, durationSeconds: Int64, items: [ApplicationItem], draft: Bool = false) {
        self.tenant = tenant
        self.purpose = purpose
        self.industry = industry
        self.scenario = scenario
        self.durationSeconds = durationSeconds
        self.items = items
        self.draft = draft
    }
}

/// An application with the requests its provisioning created, as they stand.
/// An application's tenant's quotas, with what they hold, and its budget (`decisionContext`).
public struct DecisionContext: Sendable {
    public var quotas: [(QuotaRecord, used: Usage)]
    public var budget: BudgetStatus
}

public struct ApplicationStatus: Sendable, Hashable {
    public var application: Application
    public var requests: [RequestRecord]
    /// The answer to a retry with the same idempotency key: nothing new was written.
    public var replayed = false

    public init(application: Application, requests: [RequestRecord]) {
        self.application = application
        self.requests = requests
    }
}

/// One item of an application, checked against the catalog and the cluster: the request it
/// becomes once approved.
struct ResolvedItem {
    var entry: CatalogEntry?
    var spec: RequestSpec
    var request: PlacementRequest
}

extension Scheduler {
    public static let maxApplicationItems = 64
    static let fingerprintEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        return encoder
    }()

    // MARK: Applying

    /// Writes an application and, unless it is a draft, submits it: its items are checked as the
    /// requests they become, against the applicant's clearance and kind, and its steps are set
    /// from the approval policies (none: approved and provisioned at once).
    /// With an idempotency key, a repeated application returns the first and writes nothing.
    public func apply(_ input: ApplicationInput, idempotencyKey: String? = nil, by caller: Principal) throws(ServiceError) -> ApplicationStatus {
        try SubmissionInput.checkIdempotencyKey(idempotencyKey)
        guard let tenant = input.tenant ?? caller.tenant else { throw ServiceError.unprocessable("tenant", "required: an \(caller.role.rawValue) belongs to no tenant") }
        try caller.require(.applyForResources, tenant: tenant)
        let fingerprint = Token.hash(String(decoding: (try? Self.fingerprintEncoder.encode(input)) ?? Data(), as: UTF8.self))
        if let key = idempotencyKey, let id = try store.applicationID(tenant: tenant, idempotencyKey: key), let first = try current(id) {
            guard first.idempotencyFingerprint == fingerprint else {
                throw ServiceError.conflict("idempotency key '\(key)' was used for a different application: send it again unchanged, or use a new key", field: "Idempotency-Key")
            }
            var replay = try status(of: first)
            replay.replayed = true
            return replay
        }
        let purpose = input.purpose.trimmingCharacters(in: .whitespaces)
        guard !purpose.isEmpty else { throw ServiceError.unprocessable("purpose", "say what the resources are for") }
        guard DisplayText.isValid(purpose, maxLength: 2000) else { throw ServiceError.invalid("purpose", "must be 1 to 2000 characters, none a control character") }
        for (field, value) in [("industry", input.industry), ("scenario", input.scenario)] {
            if let value, value.isEmpty || !DisplayText.isValid(value, maxLength: 200) { throw ServiceError.invalid(field, "must be 1 to 200 characters, none a control character") }
        }
        guard (1...Limits.maxLeaseSeconds).contains(input.durationSeconds) else {
            throw ServiceError.invalid("durationSeconds", "must be between 1 and \(Limits.maxLeaseSeconds) seconds (10 years), got \(input.durationSeconds)")
        }
        guard (1...Self.maxApplicationItems).contains(input.items.count) else {
            throw ServiceError.invalid("items", "an application asks for 1 to \(Self.maxApplicationItems) items, got \(input.items.count)")
        }
        let now = now()
        let id = Token.generate(prefix: "a").prefix(14).description
        var application = Application(
            id: id, tenant: tenant, applicant: caller.user, purpose: purpose, industry: input.industry, scenario: input.scenario,
            durationSeconds: input.durationSeconds, items: input.items, createdAt: now)
        application.idempotencyKey = idempotencyKey
        application.idempotencyFingerprint = idempotencyKey == nil ? nil : fingerprint
        let result = try change { (s: borrowing EngineState) throws(ServiceError) in
            guard s.directory.tenants[tenant] != nil else { throw ServiceError.unprocessable("tenant", "there is no tenant '\(tenant)'") }
            // Two retries at once: the second finds the first as the writer.
            if let key = idempotencyKey, try store.applicationID(tenant: tenant, idempotencyKey: key) != nil {
                throw ServiceError.conflict("an application with idempotency key '\(key)' was just written: send it again to read it", field: "Idempotency-Key")
            }
            let items = try resolve(application, in: s, at: now)
            var batch = StoreBatch()
            batch.audit = [AuditEntry(at: now, actor: caller.user, action: "application.create", target: "application/\(id)", detail: "\(input.items.count) items for \(tenant)")]
            if !input.draft { try submitting(&application, items: items, at: now, by: caller.user, in: s, into: &batch) }
            batch.applications = [application]
            let written = application
            let grants = batch.grants
            return (batch, { s in
                s.applications[id] = written
                for grant in grants { s.directory.grants[grant.id] = grant }
                return written
            })
        }
        if result.state == .approved { provision(id) }
        return try status(of: current(id) ?? result)
    }

    /// Submits a draft.
    public func submitApplication(_ id: String, by caller: Principal) throws(ServiceError) -> ApplicationStatus {
        let now = now()
        let result = try changeApplication(id, by: caller) { (application: inout Application, s: borrowing EngineState, batch: inout StoreBatch) throws(ServiceError) in
            guard application.applicant == caller.user || caller.role == .admin else { throw ServiceError.forbidden("only its applicant submits application \(id)") }
            try submitting(&application, items: try resolve(application, in: s, at: now), at: now, by: caller.user, in: s, into: &batch)
        }
        if result.state == .approved { provision(id) }
        return try status(of: current(id) ?? result)
    }

    /// Decides the current step: an approval moves to the next step or, at the last, approves the
    /// application (grants are given and requests created); a rejection, with its reason, ends it.
    public func decideApplication(_ id: String, approve: Bool, comment: String?, by caller: Principal) throws(ServiceError) -> ApplicationStatus {
        try caller.require(.decideApplications, tenant: caller.tenant)
        if let comment, !DisplayText.isValid(comment, maxLength: 2000) { throw ServiceError.invalid("comment", "must be at most 2000 characters, none a control character") }
        if !approve, (comment ?? "").trimmingCharacters(in: .whitespaces).isEmpty { throw ServiceError.unprocessable("comment", "a rejection says why: the applicant is told") }
        let now = now()
        let result = try changeApplication(id, by: caller) { (application: inout Application, s: borrowing EngineState, batch: inout StoreBatch) throws(ServiceError) in
            guard let index = application.lifecycle.currentStep else { throw ServiceError.conflict("application \(id) is \(application.state.rawValue): there is nothing to decide") }
            let step = application.lifecycle.steps[index]
            guard application.applicant != caller.user else { throw ServiceError.forbidden("\(caller.user) applied: an applicant does not decide its own application") }
            guard s.directory.mayDecide(step, caller: caller) else { throw ServiceError.forbidden("step \(index + 1) of application \(id) is for \(step.who) to decide, not \(caller.user)") }
            let actions = try Self.handle(&application, .decide(approve: approve, by: caller.user, comment: comment, at: now))
            if application.state == .approved { granting(&application, items: try resolve(application, in: s, at: now), at: now, by: caller.user, into: &batch, in: s) }
            batch.audit.append(AuditEntry(
                at: now, actor: caller.user, action: approve ? "application.approve" : "application.reject", target: "application/\(id)",
                detail: "step \(index + 1) (\(step.who))" + (comment.map { ": \($0)" } ?? "")))
            Self.notify(actions, of: application, at: now, in: s, into: &batch)
        }
        if result.state == .approved { provision(id) }
        return try status(of: current(id) ?? result)
    }

    /// Withdraws an application not yet decided.
    public func withdrawApplication(_ id: String, reason: String?, by caller: Principal) throws(ServiceError) -> ApplicationStatus {
        if let reason, !DisplayText.isValid(reason, maxLength: 2000) { throw ServiceError.invalid("reason", "must be at most 2000 characters, none a control character") }
        let now = now()
        let result = try changeApplication(id, by: caller) { (application: inout Application, s: borrowing EngineState, batch: inout StoreBatch) throws(ServiceError) in
            guard application.applicant == caller.user || caller.role == .admin else { throw ServiceError.forbidden("only its applicant withdraws application \(id)") }
            let awaited = application.lifecycle.currentStep.map { application.lifecycle.steps[$0] }
            _ = try Self.handle(&application, .withdraw(reason: reason))
            batch.audit.append(AuditEntry(at: now, actor: caller.user, action: "application.withdraw", target: "application/\(id)", detail: reason ?? ""))
            // Its deciders stop waiting for it; its tenant's webhooks hear of it.
            batch.notices.append(Notice(
                kind: "application.withdrawn", tenant: application.tenant, subject: "application/\(id)",
                message: "application \(id) of \(application.tenant) was withdrawn" + (reason.map { ": \($0)" } ?? ""), at: now,
                recipients: awaited.map { s.directory.deciders(of: $0) } ?? []))
        }
        return try status(of: result)
    }

    /// An application the caller may see: its tenant's users, the platform's roles, and the
    /// deciders of its steps.
    public func application(_ id: String, by caller: Principal) throws(ServiceError) -> ApplicationStatus {
        guard let found = try current(id), mayRead(found, caller) else {
            throw ServiceError.notFound("application \(id)")
        }
        return try status(of: found)
    }

    /// Whether the caller decides the application's current step (never its own application).
    public func decidesNow(_ application: Application, by caller: Principal) -> Bool {
        guard let index = application.lifecycle.currentStep, application.applicant != caller.user else { return false }
        return state.withLock { $0.directory.mayDecide(application.lifecycle.steps[index], caller: caller) }
    }

    /// What a decider weighs beside an application: its tenant's quotas with what they hold, and
    /// where it stands against its budget. For whoever decides its current step (an owner's
    /// approver reads them for this application only) and whoever reads that tenant's quotas.
    public func decisionContext(_ id: String, by caller: Principal) throws(ServiceError) -> DecisionContext {
        guard let found = try current(id), mayRead(found, caller) else { throw ServiceError.notFound("application \(id)") }
        guard decidesNow(found, by: caller) || (caller.may(.readQuotas, tenant: found.tenant) && caller.may(.readUsage, tenant: found.tenant)) else {
            throw ServiceError.forbidden("\(caller.user) neither decides application \(id) now nor reads the quotas of tenant \(found.tenant)")
        }
        return DecisionContext(quotas: try quotas(tenant: found.tenant, by: .system), budget: try budget(tenant: found.tenant, by: .system))
    }

    /// Applications, newest first: a tenant user's own tenant's, or with `awaitingMe` those whose
    /// current step the caller decides (an approver's queue), the nearest deadline first.
    public func applications(_ query: ApplicationQuery, awaitingMe: Bool = false, by caller: Principal) throws(ServiceError) -> [Application] {
        if awaitingMe {
            try caller.require(.decideApplications, tenant: caller.tenant)
            return state.withLock { s in
                s.applications.values.filter { application in
                    guard let index = application.lifecycle.currentStep, application.applicant != caller.user else { return false }
                    return s.directory.mayDecide(application.lifecycle.steps[index], caller: caller)
                        && (query.tenant == nil || application.tenant == query.tenant) && (query.state == nil || application.state == query.state)
                }
                .sorted { ($0.currentDeadline ?? 0, $0.id) < ($1.currentDeadline ?? 0, $1.id) }
                .prefix(query.limit).map { $0 }
            }
        }
        var query = query
        query.tenant = try caller.scope(query.tenant, for: .readApplications)
        try requireTenant(query.tenant)
        return try store.applications(query)
    }

    // MARK: Approval policies

    /// Sets the policy of a scope, replacing the one it had.
    public func setApprovalPolicy(_ policy: ApprovalPolicy, by caller: Principal) throws(ServiceError) -> ApprovalPolicy {
        try caller.require(.manageApprovalPolicies)
        try policy.check()
        var policy = policy
        policy.updatedAt = now()
        policy.updatedBy = caller.user
        let set = policy
        return try change { (s: borrowing EngineState) throws(ServiceError) in
            if case .entry(let code) = set.scope, s.directory.catalog[code] == nil { throw ServiceError.notFound("catalog entry \(code)") }
            var batch = StoreBatch()
            batch.approvalPolicies = [set]
            batch.audit = [AuditEntry(
                at: set.updatedAt, actor: caller.user, action: "policy.set", target: "policy/\(set.scope)",
                detail: set.steps.map(\.decider.rawValue).joined(separator: " -> ") + (set.autoApprove != nil ? ", auto-approval" : ""))]
            return (batch, { s in
                s.directory.approvalPolicies[set.scope] = set
                return set
            })
        }
    }

    public func approvalPolicies(by caller: Principal) throws(ServiceError) -> [ApprovalPolicy] {
        try caller.require(.readCatalog)
        return state.withLock { s in s.directory.approvalPolicies.values.sorted { $0.scope.description < $1.scope.description } }
    }

    public func removeApprovalPolicy(_ scope: PolicyScope, by caller: Principal) throws(ServiceError) {
        try caller.require(.manageApprovalPolicies)
        let now = now()
        try change { (s: borrowing EngineState) throws(ServiceError) in
            guard s.directory.approvalPolicies[scope] != nil else { throw ServiceError.notFound("approval policy \(scope)") }
            var batch = StoreBatch()
            batch.removedApprovalPolicies = [scope]
            batch.audit = [AuditEntry(at: now, actor: caller.user, action: "policy.remove", target: "policy/\(scope)")]
            return (batch, { s in s.directory.approvalPolicies[scope] = nil })
        }
    }

    // MARK: Provisioning

    /// Creates the requests of an approved application that has none yet, in the applicant's
    /// name, under one idempotency key: a crash between approval and provisioning is mended by
    /// the next call (every placement tick calls it for what is pending). A refusal (a quota, a
    /// retired entry) is reported on the application and to the applicant.
    func provision(_ id: String) {
        let now = now()
        do {
            try change { (s: borrowing EngineState) throws(ServiceError) in
                guard var application = s.applications[id], application.state == .approved, application.provisioning == nil else { return (StoreBatch(), { _ in }) }
                let applicant = Principal(user: application.applicant, role: .tenant, tenant: application.tenant)
                var batch = StoreBatch()
                var submitted: ((inout EngineState) -> Submission)?
                do throws(ServiceError) {
                    let items = try resolve(application, in: s, at: now)
                    let specs = items.map(\.spec)
                    let submission = SubmissionInput(
                        specs: specs, idempotencyKey: "application-\(id)", batch: true, caller: applicant, application: id, entries: items.map { $0.entry?.code })
                    (batch, submitted) = try changes(for: submission, at: now, in: s, storedIDs: try store.existingRequests(submission.namedIDs))
                    let requests = specs.compactMap(\.id).map { Self.requestID(tenant: application.tenant, name: $0) }
                    application.provisioning = Provisioning(at: now, requests: requests)
                    batch.notices.append(Notice(
                        kind: "provisioning.started", tenant: application.tenant, subject: "application/\(id)",
                        message: "application \(id) is approved and its requests are created: \(requests.joined(separator: ", "))", at: now,
                        recipients: [application.applicant]))
                } catch {
                    application.provisioning = Provisioning(at: now, requests: [], error: error.description)
                    batch.notices.append(Notice(
                        kind: "provisioning.failed", tenant: application.tenant, subject: "application/\(id)",
                        message: "application \(id) is approved but its requests could not be created: \(error.description)", at: now,
                        recipients: [application.applicant]))
                }
                application.updatedAt = now
                batch.applications.append(application)
                batch.audit.append(AuditEntry(
                    at: now, actor: "scheduler", action: "application.provision", target: "application/\(id)",
                    detail: application.provisioning?.error ?? application.provisioning?.requests.joined(separator: ", ") ?? ""))
                return (batch, { [submitted] s in
                    _ = submitted?(&s)
                    s.applications[id] = nil
                })
            }
        } catch {
            logger.error("cannot provision application \(id): \(error)")
            return
        }
        signalPlacement()
    }

    /// Provisions every approved application still waiting (after a restart, or a failed commit).
    public func provisionApproved() {
        let pending = state.withLock { s in s.applications.values.filter { $0.state == .approved && $0.provisioning == nil }.map(\.id).sorted() }
        for id in pending { provision(id) }
    }

    // MARK: In the placement pass

    /// Ends the review of applications whose current step's deadline has passed.
    func expireApplications(at now: Double, in s: inout EngineState, into batch: inout StoreBatch) {
        for var application in s.applications.values.sorted(by: { $0.id < $1.id }) {
            guard let index = application.lifecycle.currentStep, let deadline = application.lifecycle.steps[index].deadline, deadline <= now,
                  let actions = try? Self.handle(&application, .expire)
            else { continue }
            application.updatedAt = now
            batch.applications.append(application)
            batch.audit.append(AuditEntry(at: now, actor: "scheduler", action: "application.expire", target: "application/\(application.id)", detail: application.lifecycle.reason ?? ""))
            Self.notify(actions, of: application, at: now, in: s, into: &batch)
            s.applications[application.id] = nil
        }
    }

    // MARK: Parts

    /// Applies `body` to an open application and stores it; `notFound` for one the caller may not
    /// see, `conflict` for one that is decided.
    private func changeApplication(
        _ id: String, by caller: Principal, _ body: (inout Application, borrowing EngineState, inout StoreBatch) throws(ServiceError) -> Void
    ) throws(ServiceError) -> Application {
        let now = now()
        return try change { (s: borrowing EngineState) throws(ServiceError) in
            guard var application = s.applications[id], mayRead(application, caller, in: s) else {
                if let stored = try store.application(id: id), mayRead(stored, caller, in: s) {
                    throw ServiceError.conflict("application \(id) is \(stored.state.rawValue) already")
                }
                throw ServiceError.notFound("application \(id)")
            }
            var batch = StoreBatch()
            try body(&application, s, &batch)
            application.updatedAt = now
            batch.applications.append(application)
            let changed = application
            let grants = batch.grants
            return (batch, { s in
                s.applications[id] = changed.isOpen ? changed : nil
                for grant in grants { s.directory.grants[grant.id] = grant }
                return changed
            })
        }
    }

    /// Sends an application for review with the steps its items' policies ask for.
    private func submitting(
        _ application: inout Application, items: [ResolvedItem], at now: Double, by actor: String, in s: borrowing EngineState, into batch: inout StoreBatch
    ) throws(ServiceError) {
        let steps = steps(for: application, items: items, in: s)
        let actions = try Self.handle(&application, .submit(steps: steps, at: now))
        application.submittedAt = now
        if application.state == .approved { granting(&application, items: items, at: now, by: actor, into: &batch, in: s) }
        batch.audit.append(AuditEntry(
            at: now, actor: actor, action: "application.submit", target: "application/\(application.id)",
            detail: steps.isEmpty ? "approved automatically" : steps.map(\.who).joined(separator: " -> ")))
        batch.notices.append(Notice(
            kind: "application.submitted", tenant: application.tenant, subject: "application/\(application.id)",
            message: "application \(application.id) (\(application.purpose)) is submitted: "
                + (steps.isEmpty ? "approved automatically by its policies" : "to be decided by " + steps.map(\.who).joined(separator: ", then ")),
            at: now, recipients: [application.applicant]))
        Self.notify(actions.filter { $0 != .tellApplicant }, of: application, at: now, in: s, into: &batch)
    }

    /// The grants an approved application gives: for each partition its items use, one listing the
    /// entries that need a grant and the preempting priorities its tenant has no quota for, unless
    /// the items there need none. Each lasts the application's duration.
    private func granting(_ application: inout Application, items: [ResolvedItem], at now: Double, by actor: String, into batch: inout StoreBatch, in s: borrowing EngineState) {
        var byPartition: [String: (entries: Set<String>, priorities: Set<PriorityClass>)] = [:]
        for item in items {
            var needs = byPartition[item.request.partition] ?? ([], [])
            if let entry = item.entry, entry.needsGrant { needs.entries.insert(entry.code) }
            if grantsPriority(item.request, in: s) { needs.priorities.insert(item.request.priority) }
            byPartition[item.request.partition] = needs
        }
        let expiresAt = now + Double(application.durationSeconds)
        for (partition, needs) in byPartition.sorted(by: { $0.key < $1.key }) where partition != "public" || !needs.entries.isEmpty || !needs.priorities.isEmpty {
            let grant = Grant(
                id: Token.generate(prefix: "g").prefix(14).description, tenant: application.tenant, partition: partition,
                entries: needs.entries.isEmpty ? nil : needs.entries.sorted(), priorities: needs.priorities.isEmpty ? nil : needs.priorities.sorted { $0.rawValue < $1.rawValue },
                expiresAt: expiresAt, createdAt: now, application: application.id)
            application.grants.append(grant.id)
            batch.grants.append(grant)
            batch.audit.append(AuditEntry(
                at: now, actor: actor, action: "grant.create", target: "grant/\(grant.id)",
                detail: "\(application.tenant) may use \(partition) until \(Moment.text(expiresAt)), by application \(application.id)"))
        }
    }

    /// Whether a request runs at a priority that may preempt which its tenant has no quota for:
    /// only a grant lets it.
    private func grantsPriority(_ request: PlacementRequest, in s: borrowing EngineState) -> Bool {
        config.priorities.band(of: request.priority).mayPreempt && s.scheduling.admission.config.tenants[request.tenant]?.quotas[request.priority] == nil
    }

    /// Each item as the request it becomes, checked as a submission would be (fields named
    /// `items[i]...`), and against the applicant's clearance and kind.
    func resolve(_ application: Application, in s: borrowing EngineState, at now: Double) throws(ServiceError) -> [ResolvedItem] {
        let applicant = s.directory.users[application.applicant]
        var resolved: [ResolvedItem] = []
        for (i, item) in application.items.enumerated() {
            let field = "items[\(i)]"
            if let quantity = item.quantity, !(1...Limits.maxReplicas).contains(quantity) {
                throw ServiceError.invalid("\(field).quantity", "must be 1 to \(Limits.maxReplicas), got \(quantity)")
            }
            var spec = item.request ?? RequestSpec()
            for (name, given) in [("id", spec.id != nil), ("tenant", spec.tenant != nil), ("leaseSeconds", spec.leaseSeconds != nil), ("replicas", spec.replicas != nil)] where given {
                throw ServiceError.unprocessable("\(field).request.\(name)", "comes from the application (its id, tenant, durationSeconds and the item's quantity)")
            }
            var entry: CatalogEntry?
            if let code = item.entry {
                guard let found = s.directory.catalog[code] else { throw ServiceError.unprocessable("\(field).entry", "there is no catalog entry \(code)") }
                guard !found.retired else { throw ServiceError.unprocessable("\(field).entry", "\(code) is retired: it takes no new use") }
                let fromEntry: [(String, Bool)] = [
                    ("cpu", spec.cpu != nil), ("memoryMiB", spec.memoryMiB != nil), ("diskGiB", spec.diskGiB != nil), ("bandwidthMbps", spec.bandwidthMbps != nil),
                    ("gpu", spec.gpu != nil), ("component", spec.component != nil), ("partition", spec.partition != nil), ("allowedClasses", spec.allowedClasses != nil),
                ]
                for (name, given) in fromEntry where given {
                    throw ServiceError.unprocessable("\(field).request.\(name)", "comes from the catalog entry \(code)")
                }
                spec.partition = found.partition
                if let component = found.component {
                    spec.component = ComponentReference(name: component.name, version: component.version)
                } else {
                    spec.cpu = CPU.cores(found.resources.cpuMillis)
                    spec.memoryMiB = found.resources.memoryMiB
                    spec.diskGiB = found.resources.diskGiB
                    spec.bandwidthMbps = found.resources.bandwidthMbps
                    spec.gpu = found.gpu.map(GPURequestSpec.init)
                    spec.allowedClasses = found.nodeClass.map { [$0] }
                }
                entry = found
            } else if let reference = spec.component {
                // A request written out that names a component uses that entry.
                entry = try Self.componentEntry(for: reference, in: s, field: "\(field).request.component")
            } else if item.request == nil {
                throw ServiceError.unprocessable(field, "give a catalog entry's code (entry) or a request written out (request)")
            }
            if let entry, let applicant {
                let entryField = item.entry != nil ? "\(field).entry" : "\(field).request.component"
                if applicant.clearance < entry.securityLevel {
                    throw ServiceError(.forbidden, "\(entry.code) is at security level \(entry.securityLevel); \(applicant.id) is cleared to level \(applicant.clearance)", field: entryField)
                }
                if let kinds = entry.userKinds, !kinds.contains(applicant.kind) {
                    throw ServiceError(
                        .forbidden, "\(entry.code) is open to \(kinds.map(\.rawValue).joined(separator: ", ")) users; \(applicant.id) is a \(applicant.kind.rawValue) user",
                        field: entryField)
                }
            }
            let name = "\(application.id)-\(i + 1)"
            spec.id = name
            spec.replicas = item.quantity ?? 1
            spec.leaseSeconds = application.durationSeconds
            let request: PlacementRequest
            do throws(ValidationError) {
                request = try s.placer.validator.resolve(try spec.placementRequest(id: Self.requestID(tenant: application.tenant, name: name), tenant: application.tenant, now: now), in: s.cluster).request
            } catch {
                throw ServiceError(error, fieldPrefix: "\(field).request.")
            }
            if let workload = spec.workload { try workload.validate(prefix: "\(field).request.") }
            // Larger than its tenant's quota for its priority, it could never run: refused now,
            // not approved and then failed.
            if let (dimension, message) = Self.quotaShortfall(of: request, quota: s.scheduling.admission.config.tenants[application.tenant]?.quotas[request.priority]) {
                throw ServiceError(.quotaExceeded, message, field: item.entry != nil ? "\(field).quantity" : "\(field).request.\(dimension.apiField)")
            }
            resolved.append(ResolvedItem(entry: entry, spec: spec, request: request))
        }
        return resolved
    }

    /// The steps an application goes through: for each item its policy's (the most specific set,
    /// else the one its entry's sharing implies), none for an item its policy approves
    /// automatically (an operator's for one a policy without steps does not), no owner's for the
    /// owner's own entries, an operator's for a preempting priority its tenant has no quota for,
    /// and a security officer's for entries at the higher levels. Merged: owners first, then the
    /// operator, then security; each decider once, with the longest deadline asked.
    private func steps(for application: Application, items: [ResolvedItem], in s: borrowing EngineState) -> [ApprovalStep] {
        var asked: [PriorityClass: Usage] = [:]
        for item in items { asked[item.request.priority, default: Usage()] = asked[item.request.priority, default: Usage()] + Usage(of: item.request) }
        let applicant = s.directory.users[application.applicant]
        var merged: [ApprovalStep] = []
        func add(_ decider: Decider, department: String?, hours: Double) {
            if let i = merged.firstIndex(where: { $0.decider == decider && $0.department == department }) {
                merged[i].deadlineHours = max(merged[i].deadlineHours, hours)
            } else {
                merged.append(ApprovalStep(decider: decider, department: department, deadlineHours: hours))
            }
        }
        for item in items {
            let set = s.directory.policy(entry: item.entry, partition: item.request.partition)
            let (rules, auto) = set.map { ($0.steps, $0.autoApprove) } ?? ApprovalPolicy.implied(by: item.entry)
            let preempts = grantsPriority(item.request, in: s)
            let priority = item.request.priority
            let automatic = !preempts && auto.map { auto in
                let kindAllowed = auto.userKinds.map { kinds in applicant.map { kinds.contains($0.kind) } ?? false } ?? true
                guard kindAllowed else { return false }
                guard auto.withinQuota ?? true else { return true }
                guard let quota = s.scheduling.admission.config.tenants[application.tenant]?.quotas[priority] else { return false }
                return quota.firstExceeded(by: s.scheduling.admission.usage(of: application.tenant, priority: priority) + asked[priority, default: Usage()]) == nil
            } ?? false
            if !automatic {
                // A policy that only approves automatically sends what it does not approve to an
                // operator.
                if rules.isEmpty { add(.operator, department: nil, hours: StepRule.defaultDeadlineHours) }
                for rule in rules {
                    let hours = rule.deadlineHours ?? StepRule.defaultDeadlineHours
                    switch rule.decider {
                    case .owner:
                        // A department needs no leave of its own to use its own entry.
                        guard let owner = item.entry?.owner else { add(.operator, department: nil, hours: hours); continue }
                        if owner != application.tenant { add(.owner, department: owner, hours: hours) }
                    case .operator, .security:
                        add(rule.decider, department: nil, hours: hours)
                    }
                }
            }
            if preempts { add(.operator, department: nil, hours: StepRule.defaultDeadlineHours) }
            if let entry = item.entry, entry.securityLevel >= SecurityLevel.reviewedBySecurity { add(.security, department: nil, hours: StepRule.defaultDeadlineHours) }
        }
        let rank: [Decider: Int] = [.owner: 0, .operator: 1, .security: 2]
        return merged.enumerated().sorted { (rank[$0.element.decider]!, $0.offset) < (rank[$1.element.decider]!, $1.offset) }.map(\.element)
    }

    /// Applies an event to an application's lifecycle; a transition it does not allow is a conflict.
    private static func handle(_ application: inout Application, _ event: ApplicationEvent) throws(ServiceError) -> [ApplicationAction] {
        do { return try application.lifecycle.handle(event) } catch { throw ServiceError.conflict("application \(application.id): \(error.description)") }
    }

    /// The notices a transition's actions call for.
    private static func notify(_ actions: [ApplicationAction], of application: Application, at now: Double, in s: borrowing EngineState, into batch: inout StoreBatch) {
        let subject = "application/\(application.id)"
        for action in actions {
            switch action {
            case .awaitDecision(let index):
                let step = application.lifecycle.steps[index]
                batch.notices.append(Notice(
                    kind: "application.awaiting", tenant: step.department, subject: subject,
                    message: "application \(application.id) of \(application.tenant) (\(application.purpose)) awaits your decision as \(step.who) by \(step.deadline.map(Moment.text) ?? "no deadline")",
                    at: now, recipients: s.directory.deciders(of: step)))
            case .tellApplicant:
                let state = application.state
                let step = application.lifecycle.steps.last { $0.outcome != nil }
                let message: String
                switch state {
                case .inReview:
                    let decided = application.lifecycle.steps.filter { $0.outcome != nil }.count
                    message = "\(step?.who ?? "") (\(step?.decidedBy ?? "")) approved step \(decided) of \(application.lifecycle.steps.count) of application \(application.id)"
                        + (step?.comment.map { ": \($0)" } ?? "")
                case .approved:
                    message = "application \(application.id) is approved"
                        + (step.map { " (last step: \($0.who), \($0.decidedBy ?? ""))" + ($0.comment.map { ": \($0)" } ?? "") } ?? " automatically")
                case .rejected: message = "application \(application.id) was rejected by \(step?.who ?? "a decider"): \(application.lifecycle.reason ?? "")"
                default: message = "application \(application.id) is \(state.rawValue)" + (application.lifecycle.reason.map { ": \($0)" } ?? "")
                }
                batch.notices.append(Notice(
                    kind: "application.\(state == .inReview ? "step-approved" : state.rawValue)", tenant: application.tenant, subject: subject,
                    message: message, at: now, recipients: [application.applicant]))
            }
        }
    }

    /// An application as it stands: in memory while open, else as stored.
    private func current(_ id: String) throws(ServiceError) -> Application? {
        if let open = state.withLock({ $0.applications[id] }) { return open }
        return try store.application(id: id)
    }

    private func status(of application: Application) throws(ServiceError) -> ApplicationStatus {
        var requests: [RequestRecord] = []
        for id in application.provisioning?.requests ?? [] {
            if let record = state.withLock({ $0.open[id] }) {
                requests.append(record)
            } else if let record = try store.request(id: id) {
                requests.append(record)
            }
        }
        return ApplicationStatus(application: application, requests: requests)
    }

    private func mayRead(_ application: Application, _ caller: Principal) -> Bool {
        state.withLock { s in mayRead(application, caller, in: s) }
    }

    private func mayRead(_ application: Application, _ caller: Principal, in s: borrowing EngineState) -> Bool {
        caller.may(.readApplications, tenant: application.tenant) || application.lifecycle.steps.contains { s.directory.mayDecide($0, caller: caller) }
    }
}
