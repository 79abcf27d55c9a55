import Foundation
import Placement
import SchedulerService
import SchedulerSQLite
import Testing

/// The behavior every `SchedulerStore` backend must show. Each test takes a fresh, empty store
/// from `backends`; a PostgreSQL backend adds itself there.
@Suite("Store conformance")
struct StoreConformance {
    static let backends: [(name: String, make: @Sendable () throws -> any SchedulerStore)] = [
        ("sqlite", { try newStore().0 }),
    ]

    static func record(_ id: String, tenant: String = "water", at: Double, phase: RequestEvent? = nil, key: String? = nil) -> RequestRecord {
        var lifecycle = RequestLifecycle()
        _ = try? lifecycle.handle(.admit)
        _ = try? lifecycle.handle(.enqueue)
        if let phase { _ = try? lifecycle.handle(phase) }
        return RequestRecord(
            spec: PlacementRequest(id: id, tenant: tenant, resources: Resources(cpuMillis: 1000), submittedAt: at),
            lifecycle: lifecycle, submittedBy: "u", updatedAt: at, idempotencyKey: key)
    }

    @Test("a committed batch comes back in the snapshot; ended requests are not open", arguments: backends.map(\.name))
    func roundTrip(backend: String) throws {
        let store = try Self.backends.first { $0.name == backend }!.make()
        var batch = StoreBatch()
        batch.tenants = [Tenant(id: "water", name: "Water", createdAt: 1)]
        batch.users = [User(id: "u", role: .tenant, tenant: "water", tokenHash: "h1", createdAt: 1)]
        batch.nodes = [NodeRecord(node: Node(id: "n1", nodeClass: .edge, site: "s", capacity: Resources(cpuMillis: 4000, memoryMiB: 8)), registeredAt: 1)]
        batch.quotas = [QuotaRecord(tenant: "water", priority: .batch, quota: Quota(resources: Resources(cpuMillis: 5000)))]
        batch.grants = [Grant(id: "g1", tenant: "water", partition: "secure", expiresAt: 99, createdAt: 1)]
        batch.requests = [Self.record("a", at: 1), Self.record("b", at: 2, phase: .release)]
        batch.settings = ["k": "v"]
        batch.catalog = [
            CatalogEntry(
                code: "SL-CMP-ANY-DB-V1", kind: .component, name: "db", version: "1", description: "", nodeClass: nil, site: nil, partition: "public",
                labels: ["tier": "data"], requiredLabels: ["disk": "ssd"], resources: Resources(cpuMillis: 1000, memoryMiB: 512), gpu: nil,
                workloadKind: .service, restricted: false, registeredAt: 1, registeredBy: "admin"),
        ]
        batch.meteringSamples = [MeteringSample(node: "n1", sequence: 1, requestID: "a", tenant: "water", start: 0, end: 10, amounts: UsageAmounts(cpuCoreHours: 1))]
        try store.commit(batch)
        let snapshot = try store.snapshot()
        #expect(snapshot.tenants == batch.tenants)
        #expect(snapshot.users == batch.users)
        #expect(snapshot.nodes == batch.nodes)
        #expect(snapshot.quotas == batch.quotas)
        #expect(snapshot.grants == batch.grants)
        #expect(snapshot.settings == ["k": "v"])
        #expect(snapshot.openRequests.map(\.id) == ["a"])
        #expect(snapshot.meteringSamples == batch.meteringSamples)
        #expect(snapshot.catalog == batch.catalog)
        #expect(try store.request(id: "b")?.phase == .released)
    }

    @Test("sites, links, storage pools, nodes and catalog entries are updated and removed", arguments: backends.map(\.name))
    func infrastructure(backend: String) throws {
        let store = try Self.backends.first { $0.name == backend }!.make()
        var batch = StoreBatch()
        batch.sites = [Site(id: "d1", region: "north"), Site(id: "e7", description: "edge cabinet 7")]
        batch.links = [SiteLink(from: "e7", to: "d1", latencyMs: 1.5)]
        batch.storagePools = [StoragePool(id: "p1", site: "d1", kind: .block, capacityGiB: 100), StoragePool(id: "p2", site: "e7", kind: .object, capacityGiB: 50)]
        batch.nodes = [NodeRecord(node: Node(id: "n1", nodeClass: .edge, site: "e7", capacity: Resources(cpuMillis: 4000, memoryMiB: 8)), registeredAt: 1, retired: true)]
        batch.catalog = [
            CatalogEntry(
                code: "SL-OFR-EDGE-SMALL", kind: .offering, name: "small", version: nil, description: "", nodeClass: .edge, site: "e7", partition: "public",
                labels: [:], requiredLabels: [:], resources: Resources(cpuMillis: 1000, memoryMiB: 512), gpu: nil, workloadKind: nil, restricted: false,
                retired: true, registeredAt: 1, registeredBy: "op"),
        ]
        try store.commit(batch)
        var snapshot = try store.snapshot()
        #expect(snapshot.sites == batch.sites && snapshot.links == batch.links && snapshot.storagePools == batch.storagePools)
        #expect(snapshot.links.first?.from == "d1", "links are kept with their sites in order")
        #expect(snapshot.nodes.first?.retired == true && snapshot.catalog.first?.retired == true)

        var changes = StoreBatch()
        changes.storagePools = [StoragePool(id: "p1", site: "d1", kind: .block, capacityGiB: 200, retired: true)]
        changes.removedStoragePools = ["p2"]
        changes.removedLinks = [SiteLink(from: "d1", to: "e7", latencyMs: 0)]
        changes.removedSites = ["e7"]
        changes.removedNodes = ["n1"]
        changes.removedCatalog = ["SL-OFR-EDGE-SMALL"]
        try store.commit(changes)
        snapshot = try store.snapshot()
        #expect(snapshot.sites.map(\.id) == ["d1"] && snapshot.links.isEmpty && snapshot.nodes.isEmpty && snapshot.catalog.isEmpty)
        #expect(snapshot.storagePools == [StoragePool(id: "p1", site: "d1", kind: .block, capacityGiB: 200, retired: true)])
    }

    @Test("a batch that fails writes nothing", arguments: backends.map(\.name))
    func atomicity(backend: String) throws {
        let store = try Self.backends.first { $0.name == backend }!.make()
        var first = StoreBatch()
        first.users = [User(id: "u1", role: .admin, tenant: nil, tokenHash: "same", createdAt: 1)]
        try store.commit(first)
        var second = StoreBatch()
        second.requests = [Self.record("r", at: 1)]
        second.users = [User(id: "u2", role: .admin, tenant: nil, tokenHash: "same", createdAt: 1)]
        #expect(throws: ServiceError.self) { try store.commit(second) }
        #expect(try store.request(id: "r") == nil)
        #expect(try store.snapshot().users.map(\.id) == ["u1"])
    }

    @Test("lists filter, page newest first, and find idempotency keys", arguments: backends.map(\.name))
    func listing(backend: String) throws {
        let store = try Self.backends.first { $0.name == backend }!.make()
        var batch = StoreBatch()
        batch.requests = (0..<25).map { Self.record("r\($0)", tenant: $0 % 2 == 0 ? "water" : "transport", at: Double($0), key: "k\($0)") }
        try store.commit(batch)
        var seen: [String] = []
        var cursor: RequestCursor?
        repeat {
            let page = try store.requests(RequestQuery(tenant: "water", after: cursor, limit: 5))
            seen += page.map(\.id)
            cursor = page.count == 5 ? page.last.map { RequestCursor(submittedAt: $0.spec.submittedAt, id: $0.id) } : nil
        } while cursor != nil
        #expect(seen == stride(from: 24, through: 0, by: -2).map { "r\($0)" })
        #expect(try store.requests(RequestQuery(phase: "queued", limit: 100)).count == 25)
        #expect(try store.requests(RequestQuery(phase: "released", limit: 100)).isEmpty)
        #expect(try store.requestID(tenant: "transport", idempotencyKey: "k3") == "r3")
        #expect(try store.requestID(tenant: "water", idempotencyKey: "k3") == nil)
    }

    @Test("an updated request keeps one row; history and audit append in order", arguments: backends.map(\.name))
    func updatesAndLogs(backend: String) throws {
        let store = try Self.backends.first { $0.name == backend }!.make()
        var batch = StoreBatch()
        batch.requests = [Self.record("r", at: 1)]
        batch.history = [HistoryEntry(requestID: "r", at: 1, phase: "submitted", actor: "u"), HistoryEntry(requestID: "r", at: 1, phase: "queued", actor: "u")]
        batch.audit = [AuditEntry(at: 1, actor: "u", action: "request.submit", target: "request/r")]
        try store.commit(batch)
        var update = StoreBatch()
        update.requests = [Self.record("r", at: 1, phase: .release)]
        update.history = [HistoryEntry(requestID: "r", at: 2, phase: "released", actor: "v")]
        update.audit = [AuditEntry(at: 2, actor: "v", action: "request.release", target: "request/r"), AuditEntry(at: 3, actor: "v", action: "node.cordon", target: "node/n1")]
        try store.commit(update)
        #expect(try store.requests(RequestQuery(limit: 10)).map(\.phase) == [.released])
        #expect(try store.history(ofRequest: "r").map(\.phase) == ["submitted", "queued", "released"])
        let log = try store.audit(AuditQuery(limit: 10))
        #expect(log.map(\.action) == ["request.submit", "request.release", "node.cordon"])
        #expect(log.map(\.sequence) == [1, 2, 3])
        #expect(try store.audit(AuditQuery(targetPrefix: "request/", limit: 10)).count == 2)
        #expect(try store.audit(AuditQuery(actor: "v", afterSequence: 2, limit: 10)).map(\.action) == ["node.cordon"])
    }

    @Test("a metering sample sent twice is stored once", arguments: backends.map(\.name))
    func meteringOnce(backend: String) throws {
        let store = try Self.backends.first { $0.name == backend }!.make()
        let sample = MeteringSample(node: "n1", sequence: 7, requestID: "r", tenant: "t", start: 0, end: 1, amounts: UsageAmounts(cpuCoreHours: 2))
        var batch = StoreBatch()
        batch.meteringSamples = [sample]
        try store.commit(batch)
        try store.commit(batch)
        #expect(try store.snapshot().meteringSamples == [sample])
    }

    @Test("allocated samples are kept as written, each time, in order", arguments: backends.map(\.name))
    func allocatedSamples(backend: String) throws {
        let store = try Self.backends.first { $0.name == backend }!.make()
        let held = MeteringSample(node: "n1", sequence: 0, requestID: "water:a", tenant: "water", start: 0, end: 3600, amounts: UsageAmounts(cpuCoreHours: 2, memoryGiBHours: 4))
        let again = MeteringSample(node: "n2", sequence: 0, requestID: "water:a", tenant: "water", start: 3600, end: 7200, amounts: UsageAmounts(cpuCoreHours: 2))
        var batch = StoreBatch()
        batch.allocatedSamples = [held, again]
        try store.commit(batch)
        batch.allocatedSamples = [held]
        try store.commit(batch)
        // The scheduler writes each period once: a second write is a second period, not a resend.
        #expect(try store.snapshot().allocatedSamples == [held, again, held])
        #expect(try store.snapshot().meteringSamples.isEmpty)
    }
}
