import Placement

/// A request as a caller submits it: every field but the resources has a default. Field names are
/// those of `PlacementRequest`, so a validation error names the field the caller wrote.
public struct RequestSpec: Sendable, Hashable, Codable {
    /// Chosen by the caller, or generated.
    public var id: String?
    /// Defaults to the caller's tenant.
    public var tenant: String?
    public var priority: PriorityClass?
    public var kind: WorkloadKind?
    public var replicas: Int?
    public var gang: Bool?
    /// Cores, fractions allowed.
    public var cpu: Double?
    public var memoryMiB: Int64?
    public var diskGiB: Int64?
    public var bandwidthMbps: Int64?
    public var gpu: GPURequestSpec?
    public var volumes: [VolumeRequest]?
    public var originSite: String?
    public var maxLatencyMs: Double?
    public var allowedClasses: [NodeClass]?
    public var requiredLabels: [String: String]?
    public var forbiddenLabels: [String: String]?
    public var spread: SpreadSpec?
    public var partition: String?
    public var leaseSeconds: Int64?
    /// Seconds after submission after which a still-pending request is rejected.
    public var queueDeadlineSeconds: Double?
    public var component: ComponentReference?
    /// What to run on the nodes; without it the request reserves capacity only.
    public var workload: WorkloadSpec?
    /// How the number of replicas follows the load; without it `replicas` is fixed.
    public var scaling: ScalingSpec?

    public init(
        id: String? = nil, tenant: String? = nil, priority: PriorityClass? = nil, kind: WorkloadKind? = nil,
        replicas: Int? = nil, gang: Bool? = nil, cpu: Double? = nil, memoryMiB: Int64? = nil, diskGiB: Int64? = nil,
        bandwidthMbps: Int64? = nil, gpu: GPURequestSpec? = nil, volumes: [VolumeRequest]? = nil,
        originSite: String? = nil, maxLatencyMs: Double? = nil, allowedClasses: [NodeClass]? = nil,
        requiredLabels: [String: String]? = nil, forbiddenLabels: [String: String]? = nil, spread: SpreadSpec? = nil,
        partition: String? = nil, leaseSeconds: Int64? = nil, queueDeadlineSeconds: Double? = nil,
        component: ComponentReference? = nil, workload: WorkloadSpec? = nil, scaling: ScalingSpec? = nil
    ) {
        self.id = id
        self.tenant = tenant
        self.priority = priority
        self.kind = kind
        self.replicas = replicas
        self.gang = gang
        self.cpu = cpu
        self.memoryMiB = memoryMiB
        self.diskGiB = diskGiB
        self.bandwidthMbps = bandwidthMbps
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
        self.queueDeadlineSeconds = queueDeadlineSeconds
        self.component = component
        self.workload = workload
        self.scaling = scaling
    }

    /// The placement request this spec describes, submitted at `now` under `id` for `tenant`.
    public func placementRequest(id: String, tenant: String, now: Double) throws(ValidationError) -> PlacementRequest {
        let cpuMillis = try cpu.map { cores throws(ValidationError) in try CPU.millicores(cores, field: "cpu") } ?? 0
        if let deadline = queueDeadlineSeconds, !(deadline > 0 && deadline <= Limits.maxQueueDeadlineSeconds) {
            throw ValidationError(field: "queueDeadlineSeconds", code: .outOfRange, message: "must be more than 0 and at most \(Int(Limits.maxQueueDeadlineSeconds)) seconds (a year)")
        }
        if let lease = leaseSeconds, !(1...Limits.maxLeaseSeconds).contains(lease) {
            throw ValidationError(field: "leaseSeconds", code: .outOfRange, message: "must be between 1 and \(Limits.maxLeaseSeconds) seconds (10 years), got \(lease)")
        }
        let scaling = try scaling?.policy()
        var request = PlacementRequest(
            id: id, tenant: tenant, priority: priority ?? .standard, kind: kind ?? (component == nil ? .service : .component),
            replicas: replicas ?? scaling?.floor(at: now) ?? 1,
            gang: gang ?? false,
            resources: Resources(cpuMillis: cpuMillis, memoryMiB: memoryMiB ?? 0, diskGiB: diskGiB ?? 0, bandwidthMbps: bandwidthMbps ?? 0),
            gpu: gpu.map { GPURequest(count: $0.count, milliPerGPU: $0.milliPerGPU ?? GPUDevice.wholeMilli, models: $0.models ?? [], minMemoryMiB: $0.minMemoryMiB ?? 0) },
            volumes: volumes ?? [], originSite: originSite, maxLatencyMs: maxLatencyMs,
            allowedClasses: allowedClasses.map(Set.init), requiredLabels: requiredLabels ?? [:],
            forbiddenLabels: forbiddenLabels ?? [:],
            // Replicas that come and go with the load spread over nodes unless told otherwise.
            spread: try spread?.constraint() ?? (scaling == nil ? nil : SpreadConstraint(key: .node)), partition: partition ?? "public",
            leaseSeconds: leaseSeconds, queueDeadline: queueDeadlineSeconds.map { now + $0 }, submittedAt: now,
            component: component)
        request.scaling = scaling
        return request
    }
}

/// GPUs of one replica, as submitted.
public struct GPURequestSpec: Sendable, Hashable, Codable {
    public var count: Int
    /// Thousandths of each GPU; default a whole GPU.
    public var milliPerGPU: Int32?
    public var models: [String]?
    public var minMemoryMiB: Int64?

    public init(count: Int, milliPerGPU: Int32? = nil, models: [String]? = nil, minMemoryMiB: Int64? = nil) {
        self.count = count
        self.milliPerGPU = milliPerGPU
        self.models = models
        self.minMemoryMiB = minMemoryMiB
    }

    /// The request a placement GPU request stands for, every default spelled out.
    public init(_ request: GPURequest) {
        self.init(count: request.count, milliPerGPU: request.milliPerGPU, models: request.models, minMemoryMiB: request.minMemoryMiB)
    }
}

/// Spread of replicas, as submitted: `key` is `node`, `site`, `region` or `label:NAME`.
public struct SpreadSpec: Sendable, Hashable, Codable {
    public var key: String
    public var required: Bool?

    public init(key: String, required: Bool? = nil) {
        self.key = key
        self.required = required
    }

    /// The spread a constraint stands for, spelled as submitted.
    public init(_ constraint: SpreadConstraint) {
        switch constraint.key {
        case .node: key = "node"
        case .site: key = "site"
        case .region: key = "region"
        case .label(let name): key = "label:\(name)"
        }
        required = constraint.required
    }

    func constraint() throws(ValidationError) -> SpreadConstraint {
        let spreadKey: SpreadKey
        switch key {
        case "node": spreadKey = .node
        case "site": spreadKey = .site
        case "region": spreadKey = .region
        case let label where label.hasPrefix("label:") && label.count > 6: spreadKey = .label(String(label.dropFirst(6)))
        default:
            throw ValidationError(field: "spread.key", code: .unknown, message: "must be node, site, region or label:NAME, got '\(key)'")
        }
        return SpreadConstraint(key: spreadKey, required: required ?? false)
    }
}
