/// Upper bounds of what any single node of an index block has free, used to skip whole blocks that
/// cannot hold a request. Exact after every commit and release; the placer's scratch copies let
/// them lag (still upper bounds).
struct BlockSummary: Sendable, Hashable {
    var maxFree = Resources.zero
    /// The most fully free GPUs on one node.
    var maxWholeGPUs: Int32 = 0
    /// The largest free share on one GPU.
    var maxGPUFree: Int32 = 0
    /// Ready nodes in the block.
    var ready = 0
}

/// The snapshot the placement core decides on: every node with what it has free, every committed
/// allocation, storage pools and the topology. A value: copies are cheap until mutated, and a
/// decision made on one copy is committed to the authoritative copy by `commit(_:)`, which
/// re-checks capacity first.
public struct ClusterState: Sendable {
    let table: NodeTable
    public private(set) var nodeStates: [NodeState]
    var free: [Resources]
    /// Free thousandths per GPU, flat (see `NodeTable.gpuStart`).
    var gpuFree: [Int32]
    var poolFree: [Int64]
    var summaries: [BlockSummary]
    public private(set) var allocations: [String: Allocation]
    /// Per node: the requests with replicas there and what they hold on it.
    var residents: [[Resident]]
    /// Per index block: grows with every change to a node of the block (commit, release, state),
    /// so a cached answer about a block is still right while its version is the same.
    private(set) var blockVersions: [UInt64]
    private var commitSequence: UInt64 = 0
    /// Grows whenever capacity may have been freed: a release, a node becoming ready, a new node
    /// set. A request that did not fit for want of capacity is worth trying again once it moved.
    public private(set) var freedEpoch: UInt64 = 0
    /// Grows whenever the node set, the nodes' attributes or the topology may have changed. A
    /// request that no node could take whatever is free (class, partition, latency, labels, GPU
    /// model) is worth trying again only once it moved.
    public private(set) var nodesEpoch: UInt64 = 0

    /// A cluster with nothing allocated. Sites of nodes and pools missing from `topology` are added
    /// (reachable only from themselves).
    public init(nodes: [Node], topology: Topology = Topology(), storagePools: [StoragePool] = []) throws(ValidationError) {
        table = try NodeTable(nodes: nodes, topology: topology, pools: storagePools)
        nodeStates = nodes.map(\.state)
        free = table.capacities
        gpuFree = [Int32](repeating: GPUDevice.wholeMilli, count: table.gpuModel.count)
        poolFree = storagePools.map(\.capacityGiB)
        summaries = [BlockSummary](repeating: BlockSummary(), count: table.blocks.count)
        blockVersions = [UInt64](repeating: 0, count: table.blocks.count)
        allocations = [:]
        residents = [[Resident]](repeating: [], count: nodes.count)
        for b in summaries.indices { refreshSummary(block: b) }
    }

    // MARK: Reading

    public var nodeCount: Int { table.nodes.count }
    public var nodes: [Node] { table.nodes }
    public var topology: Topology { table.topology }
    public var storagePools: [StoragePool] { table.pools }
    /// Names of the GPU models present, in first-seen order.
    public var gpuModels: [String] { table.gpuModelNames }

    public func node(at index: Int) -> Node { table.nodes[index] }
    public func index(ofNode id: String) -> Int? { table.indexByID[id] }
    public func freeResources(ofNode index: Int) -> Resources { free[index] }
    public func freeGPUMilli(ofNode index: Int) -> [Int32] { Array(gpuFree[table.gpuRange(of: index)]) }
    public func freeGiB(ofPool index: Int) -> Int64 { poolFree[index] }
    public func siteIndex(ofNode index: Int) -> Int { table.siteOfNode[index] }
    /// How many requests hold something on a node.
    public func requestCount(onNode index: Int) -> Int { residents[index].count }
    /// The requests that hold something on a node, oldest commit first.
    public func requestIDs(onNode index: Int) -> [String] { residents[index].sorted { $0.sequence < $1.sequence }.map(\.requestID) }

    /// Calls `body` with the node's free GPU shares, device models and device memory.
    @inline(__always)
    func withGPUs<T>(
        ofNode node: Int,
        _ body: (_ free: UnsafeBufferPointer<Int32>, _ models: UnsafeBufferPointer<Int32>, _ memory: UnsafeBufferPointer<Int64>) -> T
    ) -> T {
        let range = table.gpuRange(of: node)
        return gpuFree.withUnsafeBufferPointer { f in
            table.gpuModel.withUnsafeBufferPointer { m in
                table.gpuMemory.withUnsafeBufferPointer { mem in
                    body(
                        UnsafeBufferPointer(rebasing: f[range]), UnsafeBufferPointer(rebasing: m[range]),
                        UnsafeBufferPointer(rebasing: mem[range]))
                }
            }
        }
    }

    /// Total capacity of ready nodes and what is free on them.
    public func totals() -> (capacity: Resources, free: Resources, gpuMilli: Int64, freeGPUMilli: Int64) {
        var capacity = Resources.zero, available = Resources.zero, gpu: Int64 = 0, freeGPU: Int64 = 0
        for i in 0..<nodeCount where nodeStates[i].acceptsWork {
            capacity += table.capacities[i]
            available += free[i]
            for g in table.gpuRange(of: i) {
                gpu += Int64(GPUDevice.wholeMilli)
                freeGPU += Int64(gpuFree[g])
            }
        }
        return (capacity, available, gpu, freeGPU)
    }

    // MARK: Changing nodes

    /// Sets a node's state (cordon, drain, suspect, lost, ready). Allocations stay: evicting them is
    /// the caller's decision.
    public mutating func setState(_ state: NodeState, ofNode index: Int) {
        if state.acceptsWork, !nodeStates[index].acceptsWork { freedEpoch &+= 1 }
        nodeStates[index] = state
        refreshSummary(block: table.blockOfNode[index])
    }

    // MARK: Commit and release

    /// Commits a placement after re-checking it against this state: no replica is placed already
    /// (a decision committed twice is refused), every victim still holds its allocation in a
    /// strictly lower band than `request`, every node is ready, and every node, GPU and pool has
    /// room once the victims are gone. Nothing changes when it throws. Replicas of a request placed
    /// in part before are added to its allocation.
    public mutating func commit(_ placement: Placement, of request: PlacementRequest, priorities: PriorityTable = .standard) throws(CommitConflict) {
        let band = priorities.band(of: request.priority).value
        guard !placement.replicas.isEmpty else { throw CommitConflict(requestID: request.id, reason: "the placement has no replicas") }
        if let existing = allocations[request.id] {
            let held = Set(existing.replicas.map(\.replica))
            if let again = placement.replicas.first(where: { held.contains($0.replica) }) {
                throw CommitConflict(requestID: request.id, reason: "replica \(again.replica) is already placed")
            }
        }
        var freed: [Int: Resources] = [:], freedGPU: [Int: Int32] = [:], freedPool: [Int: Int64] = [:]
        for victim in placement.preempted {
            guard let allocation = allocations[victim.requestID] else {
                throw CommitConflict(requestID: request.id, reason: "victim \(victim.requestID) no longer holds an allocation")
            }
            guard allocation.band < band else {
                throw CommitConflict(requestID: request.id, reason: "victim \(victim.requestID) is not in a lower band")
            }
            for replica in allocation.replicas {
                freed[replica.node, default: .zero] += replica.resources
                for share in replica.gpus { freedGPU[table.gpuStart[replica.node] + share.device, default: 0] += share.milli }
                for volume in replica.volumes { freedPool[volume.pool, default: 0] += volume.sizeGiB }
            }
        }
        var demand: [Int: Resources] = [:], demandGPU: [Int: Int32] = [:], demandPool: [Int: Int64] = [:]
        for replica in placement.replicas {
            guard replica.node >= 0, replica.node < nodeCount, table.nodes[replica.node].id == replica.nodeID else {
                throw CommitConflict(requestID: request.id, reason: "unknown node \(replica.nodeID)")
            }
            guard nodeStates[replica.node].acceptsWork else {
                throw CommitConflict(requestID: request.id, reason: "node \(replica.nodeID) is \(nodeStates[replica.node].rawValue)")
            }
            demand[replica.node, default: .zero] += replica.resources
            for share in replica.gpus {
                guard share.device >= 0, share.device < table.gpuRange(of: replica.node).count else {
                    throw CommitConflict(requestID: request.id, reason: "node \(replica.nodeID) has no GPU \(share.device)")
                }
                demandGPU[table.gpuStart[replica.node] + share.device, default: 0] += share.milli
            }
            for volume in replica.volumes { demandPool[volume.pool, default: 0] += volume.sizeGiB }
        }
        for (node, need) in demand where !need.fits(in: free[node] + (freed[node] ?? .zero)) {
            throw CommitConflict(requestID: request.id, reason: "node \(table.nodes[node].id) no longer has room")
        }
        for (gpu, need) in demandGPU where need > gpuFree[gpu] + (freedGPU[gpu] ?? 0) {
            throw CommitConflict(requestID: request.id, reason: "a GPU no longer has room")
        }
        for (pool, need) in demandPool where pool < 0 || pool >= poolFree.count || need > poolFree[pool] + (freedPool[pool] ?? 0) {
            throw CommitConflict(requestID: request.id, reason: "storage pool no longer has room")
        }

        for victim in placement.preempted { release(victim.requestID) }
        for replica in placement.replicas { reserve(replica) }
        commitSequence += 1
        if var existing = allocations[request.id] {
            existing.replicas += placement.replicas
            allocations[request.id] = existing
        } else {
            allocations[request.id] = Allocation(
                requestID: request.id, tenant: request.tenant, priority: request.priority, band: band,
                sequence: commitSequence, replicas: placement.replicas)
        }
        let sequence = allocations[request.id]!.sequence
        for replica in placement.replicas { addResident(replica, of: request.id, band: band, sequence: sequence) }
    }

    /// Puts back an allocation committed earlier, on this state or on another one with the same
    /// nodes at other indices (after a restart, or after nodes joined or left): node and pool
    /// indices are looked up by ID. Capacity is re-checked but node states are not: an allocation
    /// on a cordoned or lost node stays until it is released. Nothing changes when it throws.
    public mutating func restore(_ allocation: Allocation) throws(CommitConflict) {
        let id = allocation.requestID
        guard allocations[id] == nil else { throw CommitConflict(requestID: id, reason: "it already holds an allocation") }
        guard !allocation.replicas.isEmpty else { throw CommitConflict(requestID: id, reason: "the allocation has no replicas") }
        var replicas = allocation.replicas
        var demand: [Int: Resources] = [:], demandGPU: [Int: Int32] = [:], demandPool: [Int: Int64] = [:]
        for r in replicas.indices {
            guard let node = table.indexByID[replicas[r].nodeID] else {
                throw CommitConflict(requestID: id, reason: "unknown node \(replicas[r].nodeID)")
            }
            replicas[r].node = node
            demand[node, default: .zero] += replicas[r].resources
            for share in replicas[r].gpus {
                guard share.device >= 0, share.device < table.gpuRange(of: node).count else {
                    throw CommitConflict(requestID: id, reason: "node \(replicas[r].nodeID) has no GPU \(share.device)")
                }
                demandGPU[table.gpuStart[node] + share.device, default: 0] += share.milli
            }
            for v in replicas[r].volumes.indices {
                guard let pool = table.pools.firstIndex(where: { $0.id == replicas[r].volumes[v].poolID }) else {
                    throw CommitConflict(requestID: id, reason: "unknown storage pool \(replicas[r].volumes[v].poolID)")
                }
                replicas[r].volumes[v].pool = pool
                demandPool[pool, default: 0] += replicas[r].volumes[v].sizeGiB
            }
        }
        for (node, need) in demand where !need.fits(in: free[node]) {
            throw CommitConflict(requestID: id, reason: "node \(table.nodes[node].id) has no room for it")
        }
        for (gpu, need) in demandGPU where need > gpuFree[gpu] {
            throw CommitConflict(requestID: id, reason: "a GPU has no room for it")
        }
        for (pool, need) in demandPool where need > poolFree[pool] {
            throw CommitConflict(requestID: id, reason: "storage pool \(table.pools[pool].id) has no room for it")
        }
        for replica in replicas {
            reserve(replica)
            addResident(replica, of: id, band: allocation.band, sequence: allocation.sequence)
        }
        var restored = allocation
        restored.replicas = replicas
        allocations[id] = restored
        commitSequence = max(commitSequence, allocation.sequence)
    }

    /// This state over another node set, topology or storage pools: every node kept (by id) keeps
    /// its state and every allocation is carried over by node and pool id. Both epochs move on.
    /// Throws `.nodes` when the new set is invalid and `.allocation` when it cannot hold what is
    /// allocated (a node in use removed or shrunk).
    public func rebuilt(nodes: [Node], topology: Topology, storagePools: [StoragePool]) throws(RebuildError) -> ClusterState {
        var rebuilt: ClusterState
        do {
            rebuilt = try ClusterState(nodes: nodes, topology: topology, storagePools: storagePools)
        } catch {
            throw .nodes(error)
        }
        for node in nodes {
            if let old = index(ofNode: node.id), let new = rebuilt.index(ofNode: node.id) { rebuilt.nodeStates[new] = nodeStates[old] }
        }
        for b in rebuilt.summaries.indices { rebuilt.refreshSummary(block: b) }
        for allocation in allocations.values.sorted(by: { $0.sequence < $1.sequence }) {
            do { try rebuilt.restore(allocation) } catch { throw .allocation(error) }
        }
        rebuilt.freedEpoch = freedEpoch &+ 1
        rebuilt.nodesEpoch = nodesEpoch &+ 1
        return rebuilt
    }

    /// Frees everything a request holds. Returns its allocation, or nil when it held none.
    @discardableResult
    public mutating func release(_ requestID: String) -> Allocation? {
        guard let allocation = allocations.removeValue(forKey: requestID) else { return nil }
        freedEpoch &+= 1
        for replica in allocation.replicas {
            free[replica.node] += replica.resources
            for share in replica.gpus { gpuFree[table.gpuStart[replica.node] + share.device] += share.milli }
            for volume in replica.volumes { poolFree[volume.pool] += volume.sizeGiB }
            residents[replica.node].removeAll { $0.requestID == requestID }
        }
        for b in Set(allocation.replicas.map { table.blockOfNode[$0.node] }) { refreshSummary(block: b) }
        return allocation
    }

    /// Frees some replicas of a request (it scales in), keeping the others; the whole allocation
    /// goes when none is left. Returns the replicas freed.
    @discardableResult
    public mutating func release(replicas: Set<Int>, of requestID: String) -> [ReplicaAssignment] {
        guard var allocation = allocations[requestID] else { return [] }
        let freed = allocation.replicas.filter { replicas.contains($0.replica) }
        guard !freed.isEmpty else { return [] }
        guard freed.count < allocation.replicas.count else {
            release(requestID)
            return freed
        }
        freedEpoch &+= 1
        allocation.replicas.removeAll { replicas.contains($0.replica) }
        allocations[requestID] = allocation
        for replica in freed {
            free[replica.node] += replica.resources
            for share in replica.gpus { gpuFree[table.gpuStart[replica.node] + share.device] += share.milli }
            for volume in replica.volumes { poolFree[volume.pool] += volume.sizeGiB }
            guard let r = residents[replica.node].firstIndex(where: { $0.requestID == requestID }) else { continue }
            residents[replica.node][r].resources -= replica.resources
            for share in replica.gpus {
                if let g = residents[replica.node][r].gpus.firstIndex(of: share) { residents[replica.node][r].gpus.remove(at: g) }
            }
            if !allocation.replicas.contains(where: { $0.node == replica.node }) { residents[replica.node].remove(at: r) }
        }
        for b in Set(freed.map { table.blockOfNode[$0.node] }) { refreshSummary(block: b) }
        return freed
    }

    /// The `count` replicas of a request to stop when it scales in: the farthest from its origin
    /// site first (so that it comes back to the edge last of all), then the newest.
    public func replicasToRemove(_ count: Int, of request: PlacementRequest) -> [Int] {
        guard count > 0, let allocation = allocations[request.id] else { return [] }
        let origin = request.originSite.flatMap { topology.index(of: $0) }
        func distance(_ replica: ReplicaAssignment) -> Double {
            guard let origin else { return 0 }
            return topology.latencyMs(origin, table.siteOfNode[replica.node])
        }
        let order = allocation.replicas.sorted { (distance($0), $0.replica) > (distance($1), $1.replica) }
        return order.prefix(count).map(\.replica)
    }

    /// Takes one replica's resources.
    private mutating func reserve(_ replica: ReplicaAssignment) {
        free[replica.node] -= replica.resources
        for share in replica.gpus { gpuFree[table.gpuStart[replica.node] + share.device] -= share.milli }
        for volume in replica.volumes { poolFree[volume.pool] -= volume.sizeGiB }
        refreshSummary(block: table.blockOfNode[replica.node])
    }

    /// Records a replica's footprint on its node, merged with the request's other replicas there.
    private mutating func addResident(_ replica: ReplicaAssignment, of requestID: String, band: Int, sequence: UInt64) {
        if let r = residents[replica.node].firstIndex(where: { $0.requestID == requestID }) {
            residents[replica.node][r].resources += replica.resources
            residents[replica.node][r].gpus += replica.gpus
        } else {
            residents[replica.node].append(
                Resident(requestID: requestID, band: band, sequence: sequence, resources: replica.resources, gpus: replica.gpus))
        }
    }

    /// Recomputes a block's summary and marks the block changed.
    private mutating func refreshSummary(block b: Int) {
        blockVersions[b] &+= 1
        var summary = BlockSummary()
        for i in table.blocks[b] where nodeStates[i].acceptsWork {
            summary.ready += 1
            summary.maxFree = summary.maxFree.componentMax(free[i])
            var whole: Int32 = 0
            for g in table.gpuRange(of: i) {
                let f = gpuFree[g]
                if f == GPUDevice.wholeMilli { whole += 1 }
                summary.maxGPUFree = max(summary.maxGPUFree, f)
            }
            summary.maxWholeGPUs = max(summary.maxWholeGPUs, whole)
        }
        summaries[b] = summary
    }
}

/// A request's footprint on one node, kept per node so preemption never searches allocations.
struct Resident: Sendable, Hashable {
    var requestID: String
    var band: Int
    var sequence: UInt64
    /// What all of the request's replicas on this node hold.
    var resources: Resources
    var gpus: [GPUShare]
}

/// A decision that can no longer be committed because the state moved on since it was made.
/// Why `rebuilt(nodes:topology:storagePools:)` refused a new node set.
public enum RebuildError: Error, Sendable, Hashable {
    case nodes(ValidationError)
    case allocation(CommitConflict)
}

public struct CommitConflict: Error, Sendable, Hashable, CustomStringConvertible {
    public var requestID: String
    public var reason: String

    public var description: String { "cannot commit \(requestID): \(reason)" }
}
