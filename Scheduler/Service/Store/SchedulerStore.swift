import Placement

/// Everything the scheduler needs in memory when it starts: the catalog, the callers, the quotas
/// and grants, every request that has not ended. (The metering ledger stays in the store.)
public struct StoreSnapshot: Sendable, Hashable {
    public var nodes: [NodeRecord] = []
    public var tenants: [Tenant] = []
    public var users: [User] = []
    public var quotas: [QuotaRecord] = []
    public var grants: [Grant] = []
    /// Requests in a phase that is not terminal, in submission order.
    public var openRequests: [RequestRecord] = []
    public var catalog: [CatalogEntry] = []
    public var sites: [Site] = []
    public var links: [SiteLink] = []
    public var storagePools: [StoragePool] = []
    /// The price lists, by effective moment.
    public var priceVersions: [PriceVersion] = []
    /// Applications under review, and approved ones not yet provisioned.
    public var openApplications: [Application] = []
    public var approvalPolicies: [ApprovalPolicy] = []
    public var webhooks: [Webhook] = []
    /// Named values: the admin and bootstrap token hashes, counters.
    public var settings: [String: String] = [:]

    public init() {}
}

/// The changes of one operation, written in one transaction: all of them or none.
public struct StoreBatch: Sendable, Hashable {
    public var requests: [RequestRecord] = []
    public var history: [HistoryEntry] = []
    public var audit: [AuditEntry] = []
    public var nodes: [NodeRecord] = []
    public var removedNodes: [String] = []
    public var tenants: [Tenant] = []
    public var users: [User] = []
    public var removedUsers: [String] = []
    public var quotas: [QuotaRecord] = []
    public var grants: [Grant] = []
    /// What agents measured and the API counted: the used basis. A sample sent again (its node
    /// and sequence) is taken once.
    public var meteringSamples: [MeteringSample] = []
    /// What requests held, as the scheduler accounted it: the allocated basis, numbered by the
    /// store.
    public var allocatedSamples: [MeteringSample] = []
    /// Allocations made, changed or given back, in order: what each request holds from now on.
    public var holdings: [Holding] = []
    /// Drops the ledger's samples before this time (their rollups stay).
    public var pruneSamplesBefore: Double?
    public var catalog: [CatalogEntry] = []
    public var removedCatalog: [String] = []
    public var sites: [Site] = []
    public var removedSites: [String] = []
    public var links: [SiteLink] = []
    /// Links by their two sites.
    public var removedLinks: [SiteLink] = []
    public var storagePools: [StoragePool] = []
    public var removedStoragePools: [String] = []
    public var priceVersions: [PriceVersion] = []
    public var applications: [Application] = []
    public var approvalPolicies: [ApprovalPolicy] = []
    /// Policies by scope.
    public var removedApprovalPolicies: [PolicyScope] = []
    /// Each becomes a notification per recipient and a delivery per webhook of its tenant
    /// (webhooks of this batch included).
    public var notices: [Notice] = []
    public var notificationsRead: [NotificationsRead] = []
    public var webhooks: [Webhook] = []
    public var removedWebhooks: [String] = []
    public var deliveryAttempts: [DeliveryAttempt] = []
    /// A user's rating replaces its earlier one of the same entry.
    public var ratings: [Rating] = []
    /// Questions and answers, kept in the order written.
    public var posts: [Post] = []
    public var settings: [String: String] = [:]

    public init() {}

    public var isEmpty: Bool { self == StoreBatch() }

    /// Adds another batch's changes after these: one transaction for both.
    public mutating func append(_ other: StoreBatch) {
        requests += other.requests
        history += other.history
        audit += other.audit
        nodes += other.nodes
        removedNodes += other.removedNodes
        tenants += other.tenants
        users += other.users
        removedUsers += other.removedUsers
        quotas += other.quotas
        grants += other.grants
        meteringSamples += other.meteringSamples
        allocatedSamples += other.allocatedSamples
        holdings += other.holdings
        if let prune = other.pruneSamplesBefore { pruneSamplesBefore = max(pruneSamplesBefore ?? prune, prune) }
        catalog += other.catalog
        removedCatalog += other.removedCatalog
        sites += other.sites
        removedSites += other.removedSites
        links += other.links
        removedLinks += other.removedLinks
        storagePools += other.storagePools
        removedStoragePools += other.removedStoragePools
        priceVersions += other.priceVersions
        applications += other.applications
        approvalPolicies += other.approvalPolicies
        removedApprovalPolicies += other.removedApprovalPolicies
        notices += other.notices
        notificationsRead += other.notificationsRead
        webhooks += other.webhooks
        removedWebhooks += other.removedWebhooks
        deliveryAttempts += other.deliveryAttempts
        ratings += other.ratings
        posts += other.posts
        settings.merge(other.settings) { _, newer in newer }
    }
}

/// Which requests to list, newest first, a page at a time.
public struct RequestQuery: Sendable, Hashable {
    public var tenant: String?
    public var phase: String?
    public var priority: PriorityClass?
    public var kind: WorkloadKind?
    /// Only requests submitted strictly before this one in list order (the previous page's cursor).
    public var after: RequestCursor?
    public var limit: Int

    public init(tenant: String? = nil, phase: String? = nil, priority: PriorityClass? = nil, kind: WorkloadKind? = nil, after: RequestCursor? = nil, limit: Int = 100) {
        self.tenant = tenant
        self.phase = phase
        self.priority = priority
        self.kind = kind
        self.after = after
        self.limit = limit
    }
}

/// A position in the request list: submission time, then id.
public struct RequestCursor: Sendable, Hashable {
    public var submittedAt: Double
    public var id: String

    public init(submittedAt: Double, id: String) {
        self.submittedAt = submittedAt
        self.id = id
    }
}

/// Which audit entries to read, oldest first.
public struct AuditQuery: Sendable, Hashable {
    public var actor: String?
    /// Entries whose target starts with this, e.g. `request/` or `node/n-1`.
    public var targetPrefix: String?
    public var action: String?
    public var from: Double?
    public var to: Double?
    /// Only entries after this sequence number.
    public var afterSequence: Int64?
    /// Only entries before this sequence number (paging back from the newest).
    public var beforeSequence: Int64?
    /// The newest first; otherwise the oldest first.
    public var newestFirst: Bool
    public var limit: Int

    public init(
        actor: String? = nil, targetPrefix: String? = nil, action: String? = nil, from: Double? = nil, to: Double? = nil, afterSequence: Int64? = nil,
        beforeSequence: Int64? = nil, newestFirst: Bool = false, limit: Int = 100
    ) {
        self.actor = actor
        self.targetPrefix = targetPrefix
        self.action = action
        self.from = from
        self.to = to
        self.afterSequence = afterSequence
        self.beforeSequence = beforeSequence
        self.newestFirst = newestFirst
        self.limit = limit
    }
}

/// Durable state behind the scheduler. Every backend passes the shared conformance suite
/// (`Tests/SchedulerServiceTests/StoreConformance.swift`). Calls may block on I/O; each `commit` is
/// one atomic, durable transaction.
public protocol SchedulerStore: Sendable {
    /// Everything needed to resume after a start or a crash.
    func snapshot() throws(ServiceError) -> StoreSnapshot
    /// Writes a batch atomically: after it returns, a crash loses none of it; when it throws,
    /// none of it was written.
    func commit(_ batch: StoreBatch) throws(ServiceError)
    func request(id: String) throws(ServiceError) -> RequestRecord?
    /// Which of `ids` name requests the store holds, ended ones included.
    func existingRequests(_ ids: [String]) throws(ServiceError) -> Set<String>
    func requests(_ query: RequestQuery) throws(ServiceError) -> [RequestRecord]
    func history(ofRequest id: String) throws(ServiceError) -> [HistoryEntry]
    /// The id of the request a tenant submitted with this idempotency key, if any.
    func requestID(tenant: String, idempotencyKey: String) throws(ServiceError) -> String?
    func audit(_ query: AuditQuery) throws(ServiceError) -> [AuditEntry]
    /// Use matching `query` over its range, on both bases, by tenant, request and node: the
    /// ledger's, and what open requests have held since their allocation was made, until `now`,
    /// read at one moment.
    func usage(_ query: UsageQuery, at now: Double) throws(ServiceError) -> [UsageLine]
    func application(id: String) throws(ServiceError) -> Application?
    /// The id of the application a tenant submitted with this idempotency key, if any.
    func applicationID(tenant: String, idempotencyKey: String) throws(ServiceError) -> String?
    func applications(_ query: ApplicationQuery) throws(ServiceError) -> [Application]
    func notifications(_ query: NotificationQuery) throws(ServiceError) -> [InboxNotification]
    func unreadNotifications(user: String) throws(ServiceError) -> Int
    /// Deliveries whose next attempt is due at `now`, oldest first.
    func dueDeliveries(at now: Double, limit: Int) throws(ServiceError) -> [WebhookDelivery]
    /// A webhook's deliveries, newest first.
    func deliveries(webhook: String, limit: Int) throws(ServiceError) -> [WebhookDelivery]
    /// An entry's ratings (the newest `limit`), and its questions (the newest `limit`) with their answers.
    func feedback(entry: String, limit: Int) throws(ServiceError) -> EntryFeedback
    func post(id: String) throws(ServiceError) -> Post?
    /// Every rated entry's ratings in sum, by code.
    func ratingSummaries() throws(ServiceError) -> [String: RatingSummary]
    /// Whether a request of `tenant` ever ran the catalog entry.
    func hasUsed(entry: String, tenant: String) throws(ServiceError) -> Bool
    /// Catalog entries, applications, requests and nodes matching `query`: those whose title
    /// matches every term first, each part newest first.
    func search(_ query: SearchQuery) throws(ServiceError) -> [SearchHit]
}

/// Use on one basis by one request of a tenant on one node (`api` for API calls).
public struct UsageLine: Sendable, Hashable {
    public struct Key: Sendable, Hashable {
        public var basis: MeteringBasis
        public var tenant: String
        public var requestID: String
        public var node: String

        public init(basis: MeteringBasis, tenant: String, requestID: String, node: String) {
            self.basis = basis
            self.tenant = tenant
            self.requestID = requestID
            self.node = node
        }
    }

    public var key: Key
    public var amounts: UsageAmounts

    public init(key: Key, amounts: UsageAmounts) {
        self.key = key
        self.amounts = amounts
    }
}
