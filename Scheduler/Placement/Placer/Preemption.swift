/// Chooses requests to evict so that one replica of a higher band request fits.
///
/// Only allocations in strictly lower bands are candidates, never the request's own band or above.
/// On each node that fails only for lack of capacity, victims are taken lowest band first and
/// youngest first within a band until the replica fits; victims that turn out unnecessary are
/// dropped again. Among nodes, the cheapest set wins: fewest victims, then the lowest highest band,
/// then the youngest. The placer never lets a request that was itself preempted preempt others.
enum Preemption {
    struct Plan {
        var node: Int
        var victims: [String]
    }

    private struct Cost: Comparable {
        var count: Int
        var highestBand: Int
        /// Negated sequence of the oldest victim: younger victims make a lower cost.
        var age: Int64

        static func < (a: Cost, b: Cost) -> Bool { (a.count, a.highestBand, a.age) < (b.count, b.highestBand, b.age) }
    }

    /// The cheapest plan, or nil when no eviction of lower bands makes the replica fit. `taken`
    /// holds victims already chosen in this decision (their release is in the context).
    /// Nodes are visited from the block `start` on (of `blocks`, the blocks the bucket filters
    /// pass), wrapping around, until `limit` nodes with a plan were compared.
    static func plan(in context: PlacementContext, blocks: [Int], start: Int, excluding taken: Set<String>, filters: FilterChain, limit scanLimit: ScanLimit) -> Plan? {
        let resolved = context.request
        let table = context.state.table
        let band = resolved.band.value
        var best: (plan: Plan, cost: Cost)?
        var evaluated = 0
        let limit = scanLimit.maximum
        for step in blocks.indices {
            for node in table.blocks[blocks[(start + step) % blocks.count]] {
                let residents = context.state.residents[node]
                // Evicting compute frees no storage worth counting on: volumes must fit already.
                guard residents.contains(where: { $0.band < band }),
                    case .insufficient(let dimension)? = filters.reason(node: node, in: context), dimension != .storage,
                    VolumePlacement.fits(resolved.request, atNode: node, in: context)
                else { continue }
                let candidates = residents
                    .filter { $0.band < band && !taken.contains($0.requestID) }
                    .sorted { ($0.band, $1.sequence) < ($1.band, $0.sequence) }
                guard fits(node: node, freedBy: candidates, in: context),
                    let victims = minimalVictims(candidates, node: node, in: context)
                else { continue }
                let cost = Cost(
                    count: victims.count, highestBand: victims.map(\.band).max() ?? 0,
                    age: -Int64(victims.map(\.sequence).min() ?? 0))
                if best == nil || cost < best!.cost {
                    best = (Plan(node: node, victims: victims.map(\.requestID)), cost)
                }
                evaluated += 1
                if evaluated >= limit { return best?.plan }
            }
        }
        return best?.plan
    }

    /// The victims, in eviction order, that make the replica fit on `node`, without any victim
    /// whose eviction turns out unnecessary. The caller has checked that evicting all fits.
    private static func minimalVictims(_ candidates: [Resident], node: Int, in context: PlacementContext) -> [Resident]? {
        var chosen: [Resident] = []
        for candidate in candidates {
            chosen.append(candidate)
            if fits(node: node, freedBy: chosen, in: context) { break }
        }
        // Drop the most expensive victims (highest band, oldest) that are not needed after all.
        for victim in chosen.sorted(by: { ($0.band, $1.sequence) > ($1.band, $0.sequence) }) {
            let without = chosen.filter { $0.requestID != victim.requestID }
            if !without.isEmpty && fits(node: node, freedBy: without, in: context) { chosen = without }
        }
        return chosen.isEmpty ? nil : chosen
    }

    /// Whether one replica fits on the node once `victims` release what they hold there.
    private static func fits(node: Int, freedBy victims: [Resident], in context: PlacementContext) -> Bool {
        var free = context.free(node)
        for victim in victims { free += victim.resources }
        let request = context.request
        guard request.request.resources.fits(in: free) else { return false }
        guard let gpu = request.request.gpu else { return true }
        return context.withGPUs(ofNode: node) { current, models, memory in
            var gpuFree = Array(current)
            for victim in victims { for share in victim.gpus { gpuFree[share.device] += share.milli } }
            return gpuFree.withUnsafeBufferPointer { free in
                GPUFit.fits(gpu, allowed: request.gpuModels, free: free, models: models, memory: memory)
            }
        }
    }
}
