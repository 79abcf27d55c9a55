import Testing
@testable import Placement

struct StorageFilterTests {
    static let pools = [
        StoragePool(id: "b1", site: "dc-1", kind: .block, capacityGiB: 100),
        StoragePool(id: "o2", site: "dc-2", kind: .object, capacityGiB: 1_000),
        StoragePool(id: "f1", site: "dc-1", kind: .file, capacityGiB: 100, partition: "finance"),
        StoragePool(id: "o1", site: "dc-1", kind: .object, capacityGiB: 1_000, retired: true),
    ]
    static let cases: [(volumes: [VolumeRequest], bound: Double?, partition: String, expected: NoFitReason?)] = [
        ([], nil, "public", nil),
        ([VolumeRequest(kind: .block, sizeGiB: 100)], nil, "public", nil),
        ([VolumeRequest(kind: .block, sizeGiB: 101)], nil, "public", .insufficient(.storage)),
        ([VolumeRequest(kind: .block, sizeGiB: 60), VolumeRequest(kind: .block, sizeGiB: 60)], nil, "public", .insufficient(.storage)),
        // Object storage only at dc-2 (dc-1's pool is retired): reachable within a 5 ms bound, not without a bound.
        ([VolumeRequest(kind: .object, sizeGiB: 10)], nil, "public", .insufficient(.storage)),
        ([VolumeRequest(kind: .object, sizeGiB: 10)], 5, "public", nil),
        ([VolumeRequest(kind: .object, sizeGiB: 10)], 4, "public", .insufficient(.storage)),
        // Pools serve one partition.
        ([VolumeRequest(kind: .file, sizeGiB: 10)], nil, "public", .insufficient(.storage)),
    ]

    @Test(arguments: cases.indices)
    func placesVolumesNearby(_ i: Int) {
        let (volumes, bound, partition, expected) = Self.cases[i]
        let state = Fixture.state([Fixture.node("n", site: "dc-1", partition: partition)], pools: Self.pools)
        let request = Fixture.request(volumes: volumes, origin: bound == nil ? nil : "dc-1", maxLatency: bound, classes: [.general], partition: partition)
        #expect(StorageFilter().check(node: 0, in: Fixture.context(request, in: state)) == expected)
    }
}
