import Testing
@testable import Placement

/// The three bucket filters, table-driven: a request against each node of a small cluster.
struct NodeClassFilterTests {
    static let cases: [(request: PlacementRequest, node: Node, expected: NoFitReason?)] = [
        (Fixture.request(kind: .service), Fixture.node("g"), nil),
        (Fixture.request(kind: .service), Fixture.node("a", .ai), .nodeClass),
        (Fixture.request(kind: .aiTraining), Fixture.node("a", .ai), nil),
        (Fixture.request(kind: .hpc), Fixture.node("g"), .nodeClass),
        (Fixture.request(kind: .batch), Fixture.node("h", .hpc), nil),
        (Fixture.request(classes: [.edge, .hpc]), Fixture.node("h", .hpc), nil),
        (Fixture.request(classes: [.edge]), Fixture.node("g"), .nodeClass),
        // Tight latency routes to edge by default.
        (Fixture.request(origin: "edge-1", maxLatency: 5), Fixture.node("e", .edge, site: "edge-1"), nil),
        (Fixture.request(origin: "edge-1", maxLatency: 5), Fixture.node("g", site: "edge-1"), .nodeClass),
    ]

    @Test(arguments: cases.indices)
    func routesByClass(_ i: Int) {
        let (request, node, expected) = Self.cases[i]
        let state = Fixture.state([node])
        let key = state.table.buckets[0].key
        #expect(NodeClassFilter().check(key, for: Fixture.resolve(request, in: state), in: state) == expected)
    }
}

struct PartitionFilterTests {
    static let cases: [(request: String, node: String, expected: NoFitReason?)] = [
        ("public", "public", nil), ("finance", "finance", nil), ("public", "finance", .partition), ("health", "public", .partition),
    ]

    @Test(arguments: cases.indices)
    func isolatesPartitions(_ i: Int) {
        let (requestPartition, nodePartition, expected) = Self.cases[i]
        let state = Fixture.state([Fixture.node("n", partition: nodePartition)])
        let resolved = Fixture.resolve(Fixture.request(partition: requestPartition), in: state)
        #expect(PartitionFilter().check(state.table.buckets[0].key, for: resolved, in: state) == expected)
    }
}

struct LatencyFilterTests {
    static let cases: [(site: String, origin: String?, bound: Double?, expected: NoFitReason?)] = [
        ("dc-1", nil, nil, nil),
        ("dc-2", "dc-1", 5, nil),
        ("dc-2", "dc-1", 4.9, .latency),
        ("edge-1", "dc-1", 2, nil),
        ("edge-1", "dc-2", 5.5, .latency),
        ("dc-1", "dc-1", 0.5, nil),
    ]

    @Test(arguments: cases.indices)
    func boundsLatencyFromOrigin(_ i: Int) {
        let (site, origin, bound, expected) = Self.cases[i]
        let state = Fixture.state([Fixture.node("n", site: site)])
        let resolved = Fixture.resolve(Fixture.request(origin: origin, maxLatency: bound, classes: [.general]), in: state)
        #expect(LatencyFilter().check(state.table.buckets[0].key, for: resolved, in: state) == expected)
    }
}
