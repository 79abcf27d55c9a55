/// Every volume of the replica fits on a pool of its kind and partition at the node's site, or at
/// the nearest site within the request's latency bound of the node.
public struct StorageFilter: NodeFilter {
    public var name: String { "storage" }
    public init() {}

    public func check(node: Int, in context: PlacementContext) -> NoFitReason? {
        if context.request.request.volumes.isEmpty { return nil }
        return VolumePlacement.fits(context.request.request, atNode: node, in: context) ? nil : .insufficient(.storage)
    }
}

/// Chooses storage pools for a replica's volumes; shared by the storage filter and the placer.
enum VolumePlacement {
    /// Whether `assign` would succeed, without building the assignment: the common single-volume
    /// case allocates nothing.
    static func fits(_ request: PlacementRequest, atNode node: Int, in context: PlacementContext) -> Bool {
        guard request.volumes.count == 1, request.maxLatencyMs == nil else {
            return assign(for: request, atNode: node, in: context) != nil
        }
        let volume = request.volumes[0]
        let table = context.state.table
        for p in table.poolsAtSite[table.siteOfNode[node]]
        where table.pools[p].kind == volume.kind && table.pools[p].partition == request.partition && !table.pools[p].retired
            && context.poolFree(p) >= volume.sizeGiB {
            return true
        }
        return false
    }

    /// Pools for each volume in order, nil when one does not fit. Sites are tried nearest first: the
    /// node's own, then others within `maxLatencyMs` of it (none without a bound).
    static func assign(for request: PlacementRequest, atNode node: Int, in context: PlacementContext) -> [VolumeAssignment]? {
        let table = context.state.table
        let site = table.siteOfNode[node]
        var sites = [site]
        if let bound = request.maxLatencyMs {
            sites += table.topology.sites.indices
                .filter { $0 != site && table.topology.latencyMs(site, $0) <= bound && !table.poolsAtSite[$0].isEmpty }
                .sorted { (table.topology.latencyMs(site, $0), $0) < (table.topology.latencyMs(site, $1), $1) }
        }
        var taken: [Int: Int64] = [:]
        var result: [VolumeAssignment] = []
        for volume in request.volumes {
            let pool = sites.lazy.flatMap { table.poolsAtSite[$0] }.first { p in
                let candidate = table.pools[p]
                return candidate.kind == volume.kind && candidate.partition == request.partition && !candidate.retired
                    && context.poolFree(p) - (taken[p] ?? 0) >= volume.sizeGiB
            }
            guard let pool else { return nil }
            taken[pool, default: 0] += volume.sizeGiB
            result.append(VolumeAssignment(pool: pool, poolID: table.pools[pool].id, sizeGiB: volume.sizeGiB))
        }
        return result
    }
}
