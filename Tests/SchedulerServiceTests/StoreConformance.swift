import Foundation
import Placement
import SchedulerService
import SchedulerPostgres
import SchedulerSQLite
import SuanliTestSupport
import Testing

/// The behavior every `SchedulerStore` backend must show. Each test takes a fresh, empty store
/// from `backends`; a PostgreSQL backend adds itself there.
@Suite("Store conformance")
struct StoreConformance {
    static let backends: [(name: String, make: @Sendable () throws -> any SchedulerStore)] = {
        var backends: [(name: String, make: @Sendable () throws -> any SchedulerStore)] = [("sqlite", { @Sendable in try newStore().0 })]
        if TestPostgres.url != nil { backends.append(("postgres", { @Sendable in try newPostgresStore() })) }
        return backends
    }()

    static func record(_ id: String, tenant: String = "water", at: Double, phase: RequestEvent? = nil, key: String? = nil) -> RequestRecord {
        var lifecycle = RequestLifecycle()
        _ = try? lifecycle.handle(.admit)
        _ = try? lifecycle.handle(.enqueue)
        if let phase { _ = try? lifecycle.handle(phase) }
        return RequestRecord(
            spec: PlacementRequest(id: id, tenant: tenant, resources: Resources(cpuMillis: 1000), submittedAt: at),
            lifecycle: lifecycle, submittedBy: "u", updatedAt: at, idempotencyKey: key)
    }

    @Test("the SQLite database is readable by the scheduler's user only: it holds token and password hashes")
    func privateDatabaseFile() throws {
        let (_, path) = try newStore()
        let mode = try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int
        #expect(mode == 0o600, "mode \(String(mode ?? 0, radix: 8))")
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
                workloadKind: .service, registeredAt: 1, registeredBy: "admin"),
        ]
        try store.commit(batch)
        let snapshot = try store.snapshot()
        #expect(snapshot.tenants == batch.tenants)
        #expect(snapshot.users == batch.users)
        #expect(snapshot.nodes == batch.nodes)
        #expect(snapshot.quotas == batch.quotas)
        #expect(snapshot.grants == batch.grants)
        #expect(snapshot.settings == ["k": "v"])
        #expect(snapshot.openRequests.map(\.id) == ["a"])
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
                labels: [:], requiredLabels: [:], resources: Resources(cpuMillis: 1000, memoryMiB: 512), gpu: nil, workloadKind: nil,
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

    @Test("lists filter, page newest first, and find idempotency keys and taken ids", arguments: backends.map(\.name))
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
        #expect(try store.existingRequests(["r0", "r24", "nobody", "r0"]) == ["r0", "r24"])
        #expect(try store.existingRequests((0..<1200).map { "r\($0)" }).count == 25, "more ids than one statement's parameters")
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
        // Paging back from the newest, as the portal's audit page does.
        #expect(try store.audit(AuditQuery(newestFirst: true, limit: 2)).map(\.action) == ["node.cordon", "request.release"])
        #expect(try store.audit(AuditQuery(beforeSequence: 3, newestFirst: true, limit: 2)).map(\.action) == ["request.release", "request.submit"])
    }

    // MARK: The metering ledger

    static func sample(_ sequence: UInt64, node: String = "n1", request: String = "water:a", tenant: String = "water", from: Double, to: Double, cpu: Double) -> MeteringSample {
        MeteringSample(node: node, sequence: sequence, requestID: request, tenant: tenant, start: from, end: to, amounts: UsageAmounts(cpuCoreHours: cpu, apiCalls: cpu * 10))
    }

    /// A batch with the tenants the ledger's samples belong to (a store holds the tenant of each).
    static func ledgerBatch() -> StoreBatch {
        var batch = StoreBatch()
        batch.tenants = ["police", "water"].map { Tenant(id: $0, name: $0, createdAt: 0) }
        return batch
    }

    static func total(_ lines: [UsageLine], _ basis: MeteringBasis = .used) -> UsageAmounts {
        lines.filter { $0.key.basis == basis }.reduce(UsageAmounts()) { $0 + $1.amounts }
    }

    @Test("a metering sample sent twice is counted once; queries filter by tenant, request and node and prorate at a range's ends", arguments: backends.map(\.name))
    func ledgerQueries(backend: String) throws {
        let store = try Self.backends.first { $0.name == backend }!.make()
        var batch = Self.ledgerBatch()
        batch.meteringSamples = [
            Self.sample(1, request: "police:r1", tenant: "police", from: 0, to: 3_600, cpu: 4),
            Self.sample(2, request: "water:r2", tenant: "water", from: 0, to: 3_600, cpu: 2),
            Self.sample(1, node: "n2", request: "police:r1", tenant: "police", from: 3_600, to: 7_200, cpu: 4),
        ]
        try store.commit(batch)
        try store.commit(batch)
        #expect(Self.total(try store.usage(UsageQuery(tenant: "police"), at: 10_000)).cpuCoreHours == 8)
        #expect(Self.total(try store.usage(UsageQuery(node: "n1"), at: 10_000)).cpuCoreHours == 6)
        #expect(Self.total(try store.usage(UsageQuery(requestID: "police:r1", node: "n2"), at: 10_000)).apiCalls == 40)
        // Half of the first hour and all of the second.
        #expect(Self.total(try store.usage(UsageQuery(tenant: "police", from: 1_800, to: 7_200), at: 10_000)).cpuCoreHours == 6)
        #expect(try store.usage(UsageQuery(from: 7_200, to: 9_000), at: 10_000).isEmpty)
        let lines = try store.usage(UsageQuery(tenant: "police"), at: 10_000)
        #expect(lines.map(\.key) == [
            UsageLine.Key(basis: .used, tenant: "police", requestID: "police:r1", node: "n1"), UsageLine.Key(basis: .used, tenant: "police", requestID: "police:r1", node: "n2"),
        ])
    }

    @Test("whatever the range, the ledger's answer is the samples prorated to it: months, days, hours and parts of hours add up", arguments: backends.map(\.name))
    func ledgerMatchesTheSamples(backend: String) throws {
        let store = try Self.backends.first { $0.name == backend }!.make()
        var generator = SplitMix64(seed: 7)
        var samples: [MeteringSample] = []
        // Three days of one-minute samples on two nodes, and a few long ones (hours to days).
        for i in 0..<(3 * 1_440) {
            for node in ["n1", "n2"] {
                samples.append(Self.sample(UInt64(i + 1), node: node, from: Double(i) * 60, to: Double(i + 1) * 60, cpu: Double.random(in: 0...0.1, using: &generator)))
            }
        }
        for i in 0..<20 {
            let start = Double.random(in: 0...200_000, using: &generator)
            samples.append(Self.sample(UInt64(10_000 + i), node: "n3", from: start, to: start + Double.random(in: 0...150_000, using: &generator), cpu: 50))
        }
        // And some over months (a reservation's allocated time).
        for i in 0..<6 {
            let start = Double.random(in: 0...(100 * 86_400), using: &generator)
            samples.append(Self.sample(UInt64(20_000 + i), node: "n4", from: start, to: start + Double.random(in: 0...(90 * 86_400), using: &generator), cpu: 500))
        }
        var batch = Self.ledgerBatch()
        batch.meteringSamples = samples
        try store.commit(batch)
        for round in 0..<60 {
            let scale = round < 30 ? 300_000.0 : 200 * 86_400
            let from = Double.random(in: -1_000...scale, using: &generator), to = from + Double.random(in: 0...scale, using: &generator)
            let expected = samples.reduce(0) { $0 + $1.amounts.cpuCoreHours * $1.share(from: from, to: to) }
            let answered = Self.total(try store.usage(UsageQuery(from: from, to: to), at: 400_000)).cpuCoreHours
            #expect(abs(answered - expected) <= 1e-9 * max(1, expected), "[\(from), \(to))")
        }
    }

    @Test("pruned samples leave their rollups: whole hours and days stay exact, parts of pruned hours are prorated", arguments: backends.map(\.name))
    func ledgerPruning(backend: String) throws {
        let store = try Self.backends.first { $0.name == backend }!.make()
        var batch = Self.ledgerBatch()
        // All of an hour's use in its first minute.
        batch.meteringSamples = [Self.sample(1, from: 0, to: 60, cpu: 1), Self.sample(2, from: 86_400, to: 86_460, cpu: 1)]
        try store.commit(batch)
        #expect(Self.total(try store.usage(UsageQuery(from: 0, to: 1_800), at: 100_000)).cpuCoreHours == 1)
        batch = StoreBatch()
        batch.pruneSamplesBefore = 86_400
        try store.commit(batch)
        #expect(Self.total(try store.usage(UsageQuery(from: 0, to: 3_600), at: 100_000)).cpuCoreHours == 1)
        #expect(Self.total(try store.usage(UsageQuery(), at: 100_000)).cpuCoreHours == 2)
        #expect(Self.total(try store.usage(UsageQuery(from: 0, to: 1_800), at: 100_000)).cpuCoreHours == 0.5, "past the retention: the hour's rollup, prorated")
        #expect(Self.total(try store.usage(UsageQuery(from: 86_400, to: 86_430), at: 100_000)).cpuCoreHours == 0.5, "within it: the samples")
    }

    @Test("allocated samples are numbered by the store, each kept; open requests count until now, read with the ledger at one moment", arguments: backends.map(\.name))
    func ledgerAllocated(backend: String) throws {
        let store = try Self.backends.first { $0.name == backend }!.make()
        let held = MeteringSample(node: "n1", sequence: 0, requestID: "water:a", tenant: "water", start: 0, end: 3_600, amounts: UsageAmounts(cpuCoreHours: 2))
        var batch = Self.ledgerBatch()
        batch.allocatedSamples = [held, held]
        try store.commit(batch)
        // The scheduler writes each period once: the same period again is another one, not a resend.
        #expect(Self.total(try store.usage(UsageQuery(), at: 3_600), .allocated).cpuCoreHours == 4)
        #expect(Self.total(try store.usage(UsageQuery(), at: 3_600), .used).cpuCoreHours == 0)
        // An open request holding 1 core on n2 since 3,600.
        var open = Self.record("water:b", at: 3_600, phase: .place)
        var allocationBatch = StoreBatch()
        open.hold(Allocation(requestID: "water:b", tenant: "water", priority: .standard, band: 0, sequence: 1, replicas: [ReplicaAssignment(replica: 0, node: 1, nodeID: "n2", resources: Resources(cpuMillis: 1000), gpus: [], volumes: [])]), at: 3_600, into: &allocationBatch)
        // Committed as the engine does: the record and what it now holds.
        allocationBatch.requests = [open]
        try store.commit(allocationBatch)
        let lines = try store.usage(UsageQuery(tenant: "water"), at: 9_000)
        #expect(lines.first { $0.key.requestID == "water:b" }?.amounts.cpuCoreHours == 1.5)
        #expect(lines.first { $0.key.requestID == "water:b" }?.key.node == "n2")
        #expect(Self.total(try store.usage(UsageQuery(requestID: "water:b", from: 0, to: 5_400), at: 9_000), .allocated).cpuCoreHours == 0.5)
    }

    @Test("applications list by tenant, state and applicant; open ones come back in the snapshot; policies and webhooks are replaced and removed", arguments: backends.map(\.name))
    func applications(backend: String) throws {
        let store = try Self.backends.first { $0.name == backend }!.make()
        func application(_ id: String, tenant: String, at: Double, submit: Bool) -> Application {
            var a = Application(id: id, tenant: tenant, applicant: "u-\(tenant)", purpose: "p", industry: nil, scenario: nil, durationSeconds: 60, items: [ApplicationItem(entry: "SL-X")], createdAt: at)
            if submit { _ = try? a.lifecycle.handle(.submit(steps: [ApprovalStep(decider: .operator, deadlineHours: 1)], at: at)) }
            return a
        }
        var batch = StoreBatch()
        batch.applications = [application("a1", tenant: "water", at: 1, submit: true), application("a2", tenant: "water", at: 2, submit: false), application("a3", tenant: "fire", at: 3, submit: true)]
        batch.approvalPolicies = [
            ApprovalPolicy(scope: .partition("secure"), steps: [StepRule(decider: .operator)], updatedAt: 1, updatedBy: "admin"),
            ApprovalPolicy(scope: .securityLevel(3), steps: [StepRule(decider: .security)], updatedAt: 1, updatedBy: "admin"),
        ]
        batch.webhooks = [Webhook(id: "wh_1", tenant: "water", url: "http://x", secret: "s", createdAt: 1, createdBy: "u")]
        try store.commit(batch)
        #expect(try store.applications(ApplicationQuery()).map(\.id) == ["a3", "a2", "a1"])
        #expect(try store.applications(ApplicationQuery(tenant: "water", state: .submitted)).map(\.id) == ["a1"])
        #expect(try store.applications(ApplicationQuery(applicant: "u-fire")).map(\.id) == ["a3"])
        #expect(try store.applications(ApplicationQuery(limit: 1)).map(\.id) == ["a3"])
        // Ended, it leaves the snapshot but stays readable.
        var ended = try #require(try store.application(id: "a1"))
        _ = try ended.lifecycle.handle(.decide(approve: false, by: "op", comment: "no", at: 5))
        batch = StoreBatch()
        batch.applications = [ended]
        batch.removedApprovalPolicies = [.partition("secure")]
        batch.webhooks = [Webhook(id: "wh_1", tenant: "water", url: "http://y", secret: "s", createdAt: 1, createdBy: "u")]
        try store.commit(batch)
        let snapshot = try store.snapshot()
        #expect(Set(snapshot.openApplications.map(\.id)) == ["a2", "a3"])
        #expect(try store.application(id: "a1")?.state == .rejected)
        #expect(snapshot.approvalPolicies.map(\.scope) == [.securityLevel(3)])
        #expect(snapshot.webhooks.map(\.url) == ["http://y"])
    }

    @Test("a notice lands in each recipient's inbox once and in a delivery per webhook of its tenant; reads and attempts are recorded", arguments: backends.map(\.name))
    func notices(backend: String) throws {
        let store = try Self.backends.first { $0.name == backend }!.make()
        var batch = StoreBatch()
        // A webhook and the first notice in one batch: the webhook hears of it.
        batch.webhooks = [
            Webhook(id: "wh_a", tenant: "water", url: "http://a", secret: "s", createdAt: 1, createdBy: "u"),
            Webhook(id: "wh_b", tenant: "water", url: "http://b", secret: "s", createdAt: 1, createdBy: "u"),
            Webhook(id: "wh_c", tenant: "fire", url: "http://c", secret: "s", createdAt: 1, createdBy: "u"),
        ]
        batch.notices = [
            Notice(kind: "application.submitted", tenant: "water", subject: "application/a1", message: "one", at: 10, recipients: ["alice", "bob", "alice"]),
            Notice(kind: "application.awaiting", tenant: nil, subject: "application/a1", message: "two", at: 11, recipients: ["olga"]),
        ]
        try store.commit(batch)
        let alice = try store.notifications(NotificationQuery(user: "alice"))
        #expect(alice.map(\.message) == ["one"] && alice[0].kind == "application.submitted" && !alice[0].read)
        #expect(try store.notifications(NotificationQuery(user: "olga")).map(\.message) == ["two"])
        #expect(try store.notifications(NotificationQuery(user: "carol")).isEmpty)
        let due = try store.dueDeliveries(at: 10, limit: 10)
        #expect(due.map(\.webhook).sorted() == ["wh_a", "wh_b"] && due.allSatisfy { $0.notice.message == "one" && $0.notice.recipients.isEmpty })
        #expect(try store.dueDeliveries(at: 9, limit: 10).isEmpty)

        // Newest first, paged; unread only after reads.
        batch = StoreBatch()
        batch.notices = (0..<5).map { Notice(kind: "k", tenant: nil, subject: "s", message: "m\($0)", at: 20 + Double($0), recipients: ["alice"]) }
        try store.commit(batch)
        let page = try store.notifications(NotificationQuery(user: "alice", limit: 3))
        #expect(page.map(\.message) == ["m4", "m3", "m2"])
        #expect(try store.notifications(NotificationQuery(user: "alice", before: page.last!.id, limit: 3)).map(\.message) == ["m1", "m0", "one"])
        batch = StoreBatch()
        batch.notificationsRead = [NotificationsRead(user: "alice", ids: [page[0].id], upTo: alice[0].id), NotificationsRead(user: "olga", ids: [page[1].id], upTo: nil)]
        try store.commit(batch)
        #expect(try store.notifications(NotificationQuery(user: "alice", unreadOnly: true)).map(\.message) == ["m3", "m2", "m1", "m0"], "another user's mark changes nothing")

        // A failed attempt backs off; a 2xx ends it; the last allowed failure gives up.
        let first = try #require(due.first { $0.webhook == "wh_a" }), second = try #require(due.first { $0.webhook == "wh_b" })
        batch = StoreBatch()
        batch.deliveryAttempts = [
            DeliveryAttempt(delivery: first.id, at: 12, status: 500, error: "answered HTTP 500", attempts: 1),
            DeliveryAttempt(delivery: second.id, at: 12, status: nil, error: "refused", attempts: WebhookDelivery.maxAttempts),
        ]
        try store.commit(batch)
        #expect(try store.dueDeliveries(at: 16, limit: 10).isEmpty)
        #expect(try store.dueDeliveries(at: 17, limit: 10).map(\.id) == [first.id])
        batch = StoreBatch()
        batch.deliveryAttempts = [DeliveryAttempt(delivery: first.id, at: 17, status: 204, error: nil, attempts: 2)]
        try store.commit(batch)
        #expect(try store.dueDeliveries(at: 1e9, limit: 10).isEmpty)
        let a = try #require(try store.deliveries(webhook: "wh_a", limit: 10).first)
        #expect(a.attempts == 2 && a.deliveredAt == 17 && a.lastStatus == 204 && a.lastError == nil && a.nextAttemptAt == nil)
        let b = try #require(try store.deliveries(webhook: "wh_b", limit: 10).first)
        #expect(b.gaveUpAt == 12 && b.deliveredAt == nil && b.lastError == "refused")

        // A removed webhook's deliveries go with it.
        batch = StoreBatch()
        batch.removedWebhooks = ["wh_a"]
        batch.notices = [Notice(kind: "k", tenant: "water", subject: "s", message: "after", at: 30, recipients: [])]
        try store.commit(batch)
        #expect(try store.deliveries(webhook: "wh_a", limit: 10).isEmpty)
        #expect(try store.dueDeliveries(at: 30, limit: 10).map(\.webhook) == ["wh_b"])
    }

    @Test("search finds words and parts of words in titles first, tags and text after, within what the caller may see; feedback sums ratings and threads answers", arguments: backends.map(\.name))
    func searchAndFeedback(backend: String) throws {
        let store = try Self.backends.first { $0.name == backend }!.make()
        func entry(_ code: String, _ name: String, description: String, tags: [String: String] = [:]) -> CatalogEntry {
            CatalogEntry(
                code: code, kind: .component, name: name, version: "1", description: description, nodeClass: nil, site: nil, partition: "public",
                labels: tags, requiredLabels: [:], resources: Resources(cpuMillis: 1000), gpu: nil, workloadKind: .service, registeredAt: 1, registeredBy: "admin")
        }
        var batch = StoreBatch()
        batch.catalog = [
            entry("SL-CMP-ANY-PG-V1", "PostgreSQL 数据库", description: "关系型数据库服务", tags: ["tier": "data"]),
            entry("SL-CMP-ANY-RD-V1", "Redis cache", description: "an in-memory store next to PostgreSQL"),
        ]
        var submitted = Self.record("water:r1", at: 5)
        submitted.catalogEntry = "SL-CMP-ANY-PG-V1"
        batch.requests = [submitted, Self.record("fire:r2", tenant: "fire", at: 6)]
        batch.history = batch.requests.map { HistoryEntry(requestID: $0.id, at: $0.spec.submittedAt, phase: "submitted", actor: "u") }
        try store.commit(batch)

        let postgres = try store.search(SearchQuery(terms: ["postgres"], kinds: [.catalog]))
        #expect(postgres.map(\.key) == ["SL-CMP-ANY-PG-V1", "SL-CMP-ANY-RD-V1"], "the title's match first, then the description's")
        #expect(try store.search(SearchQuery(terms: ["数据"], kinds: [.catalog])).map(\.key) == ["SL-CMP-ANY-PG-V1"], "two Chinese characters")
        #expect(try store.search(SearchQuery(terms: ["REDIS", "cache"], kinds: [.catalog])).map(\.key) == ["SL-CMP-ANY-RD-V1"], "every term, case aside")
        #expect(try store.search(SearchQuery(terms: [], kinds: [.catalog], tag: "data")).map(\.key) == ["SL-CMP-ANY-PG-V1"])
        #expect(try store.search(SearchQuery(terms: ["nothing-like-it"], kinds: [.catalog])).isEmpty)
        let requests = try store.search(SearchQuery(terms: [], kinds: [.request], tenantOnly: "water"))
        #expect(requests.map(\.key) == ["water:r1"], "another department's requests stay hidden")

        // Catalog changes replace the entry's document; a removed entry leaves the search.
        batch = StoreBatch()
        batch.catalog = [entry("SL-CMP-ANY-RD-V1", "Valkey cache", description: "an in-memory store")]
        try store.commit(batch)
        #expect(try store.search(SearchQuery(terms: ["valkey"], kinds: [.catalog])).map(\.key) == ["SL-CMP-ANY-RD-V1"])
        #expect(try store.search(SearchQuery(terms: ["redis"], kinds: [.catalog])).isEmpty)
        batch = StoreBatch()
        batch.removedCatalog = ["SL-CMP-ANY-RD-V1"]
        try store.commit(batch)
        #expect(try store.search(SearchQuery(terms: ["valkey"], kinds: [.catalog])).isEmpty)

        // Ratings: a user's newer rating replaces its older one.
        batch = StoreBatch()
        batch.ratings = [
            Rating(entry: "SL-CMP-ANY-PG-V1", user: "alice", tenant: "water", stars: 2, comment: nil, at: 10),
            Rating(entry: "SL-CMP-ANY-PG-V1", user: "bob", tenant: "water", stars: 5, comment: "fast", at: 11),
        ]
        batch.posts = [
            Post(id: "q1", entry: "SL-CMP-ANY-PG-V1", question: nil, user: "alice", tenant: "water", official: false, text: "backups?", at: 12),
            Post(id: "a1", entry: "SL-CMP-ANY-PG-V1", question: "q1", user: "olga", tenant: nil, official: true, text: "nightly", at: 13),
        ]
        try store.commit(batch)
        batch = StoreBatch()
        batch.ratings = [Rating(entry: "SL-CMP-ANY-PG-V1", user: "alice", tenant: "water", stars: 4, comment: "better", at: 14)]
        try store.commit(batch)
        let feedback = try store.feedback(entry: "SL-CMP-ANY-PG-V1", limit: 10)
        #expect(feedback.summary == RatingSummary(count: 2, total: 9))
        #expect(feedback.ratings.map(\.user) == ["alice", "bob"] && feedback.ratings[0].comment == "better")
        #expect(feedback.questions.map(\.question.id) == ["q1"] && feedback.questions[0].answers.map(\.text) == ["nightly"])
        #expect(try store.post(id: "a1")?.official == true)
        #expect(try store.ratingSummaries() == ["SL-CMP-ANY-PG-V1": RatingSummary(count: 2, total: 9)])
    }
}
