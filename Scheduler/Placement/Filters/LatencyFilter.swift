/// The node's site is within the request's latency bound of its origin site.
public struct LatencyFilter: BucketFilter {
    public var name: String { "latency" }
    public init() {}

    public func check(_ bucket: BucketKey, for request: ResolvedRequest, in state: ClusterState) -> NoFitReason? {
        request.siteWithinBound[bucket.site] ? nil : .latency
    }
}
