/// Why a pending request waits, and so what must change before it is tried again.
public enum WaitReason: Sendable, Hashable {
    /// Its tenant's quota for its class has no room for it in this dimension: tried again when the
    /// tenant frees some or the quota changes. The requests behind it may go meanwhile.
    case quota(Dimension)
    /// No node has room for it now: tried again when capacity may have freed (a release, a node
    /// becoming ready, a new node set).
    case capacity(NoFitReport)
    /// No node could take it whatever is free (class, partition, latency, labels, GPU model): tried
    /// again when the nodes change.
    case nodes(NoFitReport)
    /// Its placement could not be committed: tried again when capacity may have freed.
    case conflict(String)
    /// A retry after a failure, held back until then (seconds on the caller's clock).
    case backoff(until: Double)

    /// A stable identifier: `quota`, `conflict`, or the reason the most nodes failed for that can
    /// change (capacity, a node down, spread) rather than the class most nodes are not; else the
    /// last static filter reached.
    public var code: String {
        switch self {
        case .quota: "quota"
        case .conflict: "conflict"
        case .backoff: "backoff"
        case .capacity(let report), .nodes(let report):
            if let dynamic = report.entries.first(where: { !$0.reason.dependsOnlyOnNodes }) { dynamic.reason.code }
            else { report.entries.map(\.reason).max()?.code ?? "no_nodes" }
        }
    }

    /// In words, e.g. "memory exhausted on 812 nodes".
    public var message: String {
        switch self {
        case .quota(let dimension): "its tenant's quota for its priority class has no room for it in \(dimension.rawValue)"
        case .capacity(let report), .nodes(let report): report.description
        case .conflict(let reason): "its placement conflicted with another: \(reason)"
        case .backoff(let until): "a retry after a failure, held back until \(until)"
        }
    }
}

/// What one step of a scheduling pass decided, by request id (the caller holds the requests).
public enum SchedulingDecision: Sendable, Hashable {
    /// Committed to the cluster state and charged to the tenant; victims of preemption are released
    /// and out of the queue. `first` is false for the missing replicas of a request placed in part
    /// before. A request placed in part waits for the rest (`waitReason(of:)`).
    case placed(String, Placement, first: Bool)
    /// Tried and set aside until what it waits for changes; or, for `quota`, set aside without a
    /// try.
    case waiting(String, WaitReason)
    /// It can never be placed as written; it is out of the queue.
    case invalid(String, ValidationError)
}

/// The scheduling pass that the scheduler service and the simulator both run: the admission queue
/// (priority with aging, fair share, quotas, deadlines) plus the requests set aside until what they
/// wait for changes, as kube-scheduler keeps pods in its unschedulable queue.
///
/// A pass (`startPass` then `nextDecision` until nil) takes requests in the queue's order, places
/// each with the placer and commits it to the cluster state, charging its tenant. A request that
/// does not fit is set aside with its reason and not tried again until the cluster's epochs say
/// capacity may have freed (or, when no node could ever take it, that the nodes changed); one over
/// its tenant's quota is set aside until the tenant frees some, without blocking the requests
/// behind it. A pass stops after `queueDepth` requests that did not fit, as Slurm's
/// `default_queue_depth` bounds its main loop: the rest wait for the next pass.
///
/// No clock and no I/O: the caller passes `now` and keeps the cluster state.
public struct SchedulingQueue: Sendable {
    private struct SetAside: Sendable {
        var request: PlacementRequest
        var reason: WaitReason
        /// Order of setting aside, so that woken requests keep their order.
        var sequence: UInt64
    }

    public private(set) var admission: AdmissionQueue
    /// Requests tried per pass that did not fit before the pass stops.
    public var queueDepth: Int
    /// Requests taken from the queue that wait for what their reason names, by id.
    private var aside: [String: SetAside] = [:]
    private var asideSequence: UInt64 = 0
    /// Requests that hold some of their replicas and wait for the rest.
    private var partlyPlaced: Set<String> = []
    /// Tenants that freed capacity since the last pass: their requests set aside over quota wake.
    private var quotaFreed: Set<String> = []
    /// The cluster's epochs at the start of the last pass.
    private var seenFreedEpoch: UInt64?
    private var seenNodesEpoch: UInt64?
    /// Requests of this pass that did not fit.
    private var misses = 0
    /// Tenants' classes whose queue head may be over quota (after a submission, a charge, a wake
    /// or a quota change), to check before the next decision.
    private var quotaChecks: [String: Set<PriorityClass>] = [:]
    /// Requests set aside over quota: while none is, a release wakes nothing.
    private var quotaWaits = 0
    /// Whether any tenant has a quota: without one, no quota check is ever needed.
    private var quotasSet: Bool
    /// Requests just set aside over quota, to be returned as decisions.
    private var overQuota: [SchedulingDecision] = []
    /// The earliest end of a back-off among the requests set aside.
    private var heldBackUntil = Double.infinity

    public init(admission: AdmissionQueue, queueDepth: Int = 100) {
        self.admission = admission
        self.queueDepth = max(1, queueDepth)
        quotasSet = admission.config.tenants.values.contains { !$0.quotas.isEmpty }
    }

    // MARK: Reading

    /// Requests queued or set aside (those placed in part included).
    public var pendingCount: Int { admission.pendingCount + aside.count }

    public func contains(_ requestID: String) -> Bool { admission.isPending(requestID) || (!aside.isEmpty && aside[requestID] != nil) }

    /// Why a request was set aside at its last try; nil when it waits its turn (or is not pending).
    public func waitReason(of requestID: String) -> WaitReason? { aside.isEmpty ? nil : aside[requestID]?.reason }

    public func isPartlyPlaced(_ requestID: String) -> Bool { !partlyPlaced.isEmpty && partlyPlaced.contains(requestID) }

    // MARK: Changing

    /// Queues a request, or rejects one that could never be admitted (larger than its tenant's
    /// quota, or pending already). A request placed in part (`partlyPlaced`) waits for its
    /// missing replicas, over its quota too, and has no queue deadline any more.
    public mutating func submit(_ request: PlacementRequest, partlyPlaced: Bool = false) -> AdmissionRejection? {
        guard waitReason(of: request.id) == nil else {
            return AdmissionRejection(requestID: request.id, reason: .duplicate, message: "request \(request.id) is already pending")
        }
        var request = request
        if partlyPlaced { request.queueDeadline = nil }
        if let rejection = admission.submit(request, holdsSome: partlyPlaced) { return rejection }
        if partlyPlaced { self.partlyPlaced.insert(request.id) }
        noteQuotaCheck(request)
        return nil
    }

    /// Takes a request out (withdrawn, ended, placed by other means). Returns it, or nil when it
    /// was not pending.
    @discardableResult
    public mutating func remove(_ requestID: String) -> PlacementRequest? {
        if !partlyPlaced.isEmpty { partlyPlaced.remove(requestID) }
        if !aside.isEmpty, let entry = takeAside(requestID) { return entry.request }
        return admission.remove(requestID)
    }

    /// Replaces a pending request by a new version of it (a longer lease), keeping its place and
    /// why it waits.
    public mutating func update(_ request: PlacementRequest) {
        var request = request
        if partlyPlaced.contains(request.id) { request.queueDeadline = nil }
        if var entry = aside[request.id] {
            // Its reason's count of replicas still to place follows a change of their number.
            let more = request.replicas - entry.request.replicas
            switch entry.reason {
            case .capacity(var report):
                report.unplacedReplicas = max(1, report.unplacedReplicas + more)
                entry.reason = .capacity(report)
            case .nodes(var report):
                report.unplacedReplicas = max(1, report.unplacedReplicas + more)
                entry.reason = .nodes(report)
            case .quota, .conflict, .backoff:
                break
            }
            entry.request = request
            aside[request.id] = entry
        } else if admission.update(request) {
            noteQuotaCheck(request)
        }
    }

    /// Changes how many replicas a request wants to `request.replicas` (its autoscaler decided).
    /// More: the missing ones wait in the queue, over quota too, for passes to place them. Fewer:
    /// those still waiting go first, then the placed replicas farthest from its origin (the
    /// newest among equals) are freed in `cluster` and their tenant's quota credited. Returns the
    /// replicas freed, for their agents to stop.
    public mutating func rescale(_ request: PlacementRequest, cluster: inout ClusterState) -> [ReplicaAssignment] {
        let held = cluster.allocations[request.id]?.replicas.count ?? 0
        if request.replicas > held {
            if contains(request.id) { update(request) } else { _ = submit(request, partlyPlaced: held > 0) }
            return []
        }
        remove(request.id)
        guard held > request.replicas else { return [] }
        let freed = cluster.release(replicas: Set(cluster.replicasToRemove(held - request.replicas, of: request)), of: request.id)
        uncharge(request, replicas: freed.count)
        return freed
    }

    /// Removes the requests still waiting for their first placement at their queue deadline.
    public mutating func expire(now: Double) -> [AdmissionRejection] {
        var rejected = admission.expire(now: now)
        let late = aside.values.filter { entry in entry.request.queueDeadline.map { $0 <= now } ?? false }
        for entry in late.sorted(by: { $0.sequence < $1.sequence }) {
            takeAside(entry.request.id)
            rejected.append(AdmissionQueue.deadlineRejection(of: entry.request))
        }
        return rejected
    }

    /// Records that `replicas` replicas of the request hold resources (placed by other means, or
    /// restored after a restart).
    public mutating func charge(_ request: PlacementRequest, replicas: Int) {
        admission.charge(request, replicas: replicas)
        noteQuotaCheck(request)
    }

    /// Records that some replicas of a request were given back (it scaled in): its tenant's
    /// requests set aside over quota are tried again.
    public mutating func uncharge(_ request: PlacementRequest, replicas: Int) {
        admission.uncharge(request, replicas: replicas)
        if quotaWaits > 0 { quotaFreed.insert(request.tenant) }
    }

    /// Records that a request released everything it held: its tenant's requests set aside over
    /// quota are tried again.
    public mutating func credit(_ requestID: String) {
        if let tenant = admission.credit(requestID), quotaWaits > 0 { quotaFreed.insert(tenant) }
    }

    /// Sets a tenant's weight and quotas. Pending requests of the tenant that alone are larger than
    /// a new quota are taken out and returned; those set aside over quota are tried again.
    public mutating func setPolicy(_ policy: TenantPolicy, of tenant: String) -> [AdmissionRejection] {
        admission.config.tenants[tenant] = policy
        quotasSet = quotasSet || !policy.quotas.isEmpty
        quotaFreed.insert(tenant)
        quotaChecks[tenant, default: []].formUnion(PriorityClass.allCases)
        var ids = admission.pendingRequests(of: tenant).map(\.id)
        ids += aside.values.filter { $0.request.tenant == tenant }.sorted { $0.sequence < $1.sequence }.map(\.request.id)
        var rejected: [AdmissionRejection] = []
        for id in ids where !partlyPlaced.contains(id) {
            guard let request = aside[id]?.request ?? admission.pendingRequest(id),
                let rejection = admission.quotaRejection(of: request)
            else { continue }
            remove(id)
            rejected.append(rejection)
        }
        return rejected
    }

    /// The capacity that tenants' dominant shares are measured against.
    public mutating func setClusterCapacity(_ capacity: Usage) { admission.config.clusterCapacity = capacity }

    // MARK: The pass

    /// Starts a pass at `now` over `cluster`: the requests set aside for what has changed since
    /// the last pass (or held back until now) go back to the queue, in the order they were set
    /// aside.
    public mutating func startPass(at now: Double, on cluster: ClusterState) {
        misses = 0
        let freed = seenFreedEpoch != cluster.freedEpoch
        let nodesChanged = seenNodesEpoch != cluster.nodesEpoch
        seenFreedEpoch = cluster.freedEpoch
        seenNodesEpoch = cluster.nodesEpoch
        let backoffDue = heldBackUntil <= now
        guard freed || nodesChanged || !quotaFreed.isEmpty || backoffDue, !aside.isEmpty else {
            quotaFreed.removeAll()
            return
        }
        let woken = aside.values.filter { entry in
            switch entry.reason {
            case .quota: quotaFreed.contains(entry.request.tenant)
            case .capacity, .conflict: freed || nodesChanged
            case .nodes: nodesChanged
            case .backoff(let until): until <= now
            }
        }
        heldBackUntil = aside.values.reduce(Double.infinity) { earliest, entry in
            if case .backoff(let until) = entry.reason, until > now { return min(earliest, until) }
            return earliest
        }
        quotaFreed.removeAll()
        // `requeue` puts each at the head of its queue: the last set aside first.
        for entry in woken.sorted(by: { $0.sequence > $1.sequence }) {
            takeAside(entry.request.id)
            admission.requeue(entry.request)
            noteQuotaCheck(entry.request)
        }
    }

    /// Takes the next request of the pass and decides it against `cluster`, committing a
    /// placement to it. Nil when the queue is empty or `queueDepth` requests of this pass did not
    /// fit.
    public mutating func nextDecision(at now: Double, cluster: inout ClusterState, placer: inout Placer) -> SchedulingDecision? {
        if !overQuota.isEmpty { return overQuota.removeFirst() }
        guard misses < queueDepth else { return nil }
        if !quotaChecks.isEmpty {
            for tenant in quotaChecks.keys.sorted() {
                for priority in quotaChecks[tenant]!.sorted(by: { $0.rawValue < $1.rawValue }) {
                    for (request, dimension) in admission.removeOverQuota(tenant: tenant, priority: priority) {
                        setAside(request, .quota(dimension))
                        overQuota.append(.waiting(request.id, .quota(dimension)))
                    }
                }
            }
            quotaChecks.removeAll(keepingCapacity: true)
            if !overQuota.isEmpty { return overQuota.removeFirst() }
        }
        guard let request = admission.next(now: now) else { return nil }
        if let notBefore = request.notBefore, notBefore > now {
            setAside(request, .backoff(until: notBefore))
            heldBackUntil = min(heldBackUntil, notBefore)
            return .waiting(request.id, .backoff(until: notBefore))
        }
        let first = !isPartlyPlaced(request.id)
        // A request placed in part takes as many more replicas as its tenant's quota has room
        // for; the rest wait for quota.
        var trial = request
        var overQuota: Dimension?
        if !first {
            let held = cluster.allocations[request.id]?.replicas.count ?? 0
            let room = admission.quotaRoom(for: request, missing: request.replicas - held)
            if let exceeded = room.exceeded {
                guard room.replicas > 0 else {
                    setAside(request, .quota(exceeded))
                    return .waiting(request.id, .quota(exceeded))
                }
                trial.replicas = held + room.replicas
                overQuota = exceeded
            }
        }
        switch placer.place(trial, in: cluster) {
        case .placed(let placement):
            do {
                try cluster.commit(placement, of: request, priorities: admission.priorities)
            } catch {
                misses += 1
                setAside(request, .conflict(error.reason))
                return .waiting(request.id, .conflict(error.reason))
            }
            for victim in placement.preempted {
                credit(victim.requestID)
                remove(victim.requestID)
            }
            charge(request, replicas: placement.replicas.count)
            if let unplaced = placement.unplaced {
                var rest = request
                rest.queueDeadline = nil
                partlyPlaced.insert(request.id)
                setAside(rest, .capacity(unplaced))
            } else if let overQuota {
                var rest = request
                rest.queueDeadline = nil
                partlyPlaced.insert(request.id)
                setAside(rest, .quota(overQuota))
            } else if !first {
                partlyPlaced.remove(request.id)
            }
            return .placed(request.id, placement, first: first)
        case .noFit(let report):
            misses += 1
            let reason: WaitReason = report.entries.allSatisfy(\.reason.dependsOnlyOnNodes) ? .nodes(report) : .capacity(report)
            setAside(request, reason)
            return .waiting(request.id, reason)
        case .invalid(let error):
            if !first { partlyPlaced.remove(request.id) }
            return .invalid(request.id, error)
        }
    }

    private mutating func setAside(_ request: PlacementRequest, _ reason: WaitReason) {
        asideSequence &+= 1
        if case .quota = reason { quotaWaits += 1 }
        if case .quota = aside.updateValue(SetAside(request: request, reason: reason, sequence: asideSequence), forKey: request.id)?.reason { quotaWaits -= 1 }
    }

    /// Takes a request out of those set aside.
    @discardableResult
    private mutating func takeAside(_ requestID: String) -> SetAside? {
        guard let entry = aside.removeValue(forKey: requestID) else { return nil }
        if case .quota = entry.reason { quotaWaits -= 1 }
        return entry
    }

    /// After a submission, a charge or a wake: the head of the request's queue may be over its
    /// tenant's quota for the class. Only classes with a quota need a look.
    private mutating func noteQuotaCheck(_ request: PlacementRequest) {
        guard quotasSet, admission.config.tenants[request.tenant]?.quotas[request.priority] != nil else { return }
        quotaChecks[request.tenant, default: []].insert(request.priority)
    }
}
