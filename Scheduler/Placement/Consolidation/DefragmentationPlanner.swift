/// A request moved off a node to make room: where its replicas are and where they would go.
public struct Move: Sendable, Hashable, Codable {
    public var requestID: String
    public var from: [String]
    public var to: [String]
}

/// The moves after which a blocked request fits or nodes are empty, and where things then run.
public struct DefragmentationPlan: Sendable, Hashable, Codable {
    public var moves: [Move]
    /// The nodes whose room the moves free.
    public var freedNodes: [String]
    /// Where the blocked request would be placed after the moves; empty when freeing nodes.
    public var placement: [String]
    /// The placements to commit, by request id: every moved request's, then the blocked one's;
    /// `commit(to:)` applies them.
    public var placements: [String: Placement]
    /// The order in which `placements` are committed.
    public var order: [String]

    /// The cluster after the plan: the moved requests released and placed again, then the blocked
    /// request placed. Throws when the state is not the one the plan was made on.
    public func commit(to state: ClusterState, requests: [String: PlacementRequest], priorities: PriorityTable = .standard) throws(CommitConflict) -> ClusterState {
        var state = state
        for move in moves { state.release(move.requestID) }
        for id in order {
            guard let request = requests[id], let placement = placements[id] else { throw CommitConflict(requestID: id, reason: "not in the plan") }
            try state.commit(placement, of: request, priorities: priorities)
        }
        return state
    }
}

/// Finds the fewest moves of movable requests that let a blocked request fit (e.g. an 8-GPU gang
/// kept out by scattered fractional GPU use): for each node, its movable residents leave largest
/// first until the request would fit there; each must be placed again elsewhere by the same
/// placement core (the node is held back meanwhile), and the request must then be placed. Only
/// requests the caller names as movable move (restartable work of no higher band than the
/// request, by the caller's rules). Works on a copy: the snapshot is never changed.
public struct DefragmentationPlanner: Sendable {
    public var placer: Placer
    /// The most moves a plan may make.
    public var maxMoves: Int

    public init(placer: Placer, maxMoves: Int = 8) {
        self.placer = placer
        self.maxMoves = maxMoves
    }

    /// The plan with the fewest moves (then the least moved), or nil when none within `maxMoves`.
    /// `movable` are the specs of the requests that may move, as they were placed.
    public mutating func plan(toFit request: PlacementRequest, in state: ClusterState, movable: [PlacementRequest]) -> DefragmentationPlan? {
        var scratch = state
        if let placement = place(request, in: &scratch) {
            return DefragmentationPlan(moves: [], freedNodes: [], placement: placement.replicas.map(\.nodeID), placements: [request.id: placement], order: [request.id])
        }
        let specs = Dictionary(movable.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
        var best: (plan: DefragmentationPlan, moved: Int64)?
        for node in 0..<state.nodeCount where state.nodeStates[node].acceptsWork {
            let nodeID = state.node(at: node).id
            let residents = state.residents[node]
                .filter { specs[$0.requestID] != nil }
                .map { resident in (state.allocations[resident.requestID]!, Self.size(resident, on: state.node(at: node))) }
                .sorted { ($0.1, $0.0.requestID) > ($1.1, $1.0.requestID) }
            guard !residents.isEmpty else { continue }
            let limit = min(maxMoves, best.map { $0.plan.moves.count } ?? maxMoves)
            var scratch = state
            var leaving: [Allocation] = []
            for (allocation, _) in residents.prefix(limit) {
                scratch.release(allocation.requestID)
                leaving.append(allocation)
                if let plan = movesFitting(request, freeing: node, leaving: leaving, in: scratch, specs: specs) {
                    let moved = residents.prefix(leaving.count).reduce(Int64(0)) { $0 + $1.1 }
                    if best == nil || (plan.moves.count, moved) < (best!.plan.moves.count, best!.moved) {
                        let order = plan.moves.map(\.requestID) + [request.id]
                        best = (DefragmentationPlan(
                            moves: plan.moves, freedNodes: [nodeID], placement: plan.placements[request.id]!.replicas.map(\.nodeID),
                            placements: plan.placements, order: order), moved)
                    }
                    break
                }
            }
        }
        return best?.plan
    }

    /// The fewest moves that leave `count` of the `candidates` nodes (indices; all nodes when nil)
    /// empty: nodes already empty first, then, one at a time, the node whose residents (all
    /// movable) can be placed elsewhere with the fewest moves; nil when not enough nodes can be
    /// emptied. The freed nodes are held back while the others are emptied.
    public mutating func plan(toFree count: Int, candidates: [Int]? = nil, in state: ClusterState, movable: [PlacementRequest]) -> DefragmentationPlan? {
        let specs = Dictionary(movable.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
        let pool = (candidates ?? Array(0..<state.nodeCount)).filter { state.nodeStates[$0].acceptsWork }
        var scratch = state
        var freed = pool.filter { state.requestCount(onNode: $0) == 0 }.prefix(count).map { $0 }
        var moves: [Move] = []
        var placements: [String: Placement] = [:]
        var order: [String] = []
        while freed.count < count {
            var best: (node: Int, state: ClusterState, moves: [Move], placements: [String: Placement])?
            for node in pool where !freed.contains(node) {
                let residents = scratch.residents[node].map { scratch.allocations[$0.requestID]! }.sorted { $0.requestID < $1.requestID }
                guard residents.allSatisfy({ specs[$0.requestID] != nil }), residents.count < (best?.moves.count ?? maxMoves + 1) else { continue }
                var trial = scratch
                for held in freed + [node] { trial.setState(.cordoned, ofNode: held) }
                var trialMoves: [Move] = []
                var trialPlacements: [String: Placement] = [:]
                for allocation in residents {
                    trial.release(allocation.requestID)
                }
                var placedAll = true
                for allocation in residents {
                    guard let placement = place(specs[allocation.requestID]!, in: &trial) else { placedAll = false; break }
                    trialMoves.append(Move(requestID: allocation.requestID, from: allocation.replicas.map(\.nodeID), to: placement.replicas.map(\.nodeID)))
                    trialPlacements[allocation.requestID] = placement
                }
                guard placedAll else { continue }
                for held in freed + [node] { trial.setState(state.nodeStates[held], ofNode: held) }
                best = (node, trial, trialMoves, trialPlacements)
            }
            guard let chosen = best, moves.count + chosen.moves.count <= maxMoves else { return nil }
            scratch = chosen.state
            freed.append(chosen.node)
            // A request moved twice keeps only its last placement.
            for move in chosen.moves {
                if let earlier = moves.firstIndex(where: { $0.requestID == move.requestID }) {
                    moves[earlier].to = move.to
                } else {
                    moves.append(move)
                    order.append(move.requestID)
                }
            }
            placements.merge(chosen.placements) { _, newer in newer }
        }
        return DefragmentationPlan(moves: moves, freedNodes: freed.map { state.node(at: $0).id }, placement: [], placements: placements, order: order)
    }

    /// Places the leaving requests elsewhere (the freed node held back), then the request;
    /// nil when any of them does not fit.
    private mutating func movesFitting(
        _ request: PlacementRequest, freeing node: Int, leaving: [Allocation], in state: ClusterState, specs: [String: PlacementRequest]
    ) -> (moves: [Move], placements: [String: Placement])? {
        var scratch = state
        let original = scratch.nodeStates[node]
        scratch.setState(.cordoned, ofNode: node)
        var moves: [Move] = []
        var placements: [String: Placement] = [:]
        for allocation in leaving {
            guard let spec = specs[allocation.requestID], let placement = place(spec, in: &scratch) else { return nil }
            moves.append(Move(requestID: allocation.requestID, from: allocation.replicas.map(\.nodeID), to: placement.replicas.map(\.nodeID)))
            placements[allocation.requestID] = placement
        }
        scratch.setState(original, ofNode: node)
        guard let placement = place(request, in: &scratch) else { return nil }
        placements[request.id] = placement
        return (moves, placements)
    }

    /// Places every replica, without preemption, and commits it to `state`.
    private mutating func place(_ request: PlacementRequest, in state: inout ClusterState) -> Placement? {
        guard case .placed(let placement) = placer.place(request, in: state), placement.preempted.isEmpty, placement.unplaced == nil,
              (try? state.commit(placement, of: request)) != nil
        else { return nil }
        return placement
    }

    /// What a request holds on a node as a share of it, summed over CPU, memory and GPUs, in
    /// thousandths.
    private static func size(_ resident: Resident, on node: Node) -> Int64 {
        var size = resident.resources.cpuMillis * 1000 / max(1, node.capacity.cpuMillis)
        size += resident.resources.memoryMiB * 1000 / max(1, node.capacity.memoryMiB)
        let gpuMilli = resident.gpus.reduce(Int64(0)) { $0 + Int64($1.milli) }
        if !node.gpus.isEmpty { size += gpuMilli / Int64(node.gpus.count) }
        return size
    }
}
