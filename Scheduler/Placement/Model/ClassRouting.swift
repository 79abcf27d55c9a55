/// The configurable table that routes a request to node classes when it names none.
public struct ClassRouting: Sendable, Hashable, Codable {
    public var byKind: [WorkloadKind: Set<NodeClass>]
    /// A request whose latency bound is at most this many milliseconds goes to edge nodes.
    public var tightLatencyMs: Double

    public init(byKind: [WorkloadKind: Set<NodeClass>], tightLatencyMs: Double) {
        self.byKind = byKind
        self.tightLatencyMs = tightLatencyMs
    }

    public static let standard = ClassRouting(
        byKind: [
            .vm: [.general],
            .service: [.general],
            .batch: [.general, .hpc],
            .aiTraining: [.ai],
            .aiInference: [.ai],
            .hpc: [.hpc],
            .component: [.general],
        ],
        tightLatencyMs: 10)

    /// The classes a request may land on.
    public func classes(for request: PlacementRequest) -> Set<NodeClass> {
        if let explicit = request.allowedClasses { return explicit }
        if let bound = request.maxLatencyMs, request.originSite != nil, bound <= tightLatencyMs { return [.edge] }
        return byKind[request.kind] ?? Set(NodeClass.allCases)
    }
}
