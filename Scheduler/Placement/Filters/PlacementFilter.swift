/// A filter on attributes that every node of an index bucket shares (class, partition, site), so
/// the placer checks it once per bucket and never visits the nodes of a bucket that fails.
/// Its answer must depend only on the request's classes, partition, origin and latency bound: the
/// placer caches it per such shape.
public protocol BucketFilter: Sendable {
    var name: String { get }
    /// Nil when nodes of the bucket may take the request, else why not.
    func check(_ bucket: BucketKey, for request: ResolvedRequest, in state: ClusterState) -> NoFitReason?
}

/// A filter on one node.
public protocol NodeFilter: Sendable {
    var name: String { get }
    /// Nil when the node can take one more replica, else why not.
    func check(node: Int, in context: PlacementContext) -> NoFitReason?
}

/// The constraints every placement obeys, in the order a node's reason is attributed: a node is
/// counted under the first filter it fails, static reasons before capacity.
public struct FilterChain: Sendable {
    public var bucketFilters: [any BucketFilter]
    public var nodeFilters: [any NodeFilter]

    public init(bucketFilters: [any BucketFilter], nodeFilters: [any NodeFilter]) {
        self.bucketFilters = bucketFilters
        self.nodeFilters = nodeFilters
    }

    public static let standard = FilterChain(
        bucketFilters: [NodeClassFilter(), PartitionFilter(), LatencyFilter()],
        nodeFilters: [NodeStateFilter(), LabelFilter(), SpreadFilter(), ResourceFitFilter(), GPUFilter(), StorageFilter()])

    /// This chain with `filter` checked just before the filter named `name` (last when there is
    /// none): for filters only some requests need, so that the others do not pay for them.
    public func inserting(_ filter: any NodeFilter, before name: String) -> FilterChain {
        var chain = self
        chain.nodeFilters.insert(filter, at: nodeFilters.firstIndex { $0.name == name } ?? nodeFilters.endIndex)
        return chain
    }

    /// The first bucket filter the bucket fails.
    public func reason(_ bucket: BucketKey, for request: ResolvedRequest, in state: ClusterState) -> NoFitReason? {
        // Indexing borrows each filter in place; a for-in loop would copy every existential.
        for i in bucketFilters.indices {
            if let reason = bucketFilters[i].check(bucket, for: request, in: state) { return reason }
        }
        return nil
    }

    public func passes(_ bucket: BucketKey, for request: ResolvedRequest, in state: ClusterState) -> Bool {
        reason(bucket, for: request, in: state) == nil
    }

    /// The first node filter the node fails.
    public func reason(node: Int, in context: PlacementContext) -> NoFitReason? {
        for i in nodeFilters.indices {
            if let reason = nodeFilters[i].check(node: node, in: context) { return reason }
        }
        return nil
    }

    /// The first failure of the node, bucket filters included.
    public func fullReason(node: Int, in context: PlacementContext) -> NoFitReason? {
        let table = context.state.table
        let key = BucketKey(nodeClass: table.nodes[node].nodeClass, partition: table.nodes[node].partition, site: table.siteOfNode[node])
        return reason(key, for: context.request, in: context.state) ?? reason(node: node, in: context)
    }
}
