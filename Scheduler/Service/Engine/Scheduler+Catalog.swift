import Placement

/// A catalog entry as an operator registers it; the scheduler assigns the code.
public struct CatalogRegistration: Sendable, Hashable, Codable {
    public var kind: CatalogEntry.Kind
    public var name: String
    public var version: String?
    public var description: String?
    public var nodeClass: NodeClass?
    public var site: String?
    public var partition: String?
    public var labels: [String: String]?
    public var cpu: Double
    public var memoryMiB: Int64
    public var diskGiB: Int64?
    public var bandwidthMbps: Int64?
    public var gpu: GPURequestSpec?
    public var workloadKind: WorkloadKind?
    /// Only tenants with a grant listing the entry may use it.
    public var restricted: Bool?

    public init(
        kind: CatalogEntry.Kind, name: String, version: String? = nil, description: String? = nil, nodeClass: NodeClass? = nil,
        site: String? = nil, partition: String? = nil, labels: [String: String]? = nil, cpu: Double, memoryMiB: Int64,
        diskGiB: Int64? = nil, bandwidthMbps: Int64? = nil, gpu: GPURequestSpec? = nil, workloadKind: WorkloadKind? = nil,
        restricted: Bool? = nil
    ) {
        self.kind = kind
        self.name = name
        self.version = version
        self.description = description
        self.nodeClass = nodeClass
        self.site = site
        self.partition = partition
        self.labels = labels
        self.cpu = cpu
        self.memoryMiB = memoryMiB
        self.diskGiB = diskGiB
        self.bandwidthMbps = bandwidthMbps
        self.gpu = gpu
        self.workloadKind = workloadKind
        self.restricted = restricted
    }

    /// The entry this registration describes, or an error naming the field.
    public func entry(at now: Double, by user: String) throws(ServiceError) -> CatalogEntry {
        let trimmed = name.trimmingCharacters(in: .whitespaces)
        guard !trimmed.isEmpty, trimmed.count <= 80, trimmed.unicodeScalars.allSatisfy({ $0.value >= 32 && $0.value != 127 }) else {
            throw ServiceError.invalid("name", "must be 1 to 80 printable characters")
        }
        switch (kind, version) {
        case (.component, nil): throw ServiceError.invalid("version", "a component needs a version")
        case (.component, let version?): try Scheduler.checkName(version, field: "version")
        case (.offering, .some): throw ServiceError.invalid("version", "only components have versions")
        case (.offering, nil):
            guard nodeClass != nil else { throw ServiceError.invalid("nodeClass", "an offering names the node class that provides it") }
        }
        if workloadKind != nil, kind == .offering { throw ServiceError.invalid("workloadKind", "only components run as a workload kind") }
        guard cpu.isFinite, cpu > 0, cpu <= 1e6 else { throw ServiceError.invalid("cpu", "must be a number of cores in (0, 10^6], got \(cpu)") }
        guard memoryMiB > 0 else { throw ServiceError.invalid("memoryMiB", "must be positive") }
        guard (diskGiB ?? 0) >= 0 else { throw ServiceError.invalid("diskGiB", "must not be negative") }
        guard (bandwidthMbps ?? 0) >= 0 else { throw ServiceError.invalid("bandwidthMbps", "must not be negative") }
        if let site { try Scheduler.checkName(site, field: "site") }
        if let partition { try Scheduler.checkName(partition, field: "partition") }
        var gpuRequest: GPURequest?
        if let gpu {
            guard (1...64).contains(gpu.count) else { throw ServiceError.invalid("gpu.count", "must be 1 to 64, got \(gpu.count)") }
            let milli = gpu.milliPerGPU ?? GPUDevice.wholeMilli
            guard (1...GPUDevice.wholeMilli).contains(milli) else { throw ServiceError.invalid("gpu.milliPerGPU", "must be 1 to 1000, got \(milli)") }
            gpuRequest = GPURequest(count: gpu.count, milliPerGPU: milli, models: gpu.models ?? [], minMemoryMiB: gpu.minMemoryMiB ?? 0)
        }
        return CatalogEntry(
            code: CatalogEntry.code(kind: kind, nodeClass: nodeClass, name: trimmed, version: version), kind: kind, name: trimmed,
            version: version, description: description ?? "", nodeClass: nodeClass, site: site, partition: partition ?? "public",
            labels: labels ?? [:],
            resources: Resources(cpuMillis: Int64((cpu * 1000).rounded()), memoryMiB: memoryMiB, diskGiB: diskGiB ?? 0, bandwidthMbps: bandwidthMbps ?? 0),
            gpu: gpuRequest, workloadKind: kind == .component ? workloadKind ?? .component : nil, restricted: restricted ?? false,
            registeredAt: now, registeredBy: user)
    }
}

extension Scheduler {
    /// Registers an offering or a component under its standardized code; a component becomes a
    /// profile that requests may name (`component: {name, version}`).
    public func registerCatalogEntry(_ registration: CatalogRegistration, by caller: Principal) throws(ServiceError) -> CatalogEntry {
        try caller.require(.manageCatalog)
        let entry = try registration.entry(at: now(), by: caller.user)
        return try change { (s: borrowing EngineState) throws(ServiceError) in
            guard s.catalog[entry.code] == nil else {
                throw ServiceError.conflict("catalog code \(entry.code) is taken: give another name or version", field: "name")
            }
            var batch = StoreBatch()
            batch.catalog = [entry]
            batch.audit = [AuditEntry(at: entry.registeredAt, actor: caller.user, action: "catalog.register", target: "catalog/\(entry.code)", detail: entry.kind.rawValue)]
            return (batch, { s in
                s.catalog[entry.code] = entry
                if let component = entry.component { s.placer.validator.catalog.register(component) }
                return entry
            })
        }
    }

    /// Catalog entries matching every filter of `query`, by code.
    public func catalog(_ query: CatalogQuery, by caller: Principal) throws(ServiceError) -> [CatalogEntry] {
        try caller.require(.readCatalog)
        return state.withLock { s in s.catalog.values.filter(query.matches).sorted { $0.code < $1.code } }
    }

    public func catalogEntry(code: String, by caller: Principal) throws(ServiceError) -> CatalogEntry {
        try caller.require(.readCatalog)
        guard let entry = state.withLock({ $0.catalog[code] }) else { throw ServiceError.notFound("catalog entry \(code)") }
        return entry
    }
}
