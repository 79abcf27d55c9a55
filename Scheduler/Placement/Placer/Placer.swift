/// The placement core: decides where each replica of a request goes in a cluster snapshot.
///
/// `place(_:in:)` is synchronous and does no I/O: validate, then for each replica filter -> score ->
/// choose, with preemption of strictly lower bands when the request's band allows it. It never
/// changes the snapshot; the caller commits the decision with `ClusterState.commit(_:of:)`, which
/// re-checks capacity. The same snapshot, request, policy and seed give the same decision.
///
/// The placer keeps caches keyed by request shape (which index buckets a shape may use; why a
/// shape found no node, per index block), so one placer should serve one cluster state lineage;
/// they are checked against the state's node table and block versions and never give a wrong
/// answer, only a slower one.
public struct Placer: Sendable {
    public var policy: PlacementPolicy
    public var filters: FilterChain
    public var validator: RequestValidator
    /// Seeds the random start of each scan together with the request id.
    public var seed: UInt64
    private var caches = ShapeCaches()

    public init(policy: PlacementPolicy, filters: FilterChain = .standard, validator: RequestValidator = RequestValidator(), seed: UInt64 = 0) {
        self.policy = policy
        self.filters = filters
        self.validator = validator
        self.seed = seed
    }

    /// Places all replicas of a gang or none; as many replicas as fit of other requests. For a
    /// request that already holds some replicas (placed in part before), places the missing ones.
    public mutating func place(_ request: PlacementRequest, in state: ClusterState) -> Decision {
        let resolved: ResolvedRequest
        do {
            resolved = try validator.resolve(request, in: state)
        } catch {
            return .invalid(error)
        }
        caches.prepare(for: state)
        // Nodes it failed on are checked only for a retry that has some.
        if resolved.request.avoidNodes != nil {
            let standard = filters
            filters = standard.inserting(FailedHereFilter(), before: ResourceFitFilter().name)
            defer { filters = standard }
            return decide(resolved, in: state)
        }
        return decide(resolved, in: state)
    }

    /// `place` for a request checked against the cluster.
    private mutating func decide(_ resolved: ResolvedRequest, in state: ClusterState) -> Decision {
        var rng = SplitMix64(seed: seed ^ stableHash(resolved.request.id))
        var changes = PendingChanges()
        var assignments: [ReplicaAssignment] = []
        var victims: [Victim] = []
        var failure: NoFitReport?
        // A request placed in part before keeps what it holds; only its missing replicas are placed.
        let held = state.allocations[resolved.request.id]?.replicas ?? []
        let heldIndices = Set(held.map(\.replica))
        // The lowest numbers not held: a request that scaled in may hold a higher number.
        let missing = Array((0...).lazy.filter { !heldIndices.contains($0) }.prefix(max(0, resolved.request.replicas - held.count)))
        guard !missing.isEmpty else {
            return .invalid(ValidationError(field: "id", code: .invalid, message: "request \(resolved.request.id) already holds all its replicas"))
        }
        // Feasible nodes found for earlier replicas. Within one decision capacity only shrinks (until
        // a preemption frees some), so later replicas of the same shape look among them first.
        var candidates: [Int] = []

        for replica in missing {
            let earlier = held.map(\.node) + assignments.map(\.node)
            var context = PlacementContext(state: state, request: resolved, earlierReplicas: earlier, changes: changes)
            var node = best(among: &candidates, in: context, rng: &rng)
                ?? search(in: context, cacheable: earlier.isEmpty && resolved.request.avoidNodes == nil, candidates: &candidates, rng: &rng)
            if case .noFit(var report) = node, resolved.mayPreempt {
                report.preemptionTried = true
                node = .noFit(report)
                let blocks = caches.buckets(for: resolved, in: state, filters: filters).blocks
                let start = blocks.isEmpty ? 0 : Int(rng.next() % UInt64(blocks.count))
                if let plan = Preemption.plan(
                    in: context, blocks: blocks, start: start, excluding: Set(victims.map(\.requestID)), filters: filters,
                    limit: policy.preemptionCandidates)
                {
                    var freed = changes
                    for victim in plan.victims { freed.give(state.allocations[victim]!, in: state.table) }
                    let freedContext = PlacementContext(state: state, request: resolved, earlierReplicas: context.earlierReplicas, changes: freed)
                    // The victims go only if the whole chain then passes on the planned node.
                    if filters.reason(node: plan.node, in: freedContext) == nil {
                        changes = freed
                        context = freedContext
                        victims += plan.victims.map { id in
                            let allocation = state.allocations[id]!
                            return Victim(requestID: id, tenant: allocation.tenant, priority: allocation.priority)
                        }
                        candidates.removeAll()
                        node = .node(plan.node)
                    }
                }
            }
            switch node {
            case .node(let chosen):
                if let assignment = Self.assignment(replica: replica, node: chosen, in: context) {
                    changes.take(assignment, in: state.table)
                    assignments.append(assignment)
                } else {
                    // Unreachable while filters and assignment agree; never return a partial gang.
                    failure = NoFitReport(counts: [:], nodesEvaluated: state.nodeCount, unplacedReplicas: 1)
                }
            case .noFit(let report):
                failure = report
            }
            if failure != nil { break }
        }

        guard var report = failure else { return .placed(Placement(replicas: assignments, preempted: victims)) }
        if resolved.request.gang || assignments.isEmpty {
            report.unplacedReplicas = missing.count
            return .noFit(report)
        }
        report.unplacedReplicas = missing.count - assignments.count
        return .placed(Placement(replicas: assignments, preempted: victims, unplaced: report))
    }

    /// What one replica takes on the chosen node: GPUs by best fit, volumes on the nearest pools.
    /// Nil only if the node does not pass the filters, which the caller has checked.
    static func assignment(replica: Int, node: Int, in context: PlacementContext) -> ReplicaAssignment? {
        let request = context.request.request
        var gpus: [GPUShare] = []
        if let gpu = request.gpu {
            guard
                let shares = context.withGPUs(ofNode: node, { free, models, memory in
                    GPUFit.assign(gpu, allowed: context.request.gpuModels, free: free, models: models, memory: memory)
                })
            else { return nil }
            gpus = shares
        }
        guard let volumes = VolumePlacement.assign(for: request, atNode: node, in: context) else { return nil }
        return ReplicaAssignment(
            replica: replica, node: node, nodeID: context.state.table.nodes[node].id, resources: request.resources, gpus: gpus, volumes: volumes)
    }

    /// The best of the earlier replicas' feasible nodes that still fit, dropping those that do not;
    /// nil when none is left.
    private func best(among candidates: inout [Int], in context: PlacementContext, rng: inout SplitMix64) -> SearchOutcome? {
        guard !candidates.isEmpty else { return nil }
        var best = BestNode()
        candidates.removeAll { node in
            guard filters.reason(node: node, in: context) == nil else { return true }
            best.offer(node, score: score(node: node, in: context), rng: &rng)
            return false
        }
        return best.node.map { .node($0) }
    }

    /// The best node for one more replica, or the reasons no node fits. Fills `candidates` with the
    /// feasible nodes it scored.
    private mutating func search(
        in context: PlacementContext, cacheable: Bool, candidates feasibleNodes: inout [Int], rng: inout SplitMix64
    ) -> SearchOutcome {
        let state = context.state, resolved = context.request
        let buckets = caches.buckets(for: resolved, in: state, filters: filters)
        let key = cacheable ? ShapeCaches.NoFitKey(resolved) : nil
        if let key, let entry = caches.noFit[key] {
            if let updated = recount(entry, buckets: buckets, in: context) {
                caches.remember(key, updated)
                return .noFit(report(buckets.counts + updated.counts.reduce(ReasonCounts(), +), for: resolved, in: state))
            }
            caches.noFit[key] = nil
        }

        // Blocks whose summary admits the replica, visited from a random one, wrapping around.
        let blocks = buckets.blocks
        var candidates: [Int] = []
        candidates.reserveCapacity(blocks.count)
        for (slot, b) in blocks.enumerated()
        where state.summaries[b].admits(resolved.request) || context.changes.grownBlocks.contains(b) {
            candidates.append(slot)
        }
        // Nearest first needs every feasible node, not the first few a scan finds.
        let limit = resolved.request.placesNearestFirst ? Int.max : policy.scan.maximum
        let asked = resolved.request.resources
        var best = BestNode()
        feasibleNodes.removeAll(keepingCapacity: true)
        if !candidates.isEmpty {
            let first = Int(rng.next() % UInt64(candidates.count))
            scan: for step in 0..<candidates.count {
                for node in state.table.blocks[blocks[candidates[(first + step) % candidates.count]]] {
                    // Most nodes of a busy cluster fail on plain capacity: test that inline before
                    // the filter chain. Reasons are counted only if no node fits (below).
                    guard asked.fits(in: context.free(node)), filters.reason(node: node, in: context) == nil else { continue }
                    best.offer(node, score: score(node: node, in: context), rng: &rng)
                    feasibleNodes.append(node)
                    if feasibleNodes.count >= limit { break scan }
                }
            }
        }
        if let node = best.node { return .node(node) }

        // No node fits: count why, per block, for the report and the no-fit cache. A node that
        // fits here (never, while summaries are exact) is still taken rather than misreported.
        var perBlock = [ReasonCounts](repeating: ReasonCounts(), count: blocks.count)
        for (slot, b) in blocks.enumerated() {
            for node in state.table.blocks[b] {
                guard let reason = filters.reason(node: node, in: context) else { return .node(node) }
                perBlock[slot].add(reason)
            }
        }
        if let key {
            caches.remember(key, ShapeCaches.NoFitEntry(versions: blocks.map { state.blockVersions[$0] }, counts: perBlock))
        }
        return .noFit(report(buckets.counts + perBlock.reduce(ReasonCounts(), +), for: resolved, in: state))
    }

    /// The policy's score of a feasible node; for a request placed nearest first, nodes are ranked
    /// by their site's latency from its origin before the score (a millisecond outweighs any score).
    private func score(node: Int, in context: PlacementContext) -> Double {
        let score = policy.score(node: node, in: context)
        guard let origin = context.request.nearestFirstOrigin else { return score }
        return score - 1e6 * context.state.topology.latencyMs(origin, context.state.table.siteOfNode[node])
    }

    /// A cached no-fit entry brought up to date by counting again only the blocks that changed;
    /// nil when a node of a changed block now fits.
    private func recount(_ entry: ShapeCaches.NoFitEntry, buckets: ShapeCaches.Buckets, in context: PlacementContext) -> ShapeCaches.NoFitEntry? {
        var entry = entry
        let state = context.state
        for (slot, b) in buckets.blocks.enumerated() where entry.versions[slot] != state.blockVersions[b] {
            var counts = ReasonCounts()
            for node in state.table.blocks[b] {
                guard let reason = filters.reason(node: node, in: context) else { return nil }
                counts.add(reason)
            }
            entry.versions[slot] = state.blockVersions[b]
            entry.counts[slot] = counts
        }
        return entry
    }

    private func report(_ counts: ReasonCounts, for resolved: ResolvedRequest, in state: ClusterState) -> NoFitReport {
        NoFitReport(counts: counts.dictionary, nodesEvaluated: state.nodeCount, unplacedReplicas: 1, maxLatencyMs: resolved.request.maxLatencyMs)
    }
}

/// The highest-scoring node offered so far; equal scores are chosen among uniformly (reservoir
/// sampling with the decision's seeded generator, as kube-scheduler's selectHost), so identical
/// nodes share work instead of the first in scan order taking all of it.
struct BestNode {
    private(set) var node: Int?
    private var score = -Double.infinity
    private var ties = 0

    mutating func offer(_ candidate: Int, score candidateScore: Double, rng: inout SplitMix64) {
        if candidateScore > score {
            node = candidate
            score = candidateScore
            ties = 1
        } else if candidateScore == score {
            ties += 1
            if rng.next() % UInt64(ties) == 0 { node = candidate }
        }
    }
}

/// The result of searching for one replica's node: a node, or why none fits (a value, not an error).
enum SearchOutcome {
    case node(Int)
    case noFit(NoFitReport)
}

extension BlockSummary {
    /// False only when no node of the block can hold one replica.
    func admits(_ request: PlacementRequest) -> Bool {
        guard ready > 0, request.resources.fits(in: maxFree) else { return false }
        guard let gpu = request.gpu else { return true }
        return gpu.milliPerGPU == GPUDevice.wholeMilli ? Int(maxWholeGPUs) >= gpu.count : maxGPUFree >= gpu.milliPerGPU
    }
}
