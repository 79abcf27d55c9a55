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
    /// Search labels.
    public var labels: [String: String]?
    /// Labels a node must carry to run a component.
    public var requiredLabels: [String: String]?
    public var cpu: Double
    public var memoryMiB: Int64
    public var diskGiB: Int64?
    public var bandwidthMbps: Int64?
    public var gpu: GPURequestSpec?
    public var workloadKind: WorkloadKind?
    /// Default open.
    public var sharing: Sharing?
    /// Default 1.
    public var securityLevel: Int?
    /// The owning department's tenant id.
    public var owner: String?
    public var userKinds: [UserKind]?
    /// A component's scaling policy, which requests running it take unless they give their own.
    public var scaling: ScalingSpec?

    public init(
        kind: CatalogEntry.Kind, name: String, version: String? = nil, description: String? = nil, nodeClass: NodeClass? = nil,
        site: String? = nil, partition: String? = nil, labels: [String: String]? = nil, requiredLabels: [String: String]? = nil, cpu: Double,
        memoryMiB: Int64, diskGiB: Int64? = nil, bandwidthMbps: Int64? = nil, gpu: GPURequestSpec? = nil, workloadKind: WorkloadKind? = nil,
        sharing: Sharing? = nil, securityLevel: Int? = nil, owner: String? = nil, userKinds: [UserKind]? = nil, scaling: ScalingSpec? = nil
    ) {
        self.scaling = scaling
        self.kind = kind
        self.name = name
        self.version = version
        self.description = description
        self.nodeClass = nodeClass
        self.site = site
        self.partition = partition
        self.labels = labels
        self.requiredLabels = requiredLabels
        self.cpu = cpu
        self.memoryMiB = memoryMiB
        self.diskGiB = diskGiB
        self.bandwidthMbps = bandwidthMbps
        self.gpu = gpu
        self.workloadKind = workloadKind
        self.sharing = sharing
        self.securityLevel = securityLevel
        self.owner = owner
        self.userKinds = userKinds
    }

    /// The entry this registration describes (its code still to be assigned), or an error naming the field.
    func entry(at now: Double, by user: String) throws(ServiceError) -> CatalogEntry {
        let trimmed = name.trimmingCharacters(in: .whitespaces)
        guard !trimmed.isEmpty, DisplayText.isValid(trimmed, maxLength: 80) else { throw ServiceError.invalid("name", "must be 1 to 80 characters, none a control character") }
        if let description, !DisplayText.isValid(description, maxLength: 4000) {
            throw ServiceError.invalid("description", "must be at most 4000 characters, none a control character")
        }
        switch (kind, version) {
        case (.component, nil): throw ServiceError.invalid("version", "a component needs a version")
        case (.component, let version?): try Identifier.check(version, field: "version")
        case (.offering, .some): throw ServiceError.invalid("version", "only components have versions")
        case (.offering, nil):
            guard nodeClass != nil else { throw ServiceError.invalid("nodeClass", "an offering names the node class that provides it") }
        }
        if workloadKind != nil, kind == .offering { throw ServiceError.invalid("workloadKind", "only components run as a workload kind") }
        if requiredLabels != nil, kind == .offering { throw ServiceError.invalid("requiredLabels", "only components constrain the nodes they run on") }
        if let site { try Identifier.check(site, field: "site") }
        if let partition { try Identifier.check(partition, field: "partition") }
        try LabelRule.check(labels ?? [:], field: "labels")
        try LabelRule.check(requiredLabels ?? [:], field: "requiredLabels")
        if let securityLevel { try SecurityLevel.check(securityLevel, field: "securityLevel") }
        if let owner { try Identifier.check(owner, field: "owner") }
        if userKinds?.isEmpty == true { throw ServiceError.invalid("userKinds", "name at least one kind of user, or leave it out for every kind") }
        if scaling != nil, kind == .offering { throw ServiceError.invalid("scaling", "only components scale: an offering is a shape of capacity") }
        var entry = CatalogEntry(
            code: "", kind: kind, name: trimmed, version: version, description: description ?? "", nodeClass: nodeClass, site: site,
            partition: partition ?? "public", labels: labels ?? [:], requiredLabels: requiredLabels ?? [:],
            resources: try Self.resources(cpu: cpu, memoryMiB: memoryMiB, diskGiB: diskGiB, bandwidthMbps: bandwidthMbps),
            gpu: try gpu.map(Self.gpuRequest), workloadKind: kind == .component ? workloadKind ?? .component : nil, sharing: sharing ?? .open,
            securityLevel: securityLevel ?? 1, owner: owner, userKinds: userKinds, registeredAt: now, registeredBy: user)
        entry.scaling = try Self.policy(scaling)
        return entry
    }

    /// A scaling spec as a policy, or an error naming its field.
    static func policy(_ spec: ScalingSpec?) throws(ServiceError) -> ScalingPolicy? {
        do throws(ValidationError) { return try spec?.policy() } catch { throw ServiceError(error) }
    }

    static func resources(cpu: Double, memoryMiB: Int64, diskGiB: Int64?, bandwidthMbps: Int64?) throws(ServiceError) -> Resources {
        let cpuMillis: Int64
        do { cpuMillis = try CPU.millicores(cpu, field: "cpu", minimum: 0.001) } catch { throw ServiceError(error) }
        for (field, value) in [("memoryMiB", memoryMiB), ("diskGiB", diskGiB ?? 0), ("bandwidthMbps", bandwidthMbps ?? 0)] where !(0...Limits.maxAmount).contains(value) {
            throw ServiceError.invalid(field, "must be between 0 and \(Limits.maxAmount), got \(value)")
        }
        guard memoryMiB > 0 else { throw ServiceError.invalid("memoryMiB", "must be at least 1") }
        return Resources(cpuMillis: cpuMillis, memoryMiB: memoryMiB, diskGiB: diskGiB ?? 0, bandwidthMbps: bandwidthMbps ?? 0)
    }

    static func gpuRequest(_ gpu: GPURequestSpec) throws(ServiceError) -> GPURequest {
        guard (1...Limits.maxGPUsPerNode).contains(gpu.count) else { throw ServiceError.invalid("gpu.count", "must be 1 to \(Limits.maxGPUsPerNode), got \(gpu.count)") }
        let milli = gpu.milliPerGPU ?? GPUDevice.wholeMilli
        guard (1...GPUDevice.wholeMilli).contains(milli) else { throw ServiceError.invalid("gpu.milliPerGPU", "must be 1 to 1000, got \(milli)") }
        return GPURequest(count: gpu.count, milliPerGPU: milli, models: gpu.models ?? [], minMemoryMiB: gpu.minMemoryMiB ?? 0)
    }
}

/// Changes to a catalog entry; what is left out stays. The kind, name, version and node class
/// (which make the code) do not change.
public struct CatalogUpdate: Sendable, Hashable, Codable {
    public var description: String?
    public var site: String?
    public var partition: String?
    public var labels: [String: String]?
    public var requiredLabels: [String: String]?
    public var cpu: Double?
    public var memoryMiB: Int64?
    public var diskGiB: Int64?
    public var bandwidthMbps: Int64?
    public var gpu: GPURequestSpec?
    public var sharing: Sharing?
    public var securityLevel: Int?
    public var owner: String?
    public var userKinds: [UserKind]?
    /// Replaces a component's scaling policy.
    public var scaling: ScalingSpec?

    public init(
        description: String? = nil, site: String? = nil, partition: String? = nil, labels: [String: String]? = nil, requiredLabels: [String: String]? = nil,
        cpu: Double? = nil, memoryMiB: Int64? = nil, diskGiB: Int64? = nil, bandwidthMbps: Int64? = nil, gpu: GPURequestSpec? = nil,
        sharing: Sharing? = nil, securityLevel: Int? = nil, owner: String? = nil, userKinds: [UserKind]? = nil, scaling: ScalingSpec? = nil
    ) {
        self.scaling = scaling
        self.description = description
        self.site = site
        self.partition = partition
        self.labels = labels
        self.requiredLabels = requiredLabels
        self.cpu = cpu
        self.memoryMiB = memoryMiB
        self.diskGiB = diskGiB
        self.bandwidthMbps = bandwidthMbps
        self.gpu = gpu
        self.sharing = sharing
        self.securityLevel = securityLevel
        self.owner = owner
        self.userKinds = userKinds
    }

    func applied(to entry: CatalogEntry) throws(ServiceError) -> CatalogEntry {
        var entry = entry
        if let description {
            guard DisplayText.isValid(description, maxLength: 4000) else { throw ServiceError.invalid("description", "must be at most 4000 characters, none a control character") }
            entry.description = description
        }
        if let site { try Identifier.check(site, field: "site"); entry.site = site }
        if let partition { try Identifier.check(partition, field: "partition"); entry.partition = partition }
        if let labels { try LabelRule.check(labels, field: "labels"); entry.labels = labels }
        if let requiredLabels {
            guard entry.kind == .component else { throw ServiceError.unprocessable("requiredLabels", "\(entry.code) is an offering: only components constrain the nodes they run on") }
            try LabelRule.check(requiredLabels, field: "requiredLabels")
            entry.requiredLabels = requiredLabels
        }
        if cpu != nil || memoryMiB != nil || diskGiB != nil || bandwidthMbps != nil {
            let r = entry.resources
            entry.resources = try CatalogRegistration.resources(
                cpu: cpu ?? CPU.cores(r.cpuMillis), memoryMiB: memoryMiB ?? r.memoryMiB, diskGiB: diskGiB ?? r.diskGiB, bandwidthMbps: bandwidthMbps ?? r.bandwidthMbps)
        }
        if let gpu { entry.gpu = try CatalogRegistration.gpuRequest(gpu) }
        if let sharing { entry.sharing = sharing }
        if let securityLevel { try SecurityLevel.check(securityLevel, field: "securityLevel"); entry.securityLevel = securityLevel }
        if let owner { try Identifier.check(owner, field: "owner"); entry.owner = owner }
        if let userKinds {
            guard !userKinds.isEmpty else { throw ServiceError.invalid("userKinds", "name at least one kind of user") }
            entry.userKinds = userKinds
        }
        if let scaling {
            guard entry.kind == .component else { throw ServiceError.unprocessable("scaling", "\(entry.code) is an offering: only components scale") }
            entry.scaling = try CatalogRegistration.policy(scaling)
        }
        return entry
    }
}

extension Scheduler {
    /// Registers an offering or a component under its standardized code; a component becomes a
    /// profile that requests may name (`component: {name, version}`).
    public func registerCatalogEntry(_ registration: CatalogRegistration, by caller: Principal) throws(ServiceError) -> CatalogEntry {
        try caller.require(.manageCatalog)
        var entry = try registration.entry(at: now(), by: caller.user)
        return try change { (s: borrowing EngineState) throws(ServiceError) in
            if let owner = entry.owner, s.directory.tenants[owner] == nil { throw ServiceError.unprocessable("owner", "there is no tenant '\(owner)'") }
            if let same = s.directory.entries(named: entry.name).first(where: { $0.kind == entry.kind && $0.version == entry.version && $0.nodeClass == entry.nodeClass }) {
                throw ServiceError.conflict("catalog entry \(same.code) has this name\(entry.version.map { " and version \($0)" } ?? "") already", field: "name")
            }
            entry.code = CatalogEntry.code(kind: entry.kind, nodeClass: entry.nodeClass, name: entry.name, version: entry.version) { s.directory.catalog[$0] != nil }
            guard s.directory.catalog[entry.code] == nil else {
                throw ServiceError.conflict("catalog code \(entry.code) is taken: give another name or version", field: "name")
            }
            if let component = entry.component, s.placer.validator.catalog.entry(for: ComponentReference(name: component.name, version: component.version)) != nil {
                throw ServiceError.conflict("a component named '\(entry.name)' has version \(component.version) already", field: "version")
            }
            let registered = entry
            var batch = StoreBatch()
            batch.catalog = [registered]
            batch.audit = [AuditEntry(at: registered.registeredAt, actor: caller.user, action: "catalog.register", target: "catalog/\(registered.code)", detail: registered.kind.rawValue)]
            return (batch, { s in
                s.directory.put(registered)
                if let component = registered.component { s.placer.validator.catalog.register(component) }
                return registered
            })
        }
    }

    /// Changes an entry; requests already submitted keep what they were given.
    public func updateCatalogEntry(code: String, _ update: CatalogUpdate, by caller: Principal) throws(ServiceError) -> CatalogEntry {
        try caller.require(.manageCatalog)
        let now = now()
        return try change { (s: borrowing EngineState) throws(ServiceError) in
            guard let entry = s.directory.catalog[code] else { throw ServiceError.notFound("catalog entry \(code)") }
            let updated = try update.applied(to: entry)
            if let owner = update.owner, s.directory.tenants[owner] == nil { throw ServiceError.unprocessable("owner", "there is no tenant '\(owner)'") }
            var batch = StoreBatch()
            batch.catalog = [updated]
            batch.audit = [AuditEntry(at: now, actor: caller.user, action: "catalog.update", target: "catalog/\(code)")]
            return (batch, { s in
                s.directory.put(updated)
                if let component = updated.component { s.placer.validator.catalog.register(component) }
                return updated
            })
        }
    }

    /// Retires an entry: no new request may use it; the requests that do run to their end.
    public func retireCatalogEntry(code: String, by caller: Principal) throws(ServiceError) -> CatalogEntry {
        try caller.require(.manageCatalog)
        let now = now()
        return try change { (s: borrowing EngineState) throws(ServiceError) in
            guard var entry = s.directory.catalog[code] else { throw ServiceError.notFound("catalog entry \(code)") }
            entry.retired = true
            let retired = entry
            var batch = StoreBatch()
            batch.catalog = [retired]
            batch.audit = [AuditEntry(at: now, actor: caller.user, action: "catalog.retire", target: "catalog/\(code)")]
            return (batch, { s in
                s.directory.put(retired)
                return retired
            })
        }
    }

    /// Removes an entry that no open request, live grant or open application uses, with its
    /// approval policy.
    public func removeCatalogEntry(code: String, by caller: Principal) throws(ServiceError) {
        try caller.require(.manageCatalog)
        let now = now()
        try change { (s: borrowing EngineState) throws(ServiceError) in
            guard let entry = s.directory.catalog[code] else { throw ServiceError.notFound("catalog entry \(code)") }
            if let user = s.open.records.filter({ $0.catalogEntry == code }).map(\.id).min() {
                throw ServiceError.conflict("request \(user) uses \(code): retire the entry and remove it once its requests end")
            }
            if let grant = s.directory.grants.values.filter({ $0.isLive(at: now) && $0.entries?.contains(code) == true }).map(\.id).min() {
                throw ServiceError.conflict("grant \(grant) lists \(code)")
            }
            if let application = s.applications.values.filter({ $0.items.contains { $0.entry == code } }).map(\.id).min() {
                throw ServiceError.conflict("application \(application) asks for \(code): retire the entry and remove it once it is decided")
            }
            var batch = StoreBatch()
            batch.removedCatalog = [code]
            // Its own approval policy goes with it.
            if s.directory.approvalPolicies[.entry(code)] != nil { batch.removedApprovalPolicies = [.entry(code)] }
            batch.audit = [AuditEntry(at: now, actor: caller.user, action: "catalog.remove", target: "catalog/\(code)")]
            return (batch, { s in
                s.directory.removeEntry(code: code)
                s.directory.approvalPolicies[.entry(code)] = nil
                if let component = entry.component { s.placer.validator.catalog.remove(name: component.name, version: component.version) }
            })
        }
    }

    /// The live component entry a request names: the version given, or the newest live one.
    /// A retired or unknown component is refused naming the field.
    static func componentEntry(for reference: ComponentReference, in s: borrowing EngineState, field: String) throws(ServiceError) -> CatalogEntry {
        let named = s.directory.entries(named: reference.name).filter { $0.kind == .component }
        let live = named.filter { !$0.retired }
        let chosen = reference.version.map { version in live.first { $0.version == version } }
            ?? live.max { ($0.version ?? "").compare(asVersion: $1.version ?? "") }
        guard let entry = chosen else {
            let versions = live.compactMap(\.version).sorted { $0.compare(asVersion: $1) }.joined(separator: ", ")
            if named.isEmpty { throw ServiceError.unprocessable(field, "there is no component '\(reference.name)' in the catalog") }
            if let version = reference.version {
                let retired = named.contains { $0.version == version }
                throw ServiceError.unprocessable(
                    field, "component '\(reference.name)' version \(version) \(retired ? "is retired" : "does not exist")"
                        + (versions.isEmpty ? "" : "; live versions: \(versions)"))
            }
            throw ServiceError.unprocessable(field, "every version of component '\(reference.name)' is retired")
        }
        return entry
    }

    /// Catalog entries matching every filter of `query`, by code.
    public func catalog(_ query: CatalogQuery, by caller: Principal) throws(ServiceError) -> [CatalogEntry] {
        try caller.require(.readCatalog)
        return state.withLock { s in s.directory.catalog.values.filter(query.matches).sorted { $0.code < $1.code } }
    }

    public func catalogEntry(code: String, by caller: Principal) throws(ServiceError) -> CatalogEntry {
        try caller.require(.readCatalog)
        guard let entry = state.withLock({ $0.directory.catalog[code] }) else { throw ServiceError.notFound("catalog entry \(code)") }
        return entry
    }
}
