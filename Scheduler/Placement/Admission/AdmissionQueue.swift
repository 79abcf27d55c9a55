import DequeModule

/// Settings of the pending queue.
public struct AdmissionConfig: Sendable, Hashable, Codable {
    /// Tenants' weights and quotas; a tenant not listed has weight 1 and no quota.
    public var tenants: [String: TenantPolicy]
    /// Capacity that dominant resource shares are measured against.
    public var clusterCapacity: Usage
    /// Every this many seconds of waiting raise a request's effective priority by `agingStep`.
    public var agingIntervalSeconds: Double
    public var agingStep: Int
    /// The most aging can add, so old batch work is not starved but never overtakes critical work.
    public var agingCap: Int

    public init(
        tenants: [String: TenantPolicy] = [:], clusterCapacity: Usage, agingIntervalSeconds: Double = 600,
        agingStep: Int = 50, agingCap: Int = 400
    ) {
        self.tenants = tenants
        self.clusterCapacity = clusterCapacity
        self.agingIntervalSeconds = agingIntervalSeconds
        self.agingStep = agingStep
        self.agingCap = agingCap
    }
}

/// Why the queue turned a request away.
public struct AdmissionRejection: Sendable, Hashable, Codable {
    public enum Reason: Sendable, Hashable, Codable {
        /// The request alone is larger than the tenant's quota for its class.
        case exceedsQuota(Dimension)
        /// It was still pending at its queue deadline.
        case deadlineExceeded
        /// A request with the same id is already pending.
        case duplicate
    }

    public var requestID: String
    public var reason: Reason
    public var message: String
}

/// The pending queue: per-tenant quotas per priority class, fair sharing among tenants, aging and
/// queue deadlines. A value with no clock of its own: callers pass `now` (seconds).
///
/// Order of `next(now:)`: highest effective priority (band plus aging) first; within it, the
/// tenant with the smallest weighted dominant resource share (DRF); then first submitted; then id.
/// A request whose tenant would exceed its quota waits and does not block other tenants.
public struct AdmissionQueue: Sendable {
    private struct QueueKey: Hashable, Sendable {
        var tenant: String
        var priority: PriorityClass
    }

    public var config: AdmissionConfig
    public var priorities: PriorityTable
    private var queues: [QueueKey: Deque<PlacementRequest>] = [:]
    private var pendingIDs: Set<String> = []
    /// What each tenant holds, per class and in all.
    private var usageByClass: [QueueKey: Usage] = [:]
    private var usageByTenant: [String: Usage] = [:]
    private var charged: [String: (key: QueueKey, usage: Usage)] = [:]
    /// Requests queued for more replicas while holding some: usually none, so that the quota
    /// checks of every other request look nothing up.
    private var holdingSome: Set<String> = []

    public init(config: AdmissionConfig, priorities: PriorityTable = .standard) {
        self.config = config
        self.priorities = priorities
    }

    public var pendingCount: Int { pendingIDs.count }

    public func isPending(_ requestID: String) -> Bool { pendingIDs.contains(requestID) }

    /// Queues a request, or rejects one that could never be admitted. One that holds some
    /// replicas already (`holdsSome`) is never rejected over its quota: it waits for room.
    public mutating func submit(_ request: PlacementRequest, holdsSome: Bool = false) -> AdmissionRejection? {
        guard !pendingIDs.contains(request.id) else {
            return AdmissionRejection(requestID: request.id, reason: .duplicate, message: "request \(request.id) is already pending")
        }
        if holdsSome {
            holdingSome.insert(request.id)
        } else if let rejection = quotaRejection(of: request) {
            return rejection
        }
        queues[QueueKey(tenant: request.tenant, priority: request.priority), default: []].append(request)
        pendingIDs.insert(request.id)
        return nil
    }

    /// The rejection of a request that alone is larger than its tenant's quota for its class, or
    /// nil when it is not.
    public func quotaRejection(of request: PlacementRequest) -> AdmissionRejection? {
        guard let quota = config.tenants[request.tenant]?.quotas[request.priority], let dimension = quota.firstExceeded(by: Usage(of: request)) else {
            return nil
        }
        return AdmissionRejection(
            requestID: request.id, reason: .exceedsQuota(dimension),
            message: "\(request.tenant)'s \(request.priority.rawValue) quota is smaller than the request in \(dimension.rawValue)")
    }

    /// The rejection of a request still pending at its queue deadline.
    public static func deadlineRejection(of request: PlacementRequest) -> AdmissionRejection {
        AdmissionRejection(requestID: request.id, reason: .deadlineExceeded, message: "still pending at its queue deadline \(request.queueDeadline ?? 0)")
    }

    /// A pending request by id.
    public func pendingRequest(_ requestID: String) -> PlacementRequest? {
        guard pendingIDs.contains(requestID) else { return nil }
        for queue in queues.values { if let request = queue.first(where: { $0.id == requestID }) { return request } }
        return nil
    }

    /// A tenant's pending requests, in queue order per class.
    public func pendingRequests(of tenant: String) -> [PlacementRequest] {
        queues.filter { $0.key.tenant == tenant }.sorted { $0.key.priority.rawValue < $1.key.priority.rawValue }.flatMap(\.value)
    }

    /// Puts a request back at the head of its queue (it was taken by `next` but not placed).
    public mutating func requeue(_ request: PlacementRequest) {
        guard !pendingIDs.contains(request.id) else { return }
        queues[QueueKey(tenant: request.tenant, priority: request.priority), default: []].prepend(request)
        pendingIDs.insert(request.id)
    }

    /// Removes and returns the next request to place, or nil when none may go now.
    public mutating func next(now: Double) -> PlacementRequest? {
        var best: (key: QueueKey, rank: (Int, Double, Double, String))?
        for (key, queue) in queues {
            guard let head = queue.first, fitsQuota(head) else { continue }
            let rank = (-effectivePriority(of: head, now: now), weightedShare(of: key.tenant), head.submittedAt, head.id)
            if best == nil || rank < best!.rank { best = (key, rank) }
        }
        guard let key = best?.key, let request = queues[key]?.popFirst() else { return nil }
        if queues[key]?.isEmpty == true { queues[key] = nil }
        pendingIDs.remove(request.id)
        return request
    }

    /// Takes out every request at the head of the tenant's queue for the class that its quota has
    /// no room for now, with the first dimension it exceeds, so that the requests behind it may go.
    public mutating func removeOverQuota(tenant: String, priority: PriorityClass) -> [(request: PlacementRequest, dimension: Dimension)] {
        guard let quota = config.tenants[tenant]?.quotas[priority] else { return [] }
        let key = QueueKey(tenant: tenant, priority: priority)
        let used = usageByClass[key] ?? Usage()
        var removed: [(request: PlacementRequest, dimension: Dimension)] = []
        while let head = queues[key]?.first, let dimension = quota.firstExceeded(by: used + neededUsage(of: head)) {
            queues[key]!.removeFirst()
            pendingIDs.remove(head.id)
            removed.append((head, dimension))
        }
        if queues[key]?.isEmpty == true { queues[key] = nil }
        return removed
    }

    /// Replaces a pending request by a new version of it (same id, tenant and class), keeping its
    /// place. Returns whether it was pending.
    @discardableResult
    public mutating func update(_ request: PlacementRequest) -> Bool {
        let key = QueueKey(tenant: request.tenant, priority: request.priority)
        guard pendingIDs.contains(request.id), let index = queues[key]?.firstIndex(where: { $0.id == request.id }) else { return false }
        queues[key]![index] = request
        return true
    }

    /// Takes a pending request out of the queue (it was withdrawn). Returns it, or nil when it was
    /// not pending.
    @discardableResult
    public mutating func remove(_ requestID: String) -> PlacementRequest? {
        guard pendingIDs.remove(requestID) != nil else { return nil }
        for key in queues.keys {
            guard let index = queues[key]!.firstIndex(where: { $0.id == requestID }) else { continue }
            let request = queues[key]!.remove(at: index)
            if queues[key]!.isEmpty { queues[key] = nil }
            return request
        }
        return nil
    }

    /// Removes pending requests at or past their queue deadline.
    public mutating func expire(now: Double) -> [AdmissionRejection] {
        var rejected: [AdmissionRejection] = []
        for key in queues.keys.sorted(by: { ($0.tenant, $0.priority.rawValue) < ($1.tenant, $1.priority.rawValue) }) {
            queues[key]!.removeAll { request in
                guard let deadline = request.queueDeadline, deadline <= now else { return false }
                rejected.append(Self.deadlineRejection(of: request))
                pendingIDs.remove(request.id)
                return true
            }
            if queues[key]!.isEmpty { queues[key] = nil }
        }
        return rejected
    }

    /// Records that `replicas` replicas of the request now hold resources.
    public mutating func charge(_ request: PlacementRequest, replicas: Int) {
        let key = QueueKey(tenant: request.tenant, priority: request.priority)
        let usage = Usage(of: request, replicas: replicas)
        let previous = charged[request.id]?.usage ?? Usage()
        charged[request.id] = (key, previous + usage)
        usageByClass[key, default: Usage()] = usageByClass[key, default: Usage()] + usage
        usageByTenant[request.tenant, default: Usage()] = usageByTenant[request.tenant, default: Usage()] + usage
    }

    /// Records that `replicas` replicas of the request no longer hold resources (it scaled in).
    public mutating func uncharge(_ request: PlacementRequest, replicas: Int) {
        guard let (key, held) = charged[request.id] else { return }
        let usage = Usage(of: request, replicas: replicas)
        charged[request.id] = (key, held - usage)
        usageByClass[key] = usageByClass[key, default: Usage()] - usage
        usageByTenant[key.tenant] = usageByTenant[key.tenant, default: Usage()] - usage
    }

    /// Records that a request released everything it held. Returns its tenant, or nil when it held
    /// nothing.
    @discardableResult
    public mutating func credit(_ requestID: String) -> String? {
        if !holdingSome.isEmpty { holdingSome.remove(requestID) }
        guard let (key, usage) = charged.removeValue(forKey: requestID) else { return nil }
        usageByClass[key] = usageByClass[key, default: Usage()] - usage
        usageByTenant[key.tenant] = usageByTenant[key.tenant, default: Usage()] - usage
        return key.tenant
    }

    /// What a tenant holds in one priority class.
    public func usage(of tenant: String, priority: PriorityClass) -> Usage {
        usageByClass[QueueKey(tenant: tenant, priority: priority)] ?? Usage()
    }

    /// What a tenant holds in all classes.
    public func usage(of tenant: String) -> Usage { usageByTenant[tenant] ?? Usage() }

    /// Band value plus aging.
    public func effectivePriority(of request: PlacementRequest, now: Double) -> Int {
        let band = priorities.band(of: request.priority).value
        guard config.agingIntervalSeconds > 0 else { return band }
        let steps = max(0, (now - request.submittedAt) / config.agingIntervalSeconds)
        return band + min(config.agingCap, Int(steps) * config.agingStep)
    }

    /// The tenant's dominant share (largest fraction of any cluster dimension it holds) over its weight.
    public func weightedShare(of tenant: String) -> Double {
        let usage = usageByTenant[tenant] ?? Usage()
        let capacity = config.clusterCapacity
        var dominant = 0.0
        for dimension in Resources.dimensions where capacity.resources.value(of: dimension) > 0 {
            dominant = max(dominant, Double(usage.resources.value(of: dimension)) / Double(capacity.resources.value(of: dimension)))
        }
        if capacity.gpuMilli > 0 { dominant = max(dominant, Double(usage.gpuMilli) / Double(capacity.gpuMilli)) }
        let weight = config.tenants[tenant]?.weight ?? 1
        return dominant / max(weight, .leastNonzeroMagnitude)
    }

    /// Whether the tenant's quota for the request's class has room for it now.
    public func fitsQuota(_ request: PlacementRequest) -> Bool {
        let key = QueueKey(tenant: request.tenant, priority: request.priority)
        guard let quota = config.tenants[key.tenant]?.quotas[key.priority] else { return true }
        return quota.firstExceeded(by: (usageByClass[key] ?? Usage()) + neededUsage(of: request)) == nil
    }

    /// What the quota must have room for before a request is taken: all of a new one; one more
    /// replica of one that holds some (it takes what fits, the rest wait).
    private func neededUsage(of request: PlacementRequest) -> Usage {
        holdingSome.isEmpty || !holdingSome.contains(request.id) ? Usage(of: request) : Usage(of: request, replicas: 1)
    }

    /// How many of a request's `missing` replicas its tenant's quota has room for now, and the
    /// dimension that stops one more (nil when all fit).
    public func quotaRoom(for request: PlacementRequest, missing: Int) -> (replicas: Int, exceeded: Dimension?) {
        guard let quota = config.tenants[request.tenant]?.quotas[request.priority] else { return (missing, nil) }
        let used = usageByClass[QueueKey(tenant: request.tenant, priority: request.priority)] ?? Usage()
        var room = 0
        while room < missing {
            if let dimension = quota.firstExceeded(by: used + Usage(of: request, replicas: room + 1)) { return (room, dimension) }
            room += 1
        }
        return (room, nil)
    }
}
