/// A validated request with everything the filters and scorers look up resolved once: its node
/// classes, band, origin site, allowed GPU models and the sites within its latency bound.
public struct ResolvedRequest: Sendable {
    /// The request with its catalog component's profile filled in.
    public let request: PlacementRequest
    public let classes: Set<NodeClass>
    public let band: PriorityBand
    /// Index of the origin site in the topology.
    public let originSite: Int?
    /// The origin site of a request placed nearest first (`PlacementRequest.placesNearestFirst`),
    /// resolved once: every node scored reads it.
    let nearestFirstOrigin: Int?
    /// Interned ids of the allowed GPU models; empty for any.
    let gpuModels: [Int32]
    /// Per site index: whether the site is within the latency bound of the origin.
    let siteWithinBound: [Bool]
    /// Interned required label pairs; nil when one of them is on no node at all.
    let requiredLabelIDs: [Int32]?
    /// Interned forbidden label pairs that some node carries.
    let forbiddenLabelIDs: [Int32]

    /// Whether preemption may be used to place this request.
    public var mayPreempt: Bool { band.mayPreempt && !request.wasPreempted }

}

/// Checks a request against the rules and the cluster, naming the first offending field.
public struct RequestValidator: Sendable {
    public var routing: ClassRouting
    public var priorities: PriorityTable
    public var catalog: ComponentCatalog
    /// Most replicas one request may ask for.
    public var maxReplicas: Int

    public init(routing: ClassRouting = .standard, priorities: PriorityTable = .standard, catalog: ComponentCatalog = ComponentCatalog(), maxReplicas: Int = 10_000) {
        self.routing = routing
        self.priorities = priorities
        self.catalog = catalog
        self.maxReplicas = maxReplicas
    }

    public func resolve(_ submitted: PlacementRequest, in state: ClusterState) throws(ValidationError) -> ResolvedRequest {
        let request = try catalog.resolve(submitted)
        try checkIdentity(request)
        let classes = routing.classes(for: request)
        guard !classes.isEmpty else {
            throw ValidationError(field: "allowedClasses", code: .invalid, message: "at least one node class is needed")
        }
        try checkSizes(request, classes: classes, in: state)
        let gpuModels = try checkGPU(request, in: state)
        let (origin, withinBound) = try checkLatency(request, in: state)
        for (key, value) in request.requiredLabels where request.forbiddenLabels[key] == value {
            throw ValidationError(
                field: "forbiddenLabels.\(key)", code: .contradictory, message: "label \(key)=\(value) is both required and forbidden")
        }
        let required = request.requiredLabels.map { state.table.labelID(key: $0.key, value: $0.value) }
        let resolved = ResolvedRequest(
            request: request, classes: classes, band: priorities.band(of: request.priority), originSite: origin,
            nearestFirstOrigin: request.placesNearestFirst ? origin : nil,
            gpuModels: gpuModels, siteWithinBound: withinBound,
            requiredLabelIDs: required.contains(nil) ? nil : required.compactMap { $0 },
            forbiddenLabelIDs: request.forbiddenLabels.compactMap { state.table.labelID(key: $0.key, value: $0.value) })
        try checkGangFits(resolved, in: state)
        return resolved
    }

    private func checkIdentity(_ request: PlacementRequest) throws(ValidationError) {
        guard !request.id.isEmpty else { throw ValidationError(field: "id", code: .invalid, message: "a request needs an id") }
        guard !request.tenant.isEmpty else { throw ValidationError(field: "tenant", code: .invalid, message: "a request needs a tenant") }
        guard !request.partition.isEmpty else { throw ValidationError(field: "partition", code: .invalid, message: "partition must not be empty") }
        guard (1...maxReplicas).contains(request.replicas) else {
            throw ValidationError(field: "replicas", code: .outOfRange, message: "replicas must be between 1 and \(maxReplicas), got \(request.replicas)")
        }
        if let scaling = request.scaling {
            try scaling.validate()
            guard !request.gang else {
                throw ValidationError(field: "scaling", code: .contradictory, message: "a gang is placed whole or not at all and cannot scale; drop gang or scaling")
            }
            guard (scaling.minReplicas...scaling.maxReplicas).contains(request.replicas) else {
                throw ValidationError(
                    field: "replicas", code: .contradictory,
                    message: "must be between scaling.minReplicas \(scaling.minReplicas) and scaling.maxReplicas \(scaling.maxReplicas), got \(request.replicas)")
            }
        }
        if let lease = request.leaseSeconds, lease <= 0 {
            throw ValidationError(field: "leaseSeconds", code: .outOfRange, message: "a lease must be positive, got \(lease)")
        }
        if let deadline = request.queueDeadline, !(deadline.isFinite && deadline >= request.submittedAt) {
            throw ValidationError(field: "queueDeadline", code: .outOfRange, message: "the queue deadline must not precede submission")
        }
        guard request.submittedAt.isFinite else {
            throw ValidationError(field: "submittedAt", code: .outOfRange, message: "submission time must be finite")
        }
    }

    /// Node classes in words: `general or hpc`.
    public static func classNames(_ classes: Set<NodeClass>) -> String {
        classes.map(\.rawValue).sorted().joined(separator: " or ")
    }

    /// A replica larger than the largest node of its classes could never run. With no node of its
    /// classes yet (they may join), larger than the largest node of all.
    private func checkSizes(_ request: PlacementRequest, classes: Set<NodeClass>, in state: ClusterState) throws(ValidationError) {
        let eligible = classes.compactMap { state.table.largestByClass[$0] }
        let largest = eligible.isEmpty ? state.table.largestNode : eligible.reduce(Resources.zero) { $0.componentMax($1) }
        let limitClasses: Set<NodeClass>? = eligible.isEmpty || classes.isSuperset(of: state.table.largestByClass.keys) ? nil : classes
        for dimension in Resources.dimensions {
            let asked = request.resources.value(of: dimension)
            let field = "resources.\(Self.fieldName(dimension))"
            guard asked >= 0 else {
                throw ValidationError(field: field, code: .outOfRange, message: "must not be negative, got \(asked)", amount: .init(dimension: dimension, asked: asked, limit: 0, total: false))
            }
            guard asked <= largest.value(of: dimension) else {
                let which = limitClasses.map { "the largest \(Self.classNames($0)) node" } ?? "the largest node"
                throw ValidationError(
                    field: field, code: .exceedsCluster,
                    message: "\(asked) is more than \(which) has (\(largest.value(of: dimension)))",
                    amount: .init(dimension: dimension, asked: asked, limit: largest.value(of: dimension), total: false, classes: limitClasses))
            }
        }
        if request.resources == .zero && request.gpu == nil && request.volumes.isEmpty {
            throw ValidationError(field: "resources", code: .nothingRequested, message: "the request asks for no resources: give cpu, memoryMiB, diskGiB, bandwidthMbps, gpu or volumes")
        }
        for (i, volume) in request.volumes.enumerated() where volume.sizeGiB <= 0 {
            throw ValidationError(field: "volumes[\(i)].sizeGiB", code: .outOfRange, message: "a volume needs a positive size, got \(volume.sizeGiB)")
        }
    }

    private func checkGPU(_ request: PlacementRequest, in state: ClusterState) throws(ValidationError) -> [Int32] {
        guard let gpu = request.gpu else { return [] }
        guard state.table.mostGPUs > 0 else {
            throw ValidationError(field: "gpu", code: .exceedsCluster, message: "the cluster has no GPUs")
        }
        guard gpu.count >= 1 else {
            throw ValidationError(field: "gpu.count", code: .outOfRange, message: "must be at least 1, got \(gpu.count)")
        }
        guard gpu.count <= state.table.mostGPUs else {
            throw ValidationError(
                field: "gpu.count", code: .exceedsCluster, message: "must be between 1 and \(state.table.mostGPUs) (the most GPUs on one node), got \(gpu.count)")
        }
        guard (1...GPUDevice.wholeMilli).contains(gpu.milliPerGPU) else {
            throw ValidationError(field: "gpu.milliPerGPU", code: .outOfRange, message: "must be between 1 and 1000, got \(gpu.milliPerGPU)")
        }
        guard gpu.count == 1 || gpu.milliPerGPU == GPUDevice.wholeMilli else {
            throw ValidationError(field: "gpu.milliPerGPU", code: .contradictory, message: "a share of a GPU is only possible with count 1")
        }
        guard gpu.minMemoryMiB >= 0 else {
            throw ValidationError(field: "gpu.minMemoryMiB", code: .outOfRange, message: "must not be negative")
        }
        var ids: [Int32] = []
        for (i, model) in gpu.models.enumerated() {
            guard let id = state.table.gpuModelByName[model] else {
                throw ValidationError(
                    field: "gpu.models[\(i)]", code: .unknown,
                    message: "unknown GPU model '\(model)'; known: \(state.table.gpuModelNames.joined(separator: ", "))")
            }
            ids.append(id)
        }
        return ids
    }

    private func checkLatency(_ request: PlacementRequest, in state: ClusterState) throws(ValidationError) -> (Int?, [Bool]) {
        let topology = state.topology
        var origin: Int?
        if let site = request.originSite {
            guard let index = topology.index(of: site) else {
                throw ValidationError(field: "originSite", code: .unknown, message: "unknown site '\(site)'")
            }
            origin = index
        }
        guard let bound = request.maxLatencyMs else { return (origin, [Bool](repeating: true, count: topology.sites.count)) }
        guard bound.isFinite && bound > 0 else {
            throw ValidationError(field: "maxLatencyMs", code: .outOfRange, message: "must be a positive number of milliseconds")
        }
        guard let origin else {
            throw ValidationError(field: "maxLatencyMs", code: .contradictory, message: "a latency bound needs an originSite")
        }
        return (origin, topology.sites.indices.map { topology.latencyMs(origin, $0) <= bound })
    }

    /// A gang must fit in the total capacity of the nodes its class, partition and latency allow.
    private func checkGangFits(_ resolved: ResolvedRequest, in state: ClusterState) throws(ValidationError) {
        let request = resolved.request
        guard request.gang && request.replicas > 1 else { return }
        var capacity = Resources.zero, nodes = 0, gpus = 0
        for (b, bucket) in state.table.buckets.enumerated() where FilterChain.standard.passes(bucket.key, for: resolved, in: state) {
            capacity += state.table.bucketCapacity[b]
            nodes += bucket.nodes.count
            gpus += state.table.bucketGPUs[b]
        }
        let total = request.resources * Int64(request.replicas)
        if let dimension = total.firstExceeded(in: capacity) {
            throw ValidationError(
                field: "replicas", code: .exceedsCluster,
                message: "the gang needs \(total.value(of: dimension)) \(dimension.rawValue) in all, more than its eligible nodes have (\(capacity.value(of: dimension)))",
                amount: .init(dimension: dimension, asked: total.value(of: dimension), limit: capacity.value(of: dimension), total: true))
        }
        if let gpu = request.gpu, gpu.count * request.replicas > gpus {
            throw ValidationError(field: "replicas", code: .exceedsCluster, message: "the gang needs \(gpu.count * request.replicas) GPUs, its eligible nodes have \(gpus)")
        }
        if request.spread?.required == true && request.spread?.key == .node && request.replicas > nodes {
            throw ValidationError(field: "replicas", code: .exceedsCluster, message: "\(request.replicas) replicas on distinct nodes, but only \(nodes) eligible nodes")
        }
    }

    static func fieldName(_ dimension: Dimension) -> String {
        switch dimension {
        case .cpu: "cpuMillis"
        case .memory: "memoryMiB"
        case .disk: "diskGiB"
        case .bandwidth: "bandwidthMbps"
        case .gpu: "gpu"
        case .storage: "volumes"
        }
    }
}
