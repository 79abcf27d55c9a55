/// The node's class is one the request may use (given, or routed by workload kind and latency).
public struct NodeClassFilter: BucketFilter {
    public var name: String { "node-class" }
    public init() {}

    public func check(_ bucket: BucketKey, for request: ResolvedRequest, in state: ClusterState) -> NoFitReason? {
        request.classes.contains(bucket.nodeClass) ? nil : .nodeClass
    }
}
