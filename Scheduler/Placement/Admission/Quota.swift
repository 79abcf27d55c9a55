/// The most one tenant may hold at once in one priority class.
public struct Quota: Sendable, Hashable, Codable {
    public var resources: Resources
    /// GPU thousandths.
    public var gpuMilli: Int64

    public init(resources: Resources, gpuMilli: Int64 = 0) {
        self.resources = resources
        self.gpuMilli = gpuMilli
    }

    /// The first dimension in which `usage` exceeds this quota.
    public func firstExceeded(by usage: Usage) -> Dimension? {
        if let dimension = usage.resources.firstExceeded(in: resources) { return dimension }
        return usage.gpuMilli > gpuMilli ? .gpu : nil
    }
}

/// Resources a tenant holds (or a request would hold with all its replicas).
public struct Usage: Sendable, Hashable, Codable {
    public var resources: Resources
    public var gpuMilli: Int64

    public init(resources: Resources = .zero, gpuMilli: Int64 = 0) {
        self.resources = resources
        self.gpuMilli = gpuMilli
    }

    public init(of request: PlacementRequest, replicas: Int? = nil) {
        let n = Int64(replicas ?? request.replicas)
        resources = request.resources * n
        gpuMilli = request.gpuMilliPerReplica * n
    }

    public static func + (a: Usage, b: Usage) -> Usage { Usage(resources: a.resources + b.resources, gpuMilli: a.gpuMilli + b.gpuMilli) }
    public static func - (a: Usage, b: Usage) -> Usage { Usage(resources: a.resources - b.resources, gpuMilli: a.gpuMilli - b.gpuMilli) }
}

/// A tenant's share of the cluster and its quotas.
public struct TenantPolicy: Sendable, Hashable, Codable {
    /// Relative weight in fair sharing: a tenant of weight 2 is entitled to twice the share.
    public var weight: Double
    /// Quotas per priority class; a class without one is unlimited.
    public var quotas: [PriorityClass: Quota]

    public init(weight: Double = 1, quotas: [PriorityClass: Quota] = [:]) {
        self.weight = weight
        self.quotas = quotas
    }
}
