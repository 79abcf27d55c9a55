/// Counts of nodes per no-fit reason: a plain vector, so counting allocates nothing.
struct ReasonCounts: Sendable, Hashable {
    private var counts = SIMD16<Int32>()

    mutating func add(_ reason: NoFitReason, _ n: Int = 1) {
        counts[reason.index] &+= Int32(n)
    }

    static func + (a: ReasonCounts, b: ReasonCounts) -> ReasonCounts {
        var sum = a
        sum.counts &+= b.counts
        return sum
    }

    var dictionary: [NoFitReason: Int] {
        var result: [NoFitReason: Int] = [:]
        for reason in NoFitReason.all where counts[reason.index] > 0 { result[reason] = Int(counts[reason.index]) }
        return result
    }
}

/// Caches of the placer, keyed by request shape.
///
/// - Which index buckets pass the bucket filters (class, partition, latency) for a request's static
///   shape, with the node counts of those that fail: valid while the node table is the same.
/// - For shapes that found no node: the reason counts of each passing index block and the block's
///   version when counted. Only blocks that changed since need counting again, so a shape that
///   keeps not fitting on a busy cluster costs a few blocks, not every node.
struct ShapeCaches: Sendable {
    struct BucketKeyShape: Hashable, Sendable {
        var classes: Set<NodeClass>
        var partition: String
        var origin: Int?
        var maxLatencyMs: Double?
    }

    /// The index blocks of the buckets that pass the bucket filters, and the node counts of those
    /// that fail.
    struct Buckets: Sendable {
        var blocks: [Int]
        var counts: ReasonCounts
    }

    struct NoFitKey: Hashable, Sendable {
        var resources: Resources
        var gpu: GPURequest?
        var volumes: [VolumeRequest]
        var bucketShape: BucketKeyShape
        var requiredLabels: [String: String]
        var forbiddenLabels: [String: String]

        init(_ resolved: ResolvedRequest) {
            let request = resolved.request
            resources = request.resources
            gpu = request.gpu
            volumes = request.volumes
            bucketShape = BucketKeyShape(resolved)
            requiredLabels = request.requiredLabels
            forbiddenLabels = request.forbiddenLabels
        }
    }

    /// Per passing block (in `Buckets.blocks` order): its version when counted and its counts.
    struct NoFitEntry: Sendable {
        var versions: [UInt64]
        var counts: [ReasonCounts]
    }

    /// Shapes remembered as not fitting, at most; the map is cleared when full.
    static let noFitCapacity = 1_024

    private var table: ObjectIdentifier?
    private var bucketsByShape: [BucketKeyShape: Buckets] = [:]
    var noFit: [NoFitKey: NoFitEntry] = [:]

    /// Drops everything when the state is of another node table.
    mutating func prepare(for state: ClusterState) {
        let id = ObjectIdentifier(state.table)
        if table != id {
            table = id
            bucketsByShape.removeAll()
            noFit.removeAll()
        }
    }

    mutating func remember(_ key: NoFitKey, _ entry: NoFitEntry) {
        if noFit.count >= Self.noFitCapacity { noFit.removeAll(keepingCapacity: true) }
        noFit[key] = entry
    }

    mutating func buckets(for resolved: ResolvedRequest, in state: ClusterState, filters: FilterChain) -> Buckets {
        let shape = BucketKeyShape(resolved)
        if let cached = bucketsByShape[shape] { return cached }
        var blocks: [Int] = []
        var counts = ReasonCounts()
        for bucket in state.table.buckets {
            if let reason = filters.reason(bucket.key, for: resolved, in: state) {
                counts.add(reason, bucket.nodes.count)
            } else {
                blocks += bucket.blocks
            }
        }
        let result = Buckets(blocks: blocks, counts: counts)
        bucketsByShape[shape] = result
        return result
    }
}

extension ShapeCaches.BucketKeyShape {
    init(_ resolved: ResolvedRequest) {
        classes = resolved.classes
        partition = resolved.request.partition
        origin = resolved.originSite
        maxLatencyMs = resolved.request.maxLatencyMs
    }
}
