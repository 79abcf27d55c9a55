/// The static attributes shared by every node of one index bucket.
public struct BucketKey: Sendable, Hashable, Comparable {
    public var nodeClass: NodeClass
    public var partition: String
    /// Index of the site in the topology.
    public var site: Int

    public static func < (a: BucketKey, b: BucketKey) -> Bool {
        (a.nodeClass, a.partition, a.site) < (b.nodeClass, b.partition, b.site)
    }
}

/// Immutable facts about the nodes of one cluster: descriptions, interned sites and GPU models, the
/// index buckets, storage pools. Shared by every copy of a `ClusterState`; a change to the node set
/// builds a new table, which is also how caches tell that the cluster changed shape.
final class NodeTable: Sendable {
    let nodes: [Node]
    /// Per node, copied out of `nodes` so hot loops read plain values, not whole node records.
    let capacities: [Resources]
    let energy: [EnergyProfile]
    let prices: [PriceRate]
    /// Per node: its labels as sorted interned key=value ids (see `labelID(key:value:)`).
    let labelIDs: [[Int32]]
    private let labelIDByPair: [String: [String: Int32]]
    let indexByID: [String: Int]
    let topology: Topology
    /// Per node: the site's index in `topology`, and an interned region id.
    let siteOfNode: [Int]
    let regionOfNode: [Int]
    /// Per node: the first of its GPUs in the flat per-GPU arrays; node i owns gpuStart[i]..<gpuStart[i+1].
    let gpuStart: [Int]
    /// Per GPU: interned model id and device memory.
    let gpuModel: [Int32]
    let gpuMemory: [Int64]
    let gpuModelNames: [String]
    let gpuModelByName: [String: Int32]
    /// Index buckets sorted by key, each cut into blocks of at most `blockSize` nodes; a block's
    /// summary lets the placer skip its nodes at once.
    let buckets: [(key: BucketKey, nodes: [Int], blocks: Range<Int>)]
    let blocks: [ArraySlice<Int>]
    let blockOfNode: [Int]

    static let blockSize = 16
    /// Per bucket: total capacity and GPU count of its nodes, for "larger than the cluster" checks.
    let bucketCapacity: [Resources]
    let bucketGPUs: [Int]
    let pools: [StoragePool]
    /// Per site index: indices of the pools at that site.
    let poolsAtSite: [[Int]]
    /// The largest capacity of any node, per dimension, and the most GPUs on one node.
    let largestNode: Resources
    /// The largest capacity of a node of each class, per dimension.
    let largestByClass: [NodeClass: Resources]
    let mostGPUs: Int
    /// The highest hourly price of one core, GiB and GPU across nodes, for normalizing cost.
    let highestPrice: PriceRate

    init(nodes: [Node], topology baseTopology: Topology, pools: [StoragePool]) throws(ValidationError) {
        var topology = baseTopology
        var indexByID: [String: Int] = [:]
        var gpuModelByName: [String: Int32] = [:]
        var gpuModelNames: [String] = []
        var gpuStart: [Int] = [0], gpuModel: [Int32] = [], gpuMemory: [Int64] = []
        var largest = Resources.zero, mostGPUs = 0
        var largestByClass: [NodeClass: Resources] = [:]
        var highest = PriceRate()
        for (i, node) in nodes.enumerated() {
            let field = "nodes[\(i)]"
            guard !node.id.isEmpty else { throw ValidationError(field: "\(field).id", code: .invalid, message: "a node needs an id") }
            guard indexByID[node.id] == nil else {
                throw ValidationError(field: "\(field).id", code: .invalid, message: "duplicate node id '\(node.id)'")
            }
            for dimension in Resources.dimensions where !(0...Resources.maximumAmount).contains(node.capacity.value(of: dimension)) {
                throw ValidationError(
                    field: "\(field).capacity.\(dimension.rawValue)", code: .outOfRange,
                    message: "capacity must be between 0 and \(Resources.maximumAmount), got \(node.capacity.value(of: dimension))")
            }
            guard node.gpus.count <= 1_024 else {
                throw ValidationError(field: "\(field).gpus", code: .outOfRange, message: "at most 1024 GPUs per node, got \(node.gpus.count)")
            }
            guard !node.site.isEmpty else { throw ValidationError(field: "\(field).site", code: .invalid, message: "a node needs a site") }
            indexByID[node.id] = i
            topology.addSite(node.site)
            for gpu in node.gpus {
                if gpuModelByName[gpu.model] == nil {
                    gpuModelByName[gpu.model] = Int32(gpuModelNames.count)
                    gpuModelNames.append(gpu.model)
                }
                gpuModel.append(gpuModelByName[gpu.model]!)
                gpuMemory.append(gpu.memoryMiB)
            }
            gpuStart.append(gpuModel.count)
            largest = largest.componentMax(node.capacity)
            largestByClass[node.nodeClass] = (largestByClass[node.nodeClass] ?? .zero).componentMax(node.capacity)
            mostGPUs = max(mostGPUs, node.gpus.count)
            highest.perCoreHour = max(highest.perCoreHour, node.price.perCoreHour)
            highest.perGiBMemoryHour = max(highest.perGiBMemoryHour, node.price.perGiBMemoryHour)
            highest.perGPUHour = max(highest.perGPUHour, node.price.perGPUHour)
        }
        var poolIDs = Set<String>()
        for (i, pool) in pools.enumerated() {
            guard poolIDs.insert(pool.id).inserted else {
                throw ValidationError(field: "storagePools[\(i)].id", code: .invalid, message: "duplicate pool id '\(pool.id)'")
            }
            guard pool.capacityGiB >= 0 else {
                throw ValidationError(field: "storagePools[\(i)].capacityGiB", code: .outOfRange, message: "capacity must not be negative")
            }
            topology.addSite(pool.site)
        }
        for a in topology.sites {
            for b in topology.sites where a < b {
                let latency = topology.latencyMs(from: a, to: b)
                guard !latency.isNaN && latency >= 0 else {
                    throw ValidationError(field: "topology.links[\(a)-\(b)]", code: .outOfRange, message: "latency must be a non-negative number of ms, got \(latency)")
                }
            }
        }
        let siteOfNode = nodes.map { topology.index(of: $0.site)! }
        var regionIDs: [String: Int] = [:]
        let regionOfNode = nodes.map { node in
            if let id = regionIDs[node.region] { return id }
            regionIDs[node.region] = regionIDs.count
            return regionIDs.count - 1
        }
        var grouped: [BucketKey: [Int]] = [:]
        for (i, node) in nodes.enumerated() {
            grouped[BucketKey(nodeClass: node.nodeClass, partition: node.partition, site: siteOfNode[i]), default: []].append(i)
        }
        var buckets: [(key: BucketKey, nodes: [Int], blocks: Range<Int>)] = []
        var blocks: [ArraySlice<Int>] = []
        var blockOfNode = [Int](repeating: 0, count: nodes.count)
        for (key, members) in grouped.sorted(by: { $0.key < $1.key }) {
            let first = blocks.count
            for start in stride(from: 0, to: members.count, by: Self.blockSize) {
                let block = members[start..<min(start + Self.blockSize, members.count)]
                for i in block { blockOfNode[i] = blocks.count }
                blocks.append(block)
            }
            buckets.append((key: key, nodes: members, blocks: first..<blocks.count))
        }
        let bucketCapacity = buckets.map { $0.nodes.reduce(Resources.zero) { $0 + nodes[$1].capacity } }
        let bucketGPUs = buckets.map { $0.nodes.reduce(0) { $0 + nodes[$1].gpus.count } }
        var poolsAtSite = [[Int]](repeating: [], count: topology.sites.count)
        for (p, pool) in pools.enumerated() { poolsAtSite[topology.index(of: pool.site)!].append(p) }

        var labelIDByPair: [String: [String: Int32]] = [:]
        var nextLabel: Int32 = 0
        let labelIDs = nodes.map { node in
            node.labels.map { key, value in
                if let id = labelIDByPair[key]?[value] { return id }
                labelIDByPair[key, default: [:]][value] = nextLabel
                nextLabel += 1
                return nextLabel - 1
            }.sorted()
        }

        self.nodes = nodes
        self.capacities = nodes.map(\.capacity)
        self.energy = nodes.map(\.energy)
        self.prices = nodes.map(\.price)
        self.labelIDs = labelIDs
        self.labelIDByPair = labelIDByPair
        self.indexByID = indexByID
        self.topology = topology
        self.siteOfNode = siteOfNode
        self.regionOfNode = regionOfNode
        self.gpuStart = gpuStart
        self.gpuModel = gpuModel
        self.gpuMemory = gpuMemory
        self.gpuModelNames = gpuModelNames
        self.gpuModelByName = gpuModelByName
        self.buckets = buckets
        self.blocks = blocks
        self.blockOfNode = blockOfNode
        self.bucketCapacity = bucketCapacity
        self.bucketGPUs = bucketGPUs
        self.pools = pools
        self.poolsAtSite = poolsAtSite
        self.largestNode = largest
        self.largestByClass = largestByClass
        self.mostGPUs = mostGPUs
        self.highestPrice = highest
    }

    func gpuRange(of node: Int) -> Range<Int> { gpuStart[node]..<gpuStart[node + 1] }

    /// The interned id of a label pair, nil when no node carries it.
    func labelID(key: String, value: String) -> Int32? { labelIDByPair[key]?[value] }
}
