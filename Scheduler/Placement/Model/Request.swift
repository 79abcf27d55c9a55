/// What a request runs; routes it to node classes by default (`ClassRouting`).
public enum WorkloadKind: String, Sendable, Hashable, Codable, CaseIterable {
    case vm, service, batch
    case aiTraining = "ai-training"
    case aiInference = "ai-inference"
    case hpc, component
}

/// The failure domain that replicas of one request are spread over.
public enum SpreadKey: Sendable, Hashable, Codable {
    case node, site, region
    /// Nodes with different values of this label.
    case label(String)
}

/// Spread of a request's replicas over domains.
public struct SpreadConstraint: Sendable, Hashable, Codable {
    public var key: SpreadKey
    /// When true, two replicas never share a domain; otherwise spreading is a preference.
    public var required: Bool

    public init(key: SpreadKey, required: Bool = false) {
        self.key = key
        self.required = required
    }
}

/// A request for compute, GPUs, storage and bandwidth from a tenant (a city department).
public struct PlacementRequest: Sendable, Hashable, Codable, Identifiable {
    public var id: String
    public var tenant: String
    public var priority: PriorityClass
    public var kind: WorkloadKind
    public var replicas: Int
    /// All replicas are placed in one decision or none (MPI jobs, distributed training).
    public var gang: Bool
    /// Resources of ONE replica.
    public var resources: Resources
    /// GPUs of ONE replica, nil for none.
    public var gpu: GPURequest?
    /// Volumes of ONE replica.
    public var volumes: [VolumeRequest]
    /// Where the request's users or sensors are.
    public var originSite: String?
    /// Upper bound on latency from `originSite` to the node's site.
    public var maxLatencyMs: Double?
    /// Allowed node classes; nil routes by workload kind and latency (`ClassRouting`).
    public var allowedClasses: Set<NodeClass>?
    public var requiredLabels: [String: String]
    public var forbiddenLabels: [String: String]
    public var spread: SpreadConstraint?
    public var partition: String
    /// How long the allocation is held before automatic release, seconds; nil for no lease.
    public var leaseSeconds: Int64?
    /// Time (seconds on the caller's clock) after which a still-pending request is rejected.
    public var queueDeadline: Double?
    /// Time (seconds on the caller's clock) of submission, for aging and fairness.
    public var submittedAt: Double
    /// A catalog component whose profile fills in what the request leaves unset.
    public var component: ComponentReference?
    /// Set when this request is being re-placed after preemption: it may never preempt in turn.
    public var wasPreempted: Bool
    /// Nodes its workload failed on: a retry goes elsewhere (nil: none).
    public var avoidNodes: Set<String>?
    /// A retry after a failure waits until then (seconds on the caller's clock): a back-off.
    public var notBefore: Double?
    /// How its number of replicas follows its load; nil: `replicas` is fixed.
    public var scaling: ScalingPolicy?

    public init(
        id: String, tenant: String, priority: PriorityClass = .standard, kind: WorkloadKind = .service,
        replicas: Int = 1, gang: Bool = false, resources: Resources = .zero, gpu: GPURequest? = nil,
        volumes: [VolumeRequest] = [], originSite: String? = nil, maxLatencyMs: Double? = nil,
        allowedClasses: Set<NodeClass>? = nil, requiredLabels: [String: String] = [:],
        forbiddenLabels: [String: String] = [:], spread: SpreadConstraint? = nil, partition: String = "public",
        leaseSeconds: Int64? = nil, queueDeadline: Double? = nil, submittedAt: Double = 0,
        component: ComponentReference? = nil, wasPreempted: Bool = false
    ) {
        self.id = id
        self.tenant = tenant
        self.priority = priority
        self.kind = kind
        self.replicas = replicas
        self.gang = gang
        self.resources = resources
        self.gpu = gpu
        self.volumes = volumes
        self.originSite = originSite
        self.maxLatencyMs = maxLatencyMs
        self.allowedClasses = allowedClasses
        self.requiredLabels = requiredLabels
        self.forbiddenLabels = forbiddenLabels
        self.spread = spread
        self.partition = partition
        self.leaseSeconds = leaseSeconds
        self.queueDeadline = queueDeadline
        self.submittedAt = submittedAt
        self.component = component
        self.wasPreempted = wasPreempted
    }

    /// GPU thousandths of one replica.
    public var gpuMilliPerReplica: Int64 { gpu?.totalMilli ?? 0 }

    /// An autoscaled request near its users takes the nearest site with room for each new
    /// replica (an edge site, then the cloud within its latency bound), and gives back the
    /// farthest first.
    public var placesNearestFirst: Bool { scaling != nil && originSite != nil }
}
