import Placement

/// How the scheduler decides, with defaults for every field. Reading it from a file and the
/// environment happens in the binary.
public struct SchedulerConfig: Sendable, Hashable, Codable {
    /// A placement policy by name or as `scorer=weight,...` (see `PolicyRegistry`).
    public var policy: String = "best-fit"
    /// Seed of the placer's tie-breaking.
    public var seed: UInt64 = 1
    /// The most requests in one batch submission.
    public var maxBatch: Int = 1000
    /// How often a failed workload is placed again before its request fails.
    public var maxRetries: Int = 2
    /// A failed workload's first retry waits this long; each further one twice as long as the
    /// one before. Retries go to other nodes than the ones it failed on.
    public var retryBackoffSeconds: Double = 10
    /// The most decisions the applier makes in one transaction.
    public var decisionsPerCommit: Int = 512
    /// Requests that did not fit after which a placement pass yields (and the next one starts),
    /// so that readers never wait behind one long pass; the simulator's `queue_depth`.
    public var queueDepth: Int = 100
    /// Pending requests gain one aging step per interval, up to the cap.
    public var agingIntervalSeconds: Double = 600
    public var agingStep: Int = 50
    public var agingCap: Int = 200
    public var priorities: PriorityTable = .standard
    public var health: NodeHealthPolicy = NodeHealthPolicy()
    public var idle: IdlePolicy = IdlePolicy()
    /// Seconds between evaluations of the scaling policies (Kubernetes' HPA syncs every 15 s).
    public var scalingIntervalSeconds: Double = 15
    /// Seconds between turning tenants' API call counts into metering samples.
    public var apiMeteringInterval: Double = 10
    /// How long the ledger keeps each metering sample; its hourly and daily rollups stay for good.
    public var meteringRetentionDays: Double = 90
    /// The price list the configuration file declares; published at a start when it differs from
    /// the list in effect (effective then, never before). Nil: the lists published through the API.
    public var prices: PriceList?
    /// Alerts: a tenant's use of a quota above this share is reported.
    public var quotaAlertShare: Double = 0.9
    /// Alerts: grants ending within this many seconds are reported.
    public var grantExpiryWarningSeconds: Double = 86_400
    /// Whether tenants' webhooks may go to the platform's own network (loopback, private,
    /// link-local addresses, `localhost`): off, so that a tenant cannot make the scheduler call
    /// internal services.
    public var webhookPrivateAddresses: Bool = false
    /// Sites, links and storage pools the configuration declares: created or updated in the store
    /// at every start (the API registers more, and changes them until the next start). Nodes of
    /// sites with no link reach only their own site.
    public var sites: [Site] = []
    public var links: [SiteLink] = []
    public var storagePools: [StoragePool] = []

    public init() {}
}

/// When a running request counts as idle and is reclaimed: each tenant follows it unless its own
/// `reclaimIdle` says otherwise.
public struct IdlePolicy: Sendable, Hashable, Codable {
    /// A workload using less than this share of its CPU allocation is idle.
    public var cpuShare: Double = 0.05
    /// Idle this long, the tenant gets a notice (an `idle_allocation` alert).
    public var idleSeconds: Double = 3600
    /// Still idle this long after the notice, the request is reclaimed.
    public var noticeSeconds: Double = 3600
    /// Whether tenants that do not say otherwise have idle requests reclaimed.
    public var reclaimByDefault: Bool = true

    public init() {}
}
