import Foundation
import Placement
import SchedulerService
import SchedulerSQLite
import Testing

@Suite("Scheduler engine")
struct SchedulerEngineTests {
    let water = Principal(user: "w", role: .tenant, tenant: "water")

    @Test("a submitted request is queued, then placed by the applier with its lease; one that only reserves capacity runs at once")
    func submitAndPlace() throws {
        let (scheduler, _, clock) = try newScheduler()
        let submitted = try scheduler.submit([RequestSpec(id: "a", cpu: 4, memoryMiB: 1024, leaseSeconds: 60)], by: water)
        #expect(submitted.requests.map(\.phase) == [.queued])
        #expect(scheduler.placePending() == 1)
        let status = try scheduler.request("a", by: water)
        #expect(status.record.phase == .running)
        #expect(status.record.allocation?.replicas.count == 1)
        #expect(status.record.leaseEndsAt == clock.now() + 60)
        #expect(status.history.map(\.phase) == ["submitted", "admitted", "queued", "placed", "running"])
        let node = try #require(status.record.allocation?.replicas.first?.nodeID)
        #expect(status.history.map(\.reason)[3] == "on \(node)")
    }

    @Test("a request that does not fit waits with its reasons and is placed when capacity frees")
    func waitsWithReasons() throws {
        let (scheduler, _, _) = try newScheduler(nodes: 1)
        _ = try scheduler.submit([RequestSpec(id: "big", cpu: 12)], by: water)
        _ = try scheduler.submit([RequestSpec(id: "next", cpu: 12)], by: water)
        #expect(scheduler.placePending() == 1)
        let waiting = try scheduler.request("next", by: water)
        #expect(waiting.record.phase == .queued)
        guard case .capacity(let report) = waiting.waiting else { Issue.record("waits for \(String(describing: waiting.waiting))"); return }
        #expect(report.nodes(failing: .insufficient(.cpu)) == 1)
        #expect(try scheduler.release("big", by: water).phase == .released)
        #expect(scheduler.placePending() == 1)
        #expect(try scheduler.request("next", by: water).record.phase == .running)
    }

    @Test("a replica larger than the largest node of its classes is refused at once, not left waiting for capacity that never comes")
    func largerThanItsClasses() throws {
        let (scheduler, _, _) = try newScheduler(nodes: 2)
        _ = try scheduler.registerNode(Node(id: "e1", nodeClass: .edge, site: "e", capacity: Resources(cpuMillis: 8_000, memoryMiB: 16_384)), awaitingAgent: false, by: admin)
        let refused = #expect(throws: ServiceError.self) { try scheduler.submit([RequestSpec(id: "big", cpu: 12, allowedClasses: [.edge])], by: water) }
        #expect(refused?.code == .unprocessable && refused?.field == "cpu")
        #expect(refused?.message == "asks for 12 cores per replica, more than the largest edge node has (8 cores)", "\(String(describing: refused))")
        // Classes with no node yet: it waits for one, bounded by the largest node of all.
        _ = try scheduler.submit([RequestSpec(id: "hpc", cpu: 12, allowedClasses: [.hpc])], by: water)
    }

    @Test("a batch is validated atomically and the error names the field of the bad request")
    func atomicBatch() throws {
        let (scheduler, store, _) = try newScheduler()
        let specs = [RequestSpec(id: "ok", cpu: 1), RequestSpec(id: "bad", replicas: 0, cpu: 1)]
        let error = #expect(throws: ServiceError.self) { try scheduler.submit(specs, batch: true, by: water) }
        #expect(error?.field == "requests[1].replicas")
        #expect(try store.request(id: "water:ok") == nil)
    }

    @Test("a retried submission with the same idempotency key creates nothing new")
    func idempotency() throws {
        let (scheduler, store, _) = try newScheduler()
        let first = try scheduler.submit([RequestSpec(cpu: 1)], idempotencyKey: "k-1", by: water)
        let again = try scheduler.submit([RequestSpec(cpu: 1)], idempotencyKey: "k-1", by: water)
        #expect(!first.replayed && again.replayed)
        #expect(first.requests.map(\.id) == again.requests.map(\.id))
        #expect(try store.requests(RequestQuery(tenant: "water", limit: 10)).count == 1)
    }

    @Test("a request larger than its quota is refused naming the dimension; one over the remaining quota waits")
    func quotas() throws {
        let (scheduler, store, _) = try newScheduler()
        _ = try scheduler.setQuota(tenant: "water", priority: .standard, quota: Quota(resources: Resources(cpuMillis: 6000, memoryMiB: .max / 4, diskGiB: .max / 4, bandwidthMbps: .max / 4), gpuMilli: .max / 4), by: admin)
        let refused = #expect(throws: ServiceError.self) { try scheduler.submit([RequestSpec(id: "huge", cpu: 8)], by: water) }
        #expect(refused?.code == .quotaExceeded && refused?.field == "cpu")
        #expect(try store.request(id: "water:huge") == nil)
        _ = try scheduler.submit([RequestSpec(id: "a", cpu: 4), RequestSpec(id: "b", cpu: 4)], batch: true, by: water)
        #expect(scheduler.placePending() == 1)
        #expect(try scheduler.request("b", by: water).record.phase == .queued)
    }

    @Test("a tenant acts only on its own tenant's requests")
    func tenantIsolation() throws {
        let (scheduler, _, _) = try newScheduler()
        let transport = Principal(user: "t", role: .tenant, tenant: "transport")
        _ = try scheduler.submit([RequestSpec(id: "w1", cpu: 1)], by: water)
        #expect(throws: ServiceError.self) { try scheduler.submit([RequestSpec(tenant: "water", cpu: 1)], by: transport) }
        let notFound = #expect(throws: ServiceError.self) { try scheduler.request("w1", by: transport) }
        #expect(notFound?.code == .notFound)
        #expect(throws: ServiceError.self) { try scheduler.release("w1", by: transport) }
        #expect(try scheduler.requests(RequestQuery(limit: 10), by: transport).isEmpty)
    }

    @Test("leases end: the request expires and its allocation is freed")
    func leaseExpiry() throws {
        let (scheduler, _, clock) = try newScheduler(nodes: 1)
        _ = try scheduler.submit([RequestSpec(id: "a", cpu: 16, leaseSeconds: 30)], by: water)
        scheduler.placePending()
        clock.advance(31)
        scheduler.placePending()
        #expect(try scheduler.request("a", by: water).record.phase == .expired)
        #expect(try scheduler.node("n1", by: admin).free.cpuMillis == 16_000)
    }

    @Test("a restart restores every allocation and the queue from the store, with no double allocation")
    func restart() throws {
        let clock = ManualClock()
        let (scheduler, store, _) = try newScheduler(nodes: 2, clock: clock)
        _ = try scheduler.submit((0..<5).map { RequestSpec(id: "r\($0)", cpu: 6) }, batch: true, by: water)
        scheduler.placePending()
        let before = try (1...2).map { try scheduler.node("n\($0)", by: admin).free }
        let reopened = try Scheduler(store: store, clock: clock)
        let after = try (1...2).map { try reopened.node("n\($0)", by: admin).free }
        #expect(before == after)
        #expect(reopened.metrics().pending == 1)
        #expect(reopened.placePending() == 0)
        _ = try reopened.release("r0", by: water)
        #expect(reopened.placePending() == 1)
    }

    @Test("a higher band preempts a lower one and the victim names its preemptor")
    func preemption() throws {
        let (scheduler, _, _) = try newScheduler(nodes: 1)
        _ = try scheduler.submit([RequestSpec(id: "low", priority: .batch, cpu: 16)], by: water)
        scheduler.placePending()
        let refused = #expect(throws: ServiceError.self) { try scheduler.submit([RequestSpec(id: "urgent", priority: .emergency, cpu: 16)], by: water) }
        #expect(refused?.code == .forbidden && refused?.field == "priority", "a preempting class needs an operator's quota")
        let ample = Quota(resources: Resources(cpuMillis: 64_000, memoryMiB: 1 << 30, diskGiB: 1 << 30, bandwidthMbps: 1 << 30), gpuMilli: 0)
        _ = try scheduler.setQuota(tenant: "water", priority: .emergency, quota: ample, by: admin)
        _ = try scheduler.submit([RequestSpec(id: "urgent", priority: .emergency, cpu: 16)], by: water)
        scheduler.placePending()
        #expect(try scheduler.request("urgent", by: water).record.phase == .running)
        #expect(try scheduler.request("low", by: water).record.phase == .preempted(by: "water:urgent"))
        #expect(try scheduler.request("low", by: water).record.allocation == nil)
    }

    @Test("metering samples are counted once and appear in usage and billing")
    func metering() throws {
        var config = SchedulerConfig()
        config.prices = PriceList(standard: UnitPrices(coreHour: 0.5))
        let (scheduler, _, _) = try newScheduler(config: config)
        let samples = [MeteringSample(node: "n1", sequence: 1, requestID: "a", tenant: "water", start: 0, end: 3600, amounts: UsageAmounts(cpuCoreHours: 2))]
        #expect(try scheduler.recordSamples(samples, by: admin) == 1)
        #expect(try scheduler.recordSamples(samples, by: admin) == 0)
        #expect(try scheduler.usage(UsageQuery(tenant: "water"), by: water).cpuCoreHours == 2)
        let other = #expect(throws: ServiceError.self) { try scheduler.usage(UsageQuery(tenant: "transport"), by: water) }
        #expect(other?.code == .forbidden && other?.field == "tenant")
        let bill = try scheduler.bills(from: 0, to: 7200, tenant: nil, by: admin)
        #expect(bill.map(\.tenant) == ["transport", "water"])
        #expect(bill[1].used.total == 1 && bill[0].used.total == 0)
    }
}

@Suite("API call metering")
struct APICallMeteringTests {
    @Test("tenants' API calls are metered per interval, appear in usage and billing, and survive a restart")
    func metered() throws {
        var config = SchedulerConfig()
        config.prices = PriceList(standard: UnitPrices(thousandAPICalls: 10))
        let (scheduler, store, clock) = try newScheduler(config: config)
        let start = clock.now()
        scheduler.placePending()
        for _ in 0..<3 { scheduler.countAPICall(tenant: "water") }
        scheduler.countAPICall(tenant: "transport")
        clock.advance(5)
        scheduler.placePending()
        let water = Principal(user: "w", role: .tenant, tenant: "water")
        #expect(try scheduler.usage(UsageQuery(from: start, to: start + 60), by: water).apiCalls == 0)
        clock.advance(5)
        scheduler.placePending()
        #expect(try scheduler.usage(UsageQuery(from: start, to: start + 60), by: water).apiCalls == 3)
        #expect(try scheduler.bills(from: start, to: start + 60, tenant: "water", by: admin).first?.used.total == 0.03)

        let reopened = try Scheduler(store: store, config: config, clock: clock)
        #expect(try reopened.usage(UsageQuery(tenant: "transport", from: start, to: start + 60), by: admin).apiCalls == 1)
        for _ in 0..<2 { reopened.countAPICall(tenant: "water") }
        reopened.placePending()
        clock.advance(10)
        reopened.placePending()
        #expect(try reopened.usage(UsageQuery(tenant: "water", from: start, to: start + 60), by: admin).apiCalls == 5)
    }
}

@Suite("Grants")
struct GrantTests {
    let water = Principal(user: "w", role: .tenant, tenant: "water")

    @Test("a grant ending within a day is alerted; one no longer than a day is not 'ending' from its first moment")
    func endingGrants() throws {
        let (scheduler, _, clock) = try newScheduler(nodes: 1)
        let short = try scheduler.createGrant(tenant: "water", partition: "secure", expiresAt: clock.now() + 7_200, by: admin)
        let long = try scheduler.createGrant(tenant: "water", partition: "lab", expiresAt: clock.now() + 3 * 86_400, by: admin)
        scheduler.placePending()
        #expect(try scheduler.alerts(by: admin).filter { $0.kind == "grant_expiring" }.isEmpty, "neither ends within a day of a longer life")
        clock.advance(2 * 86_400 + 60)
        scheduler.placePending()
        let alerts = try scheduler.alerts(by: admin).filter { $0.kind == "grant_expiring" }
        #expect(alerts.map(\.target) == ["grant/\(long.id)"], "\(alerts); \(short.id) ended long ago")
    }

    @Test("a partition needs a live grant; when it expires the tenant's requests there are revoked, public ones stay")
    func partitions() throws {
        let (scheduler, _, clock) = try newScheduler(nodes: 1)
        _ = try scheduler.registerNode(Node(id: "s1", nodeClass: .general, site: "d1", partition: "secure", capacity: Resources(cpuMillis: 8000, memoryMiB: 8192)), awaitingAgent: true, by: admin)
        let denied = #expect(throws: ServiceError.self) { try scheduler.submit([RequestSpec(id: "x", cpu: 1, partition: "secure")], by: water) }
        #expect(denied?.code == .forbidden)
        _ = try scheduler.createGrant(tenant: "water", partition: "secure", expiresAt: clock.now() + 100, by: admin)
        _ = try scheduler.submit([RequestSpec(id: "x", cpu: 1, partition: "secure"), RequestSpec(id: "p", cpu: 1)], batch: true, by: water)
        scheduler.placePending()
        clock.advance(101)
        scheduler.placePending()
        #expect(try scheduler.request("x", by: water).record.phase.name == "revoked")
        #expect(try scheduler.request("p", by: water).record.phase == .running)
    }

    @Test("a restricted catalog entry needs a grant listing its code; another live grant keeps its requests when one expires")
    func restrictedEntries() throws {
        let (scheduler, _, clock) = try newScheduler(nodes: 1)
        let entry = try scheduler.registerCatalogEntry(CatalogRegistration(kind: .component, name: "face-match", version: "1", nodeClass: .general, cpu: 2, memoryMiB: 2048, workloadKind: .aiInference, sharing: .restricted), by: admin)
        let spec = RequestSpec(component: ComponentReference(name: "face-match"))
        let denied = #expect(throws: ServiceError.self) { try scheduler.submit([spec], by: water) }
        #expect(denied?.code == .forbidden && denied?.field == "component")
        let unknown = #expect(throws: ServiceError.self) { try scheduler.createGrant(tenant: "water", partition: "public", entries: ["SL-NOPE"], expiresAt: clock.now() + 10, by: admin) }
        #expect(unknown?.field == "entries[0]")
        _ = try scheduler.createGrant(tenant: "water", partition: "public", entries: [entry.code], expiresAt: clock.now() + 100, by: admin)
        _ = try scheduler.createGrant(tenant: "water", partition: "public", entries: [entry.code], expiresAt: clock.now() + 200, by: admin)
        let record = try #require(try scheduler.submit([spec, RequestSpec(id: "plain", cpu: 1)], batch: true, by: water).requests.first)
        #expect(record.restrictedEntry == entry.code && record.spec.resources.cpuMillis == 2000)
        scheduler.placePending()
        clock.advance(150)
        scheduler.placePending()
        #expect(try scheduler.request(record.id, by: water).record.phase == .running)
        clock.advance(100)
        scheduler.placePending()
        #expect(try scheduler.request(record.id, by: water).record.phase.name == "revoked")
        #expect(try scheduler.request("plain", by: water).record.phase == .running)
    }
}

@Suite("Group commit")
struct GroupCommitTests {
    let water = Principal(user: "w", role: .tenant, tenant: "water")

    @Test("concurrent submissions commit together: each gets its own result, a bad one fails alone, a repeated key creates one request")
    func concurrent() async throws {
        let (scheduler, store, _) = try newScheduler(nodes: 2)
        let water = water
        let results = await withTaskGroup(of: (Int, Result<Submission, ServiceError>).self) { group in
            for i in 0..<60 {
                group.addTask {
                    let spec = i == 7 ? RequestSpec(id: "bad", replicas: 0, cpu: 1) : RequestSpec(id: i < 50 ? "g\(i)" : nil, cpu: 0.1)
                    let key = i >= 50 ? "same-key" : nil
                    do throws(ServiceError) {
                        return (i, .success(try await scheduler.submitGrouped([spec], idempotencyKey: key, by: water)))
                    } catch {
                        return (i, .failure(error))
                    }
                }
            }
            var results: [Int: Result<Submission, ServiceError>] = [:]
            for await (i, result) in group { results[i] = result }
            return results
        }
        #expect(results.count == 60)
        if case .failure(let error) = results[7]! { #expect(error.field == "replicas") } else { Issue.record("the bad request was accepted") }
        for i in 0..<50 where i != 7 {
            #expect((try? results[i]!.get())?.requests.first?.id == "water:g\(i)")
            #expect(try store.request(id: "water:g\(i)")?.phase == .queued)
        }
        let keyed = Set((50..<60).compactMap { try? results[$0]!.get().requests.first?.id })
        #expect(keyed.count == 1)
        #expect((50..<60).filter { (try? results[$0]!.get().replayed) == false }.count == 1)
        #expect(try store.requests(RequestQuery(tenant: "water", limit: 1000)).count == 50)
        #expect(scheduler.placePending() == 50)
    }
}
