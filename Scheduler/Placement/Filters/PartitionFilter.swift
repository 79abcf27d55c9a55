/// Isolation: a request lands only on nodes of its own partition, and nothing else lands there.
public struct PartitionFilter: BucketFilter {
    public var name: String { "partition" }
    public init() {}

    public func check(_ bucket: BucketKey, for request: ResolvedRequest, in state: ClusterState) -> NoFitReason? {
        bucket.partition == request.request.partition ? nil : .partition
    }
}
