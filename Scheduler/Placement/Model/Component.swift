/// Names a catalog component, optionally at one version (nil: the newest registered).
public struct ComponentReference: Sendable, Hashable, Codable {
    public var name: String
    public var version: String?

    public init(name: String, version: String? = nil) {
        self.name = name
        self.version = version
    }
}

/// A named, versioned software component (say, a video analytics model server) with a default
/// resource profile, kind and constraints that requests naming it inherit.
public struct ComponentEntry: Sendable, Hashable, Codable {
    public var name: String
    public var version: String
    public var kind: WorkloadKind
    public var resources: Resources
    public var gpu: GPURequest?
    public var volumes: [VolumeRequest]
    public var allowedClasses: Set<NodeClass>?
    public var requiredLabels: [String: String]
    /// How requests running it scale, unless they say otherwise.
    public var scaling: ScalingPolicy?

    public init(
        name: String, version: String, kind: WorkloadKind = .component, resources: Resources,
        gpu: GPURequest? = nil, volumes: [VolumeRequest] = [], allowedClasses: Set<NodeClass>? = nil,
        requiredLabels: [String: String] = [:], scaling: ScalingPolicy? = nil
    ) {
        self.scaling = scaling
        self.name = name
        self.version = version
        self.kind = kind
        self.resources = resources
        self.gpu = gpu
        self.volumes = volumes
        self.allowedClasses = allowedClasses
        self.requiredLabels = requiredLabels
    }
}

/// The catalog of components requests may name.
public struct ComponentCatalog: Sendable, Hashable, Codable {
    /// Entries by name, then version: a city's catalog holds a hundred thousand of them.
    private var byName: [String: [String: ComponentEntry]] = [:]

    public init(_ entries: [ComponentEntry] = []) {
        for entry in entries { register(entry) }
    }

    /// Every entry, by name and version.
    public var entries: [ComponentEntry] {
        byName.values.flatMap(\.values).sorted { ($0.name, $0.version) < ($1.name, $1.version) }
    }

    public mutating func register(_ entry: ComponentEntry) {
        byName[entry.name, default: [:]][entry.version] = entry
    }

    public mutating func remove(name: String, version: String) {
        byName[name]?[version] = nil
        if byName[name]?.isEmpty == true { byName[name] = nil }
    }

    /// The entry a reference names: the exact version, or the greatest version when none is given.
    public func entry(for reference: ComponentReference) -> ComponentEntry? {
        guard let named = byName[reference.name] else { return nil }
        if let version = reference.version { return named[version] }
        return named.values.max { $0.version.compare(asVersion: $1.version) }
    }

    /// The request with the component's profile filled in where the request leaves a field unset
    /// (each resource dimension at zero, no GPU, no volumes, no classes); explicit request fields
    /// win, labels merge.
    public func resolve(_ request: PlacementRequest) throws(ValidationError) -> PlacementRequest {
        guard let reference = request.component else { return request }
        guard let entry = entry(for: reference) else {
            throw ValidationError(
                field: "component", code: .unknown,
                message: "no component '\(reference.name)'\(reference.version.map { " version \($0)" } ?? "") in the catalog")
        }
        var resolved = request
        resolved.resources = Resources(
            cpuMillis: request.resources.cpuMillis == 0 ? entry.resources.cpuMillis : request.resources.cpuMillis,
            memoryMiB: request.resources.memoryMiB == 0 ? entry.resources.memoryMiB : request.resources.memoryMiB,
            diskGiB: request.resources.diskGiB == 0 ? entry.resources.diskGiB : request.resources.diskGiB,
            bandwidthMbps: request.resources.bandwidthMbps == 0 ? entry.resources.bandwidthMbps : request.resources.bandwidthMbps)
        if request.gpu == nil { resolved.gpu = entry.gpu }
        if request.volumes.isEmpty { resolved.volumes = entry.volumes }
        if request.allowedClasses == nil { resolved.allowedClasses = entry.allowedClasses }
        if request.kind == .component { resolved.kind = entry.kind }
        if request.scaling == nil, let scaling = entry.scaling {
            // The component's policy: its replicas start within its bounds, spread over nodes.
            resolved.scaling = scaling
            resolved.replicas = min(max(request.replicas, scaling.floor(at: request.submittedAt)), scaling.maxReplicas)
            if resolved.spread == nil { resolved.spread = SpreadConstraint(key: .node) }
        }
        resolved.requiredLabels = entry.requiredLabels.merging(request.requiredLabels) { _, mine in mine }
        resolved.component = nil
        return resolved
    }
}

extension String {
    /// Orders dotted versions numerically where both parts are numbers ("1.10" after "1.9").
    public func compare(asVersion other: String) -> Bool {
        let a = split(separator: "."), b = other.split(separator: ".")
        for (x, y) in zip(a, b) where x != y {
            if let i = Int(x), let j = Int(y) { return i < j }
            return x < y
        }
        return a.count < b.count
    }
}
