import Placement

/// A storage pool as the API shows it: the pool and what its volumes take.
public struct StoragePoolStatus: Sendable, Hashable {
    public var pool: StoragePool
    public var usedGiB: Int64
}

/// A site as the API shows it: registered, or only named by nodes or pools.
public struct SiteStatus: Sendable, Hashable {
    public var site: Site
    public var registered: Bool
    public var nodes: Int
    public var storagePools: Int
}

extension Scheduler {
    // MARK: The configuration's declarations

    /// Creates or updates the sites, links and pools the configuration declares, in the store and
    /// in `snapshot`, before the state is built: the file wins at every start.
    static func declare(_ config: SchedulerConfig, at now: Double, in snapshot: inout StoreSnapshot, into batch: inout StoreBatch) {
        for site in config.sites where !snapshot.sites.contains(site) {
            snapshot.sites.removeAll { $0.id == site.id }
            snapshot.sites.append(site)
            batch.sites.append(site)
            batch.audit.append(AuditEntry(at: now, actor: "config", action: "site.declare", target: "site/\(site.id)"))
        }
        for link in config.links where !snapshot.links.contains(link) {
            snapshot.links.removeAll { $0.key == link.key }
            snapshot.links.append(link)
            batch.links.append(link)
            batch.audit.append(AuditEntry(at: now, actor: "config", action: "link.declare", target: "link/\(link.from)/\(link.to)", detail: "\(link.latencyMs) ms"))
        }
        for pool in config.storagePools where !snapshot.storagePools.contains(pool) {
            snapshot.storagePools.removeAll { $0.id == pool.id }
            snapshot.storagePools.append(pool)
            batch.storagePools.append(pool)
            batch.audit.append(AuditEntry(at: now, actor: "config", action: "storagePool.declare", target: "storagePool/\(pool.id)", detail: "\(pool.capacityGiB) GiB"))
        }
    }

    /// The cluster state with a changed infrastructure, allocations carried over.
    static func cluster(_ s: borrowing EngineState, with infrastructure: Infrastructure) throws(ServiceError) -> ClusterState {
        try rebuild(s.cluster, nodes: s.fleet.nodes.values.map(\.node).sorted { $0.id < $1.id }, infrastructure: infrastructure)
    }

    /// Writes an infrastructure change: stores `batch`, then installs the new cluster state.
    private func changeInfrastructure<Result: Sendable>(
        by caller: Principal, _ body: (borrowing EngineState, inout Infrastructure, inout StoreBatch) throws(ServiceError) -> Result
    ) throws(ServiceError) -> Result {
        try caller.require(.manageNodes)
        let result = try change { (s: borrowing EngineState) throws(ServiceError) in
            var infrastructure = s.infrastructure
            var batch = StoreBatch()
            let result = try body(s, &infrastructure, &batch)
            let cluster = try Self.cluster(s, with: infrastructure)
            let changed = infrastructure
            return (batch, { s in
                s.infrastructure = changed
                Self.install(cluster, in: &s)
                return result
            })
        }
        signalPlacement()
        return result
    }

    // MARK: Sites

    /// Every site: registered ones, and those only named by nodes or pools.
    public func sites(by caller: Principal) throws(ServiceError) -> [SiteStatus] {
        try caller.require(.readNodes)
        return state.withLock { s in
            var sites: [String: SiteStatus] = [:]
            for site in s.infrastructure.sites.values { sites[site.id] = SiteStatus(site: site, registered: true, nodes: 0, storagePools: 0) }
            for record in s.fleet.nodes.values {
                sites[record.node.site, default: SiteStatus(site: Site(id: record.node.site), registered: false, nodes: 0, storagePools: 0)].nodes += 1
            }
            for pool in s.infrastructure.pools.values {
                sites[pool.site, default: SiteStatus(site: Site(id: pool.site), registered: false, nodes: 0, storagePools: 0)].storagePools += 1
            }
            return sites.values.sorted { $0.site.id < $1.site.id }
        }
    }

    /// Registers a site, or changes its region and description; says whether it was new.
    public func putSite(_ site: Site, by caller: Principal) throws(ServiceError) -> (site: Site, created: Bool) {
        try Identifier.check(site.id, field: "id")
        if let region = site.region { try Identifier.check(region, field: "region") }
        if let description = site.description, !DisplayText.isValid(description, maxLength: 4000) {
            throw ServiceError.invalid("description", "must be at most 4000 characters, none a control character")
        }
        let now = now()
        return try changeInfrastructure(by: caller) { (s, infrastructure, batch) throws(ServiceError) in
            let created = infrastructure.sites[site.id] == nil
            infrastructure.sites[site.id] = site
            batch.sites = [site]
            batch.audit = [AuditEntry(at: now, actor: caller.user, action: created ? "site.register" : "site.update", target: "site/\(site.id)")]
            return (site, created)
        }
    }

    /// Removes a site that no node or pool is at, with its links.
    public func removeSite(_ id: String, by caller: Principal) throws(ServiceError) {
        let now = now()
        try changeInfrastructure(by: caller) { (s, infrastructure, batch) throws(ServiceError) in
            guard infrastructure.sites[id] != nil else {
                if s.cluster.topology.index(of: id) != nil {
                    throw ServiceError(.notFound, "site \(id) is not registered: only nodes or storage pools name it, and it goes with them")
                }
                throw ServiceError.notFound("site \(id)")
            }
            if let node = s.fleet.nodes.values.map(\.node).filter({ $0.site == id }).map(\.id).min() {
                throw ServiceError.conflict("node \(node) is at site \(id): remove its nodes first")
            }
            if let pool = infrastructure.pools.values.filter({ $0.site == id }).map(\.id).min() {
                throw ServiceError.conflict("storage pool \(pool) is at site \(id): remove it first")
            }
            infrastructure.sites[id] = nil
            let links = infrastructure.links.values.filter { $0.from == id || $0.to == id }
            for link in links { infrastructure.links[link.key] = nil }
            batch.removedSites = [id]
            batch.removedLinks = links
            batch.audit = [AuditEntry(at: now, actor: caller.user, action: "site.remove", target: "site/\(id)", detail: "\(links.count) links removed")]
        }
    }

    // MARK: Links

    public func links(by caller: Principal) throws(ServiceError) -> [SiteLink] {
        try caller.require(.readNodes)
        return state.withLock { s in s.infrastructure.links.values.sorted { $0.key < $1.key } }
    }

    /// Sets the latency between two sites (both registered, or named by nodes or pools).
    public func putLink(_ link: SiteLink, by caller: Principal) throws(ServiceError) -> SiteLink {
        guard link.from != link.to else { throw ServiceError.unprocessable("to", "a link joins two different sites") }
        guard link.latencyMs.isFinite, (0...Limits.maxLatencyMs).contains(link.latencyMs) else {
            throw ServiceError.invalid("latencyMs", "must be between 0 and \(Int(Limits.maxLatencyMs)) milliseconds")
        }
        let now = now()
        return try changeInfrastructure(by: caller) { (s, infrastructure, batch) throws(ServiceError) in
            for (field, site) in [("from", link.from), ("to", link.to)] where s.cluster.topology.index(of: site) == nil {
                throw ServiceError.unprocessable(field, "there is no site '\(site)': register it first")
            }
            infrastructure.links[link.key] = link
            batch.links = [link]
            batch.audit = [AuditEntry(at: now, actor: caller.user, action: "link.set", target: "link/\(link.from)/\(link.to)", detail: "\(link.latencyMs) ms")]
            return link
        }
    }

    public func removeLink(from: String, to: String, by caller: Principal) throws(ServiceError) {
        let key = SiteLink(from: from, to: to, latencyMs: 0)
        let now = now()
        try changeInfrastructure(by: caller) { (s, infrastructure, batch) throws(ServiceError) in
            guard let link = infrastructure.links[key.key] else { throw ServiceError.notFound("link between \(from) and \(to)") }
            infrastructure.links[key.key] = nil
            batch.removedLinks = [link]
            batch.audit = [AuditEntry(at: now, actor: caller.user, action: "link.remove", target: "link/\(link.from)/\(link.to)")]
        }
    }

    // MARK: Storage pools

    public func storagePools(by caller: Principal) throws(ServiceError) -> [StoragePoolStatus] {
        try caller.require(.readNodes)
        return state.withLock { s in s.cluster.storagePools.indices.map { Self.status(ofPool: $0, in: s) } }
    }

    public func storagePool(_ id: String, by caller: Principal) throws(ServiceError) -> StoragePoolStatus {
        try caller.require(.readNodes)
        guard let status = state.withLock({ s in s.cluster.storagePools.firstIndex { $0.id == id }.map { Self.status(ofPool: $0, in: s) } }) else {
            throw ServiceError.notFound("storage pool \(id)")
        }
        return status
    }

    static func status(ofPool index: Int, in s: borrowing EngineState) -> StoragePoolStatus {
        let pool = s.cluster.storagePools[index]
        return StoragePoolStatus(pool: pool, usedGiB: pool.capacityGiB - s.cluster.freeGiB(ofPool: index))
    }

    /// Registers a pool.
    public func registerStoragePool(_ pool: StoragePool, by caller: Principal) throws(ServiceError) -> StoragePoolStatus {
        for (field, name) in [("id", pool.id), ("site", pool.site), ("partition", pool.partition)] { try Identifier.check(name, field: field) }
        guard (1...Limits.maxAmount).contains(pool.capacityGiB) else {
            throw ServiceError.invalid("capacityGiB", "must be between 1 and \(Limits.maxAmount) GiB")
        }
        let now = now()
        _ = try changeInfrastructure(by: caller) { (s, infrastructure, batch) throws(ServiceError) in
            guard infrastructure.pools[pool.id] == nil else { throw ServiceError.conflict("storage pool \(pool.id) exists already", field: "id") }
            infrastructure.pools[pool.id] = pool
            batch.storagePools = [pool]
            batch.audit = [AuditEntry(at: now, actor: caller.user, action: "storagePool.register", target: "storagePool/\(pool.id)", detail: "\(pool.capacityGiB) GiB \(pool.kind.rawValue) at \(pool.site)")]
        }
        return try storagePool(pool.id, by: caller)
    }

    /// Changes a pool's capacity (never below what its volumes take).
    public func resizeStoragePool(_ id: String, capacityGiB: Int64, by caller: Principal) throws(ServiceError) -> StoragePoolStatus {
        guard (1...Limits.maxAmount).contains(capacityGiB) else {
            throw ServiceError.invalid("capacityGiB", "must be between 1 and \(Limits.maxAmount) GiB")
        }
        let now = now()
        _ = try changeInfrastructure(by: caller) { (s, infrastructure, batch) throws(ServiceError) in
            guard var pool = infrastructure.pools[id], let index = s.cluster.storagePools.firstIndex(where: { $0.id == id }) else {
                throw ServiceError.notFound("storage pool \(id)")
            }
            let used = pool.capacityGiB - s.cluster.freeGiB(ofPool: index)
            guard capacityGiB >= used else {
                throw ServiceError.conflict("storage pool \(id) holds \(used) GiB of volumes: it cannot shrink to \(capacityGiB) GiB", field: "capacityGiB")
            }
            pool.capacityGiB = capacityGiB
            infrastructure.pools[id] = pool
            batch.storagePools = [pool]
            batch.audit = [AuditEntry(at: now, actor: caller.user, action: "storagePool.resize", target: "storagePool/\(id)", detail: "\(capacityGiB) GiB")]
        }
        return try storagePool(id, by: caller)
    }

    /// Retires a pool: no new volumes; those on it stay until their requests end.
    public func retireStoragePool(_ id: String, by caller: Principal) throws(ServiceError) -> StoragePoolStatus {
        let now = now()
        _ = try changeInfrastructure(by: caller) { (s, infrastructure, batch) throws(ServiceError) in
            guard var pool = infrastructure.pools[id] else { throw ServiceError.notFound("storage pool \(id)") }
            pool.retired = true
            infrastructure.pools[id] = pool
            batch.storagePools = [pool]
            batch.audit = [AuditEntry(at: now, actor: caller.user, action: "storagePool.retire", target: "storagePool/\(id)")]
        }
        return try storagePool(id, by: caller)
    }

    /// Removes a pool that holds no volume.
    public func removeStoragePool(_ id: String, by caller: Principal) throws(ServiceError) {
        let now = now()
        try changeInfrastructure(by: caller) { (s, infrastructure, batch) throws(ServiceError) in
            guard let pool = infrastructure.pools[id], let index = s.cluster.storagePools.firstIndex(where: { $0.id == id }) else {
                throw ServiceError.notFound("storage pool \(id)")
            }
            guard s.cluster.freeGiB(ofPool: index) == pool.capacityGiB else {
                throw ServiceError.conflict("storage pool \(id) holds volumes: retire it and remove it once their requests end")
            }
            infrastructure.pools[id] = nil
            batch.removedStoragePools = [id]
            batch.audit = [AuditEntry(at: now, actor: caller.user, action: "storagePool.remove", target: "storagePool/\(id)")]
        }
    }
}
