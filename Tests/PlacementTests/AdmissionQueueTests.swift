import Testing
import Placement

struct AdmissionQueueTests {
    static let capacity = Usage(resources: Resources(cpuMillis: 100_000, memoryMiB: 100_000), gpuMilli: 0)

    static func request(_ id: String, _ tenant: String, _ priority: PriorityClass = .standard, cpu: Int64 = 1_000, at time: Double = 0, deadline: Double? = nil) -> PlacementRequest {
        var request = Fixture.request(id, tenant: tenant, priority: priority, cpu: cpu)
        request.submittedAt = time
        request.queueDeadline = deadline
        return request
    }

    @Test func higherBandsGoFirst() {
        var queue = AdmissionQueue(config: AdmissionConfig(clusterCapacity: Self.capacity))
        #expect(queue.submit(Self.request("b", "t", .batch)) == nil)
        #expect(queue.submit(Self.request("c", "t", .critical)) == nil)
        #expect(queue.submit(Self.request("s", "t", .standard)) == nil)
        #expect([queue.next(now: 0), queue.next(now: 0), queue.next(now: 0)].map { $0?.id } == ["c", "s", "b"])
        #expect(queue.next(now: 0) == nil)
    }

    @Test func fairShareFavoursTheTenantHoldingLess() {
        var queue = AdmissionQueue(config: AdmissionConfig(clusterCapacity: Self.capacity))
        queue.charge(Self.request("held", "police", cpu: 30_000), replicas: 1)
        _ = queue.submit(Self.request("p1", "police", at: 0))
        _ = queue.submit(Self.request("w1", "water", at: 1))
        #expect(queue.next(now: 2)?.id == "w1")
        #expect(queue.next(now: 2)?.id == "p1")
    }

    @Test func weightsScaleTheFairShare() {
        let config = AdmissionConfig(tenants: ["police": TenantPolicy(weight: 4)], clusterCapacity: Self.capacity)
        var queue = AdmissionQueue(config: config)
        queue.charge(Self.request("held-p", "police", cpu: 30_000), replicas: 1)
        queue.charge(Self.request("held-w", "water", cpu: 10_000), replicas: 1)
        _ = queue.submit(Self.request("w1", "water"))
        _ = queue.submit(Self.request("p1", "police"))
        // police holds 30% at weight 4 (7.5%), water 10% at weight 1.
        #expect(queue.next(now: 0)?.id == "p1")
    }

    @Test func agingLetsOldBatchWorkOvertake() {
        var queue = AdmissionQueue(config: AdmissionConfig(clusterCapacity: Self.capacity, agingIntervalSeconds: 60, agingStep: 100, agingCap: 300))
        _ = queue.submit(Self.request("old-batch", "t", .batch, at: 0))
        _ = queue.submit(Self.request("new-standard", "u", .standard, at: 299))
        #expect(queue.effectivePriority(of: Self.request("x", "t", .batch, at: 0), now: 300) == 600)
        #expect(queue.next(now: 300)?.id == "old-batch")
        // The cap keeps aging below critical work.
        #expect(queue.effectivePriority(of: Self.request("x", "t", .bestEffort, at: 0), now: 1e9) == 400)
    }

    @Test func quotasHoldBackButDoNotBlockOthers() {
        let quota = Quota(resources: Resources(cpuMillis: 2_000, memoryMiB: 1_000_000, diskGiB: 1_000_000, bandwidthMbps: 1_000_000))
        let config = AdmissionConfig(tenants: ["police": TenantPolicy(quotas: [.standard: quota])], clusterCapacity: Self.capacity)
        var queue = AdmissionQueue(config: config)
        let rejection = queue.submit(Self.request("huge", "police", cpu: 3_000))
        #expect(rejection?.reason == .exceedsQuota(.cpu))
        queue.charge(Self.request("held", "police", cpu: 1_500), replicas: 1)
        _ = queue.submit(Self.request("p1", "police", cpu: 1_000, at: 0))
        _ = queue.submit(Self.request("w1", "water", cpu: 1_000, at: 1))
        #expect(queue.next(now: 2)?.id == "w1")
        #expect(queue.next(now: 2) == nil)
        queue.credit("held")
        #expect(queue.next(now: 3)?.id == "p1")
    }

    @Test func absurdRequestsAreRefusedNotTrapped() {
        let quota = Quota(resources: Resources(cpuMillis: 2_000, memoryMiB: 1_000_000, diskGiB: 1_000_000, bandwidthMbps: 1_000_000))
        var queue = AdmissionQueue(config: AdmissionConfig(tenants: ["police": TenantPolicy(quotas: [.standard: quota])], clusterCapacity: Self.capacity))
        var absurd = Self.request("absurd", "police", cpu: .max)
        absurd.replicas = .max
        #expect(queue.submit(absurd)?.reason == .exceedsQuota(.cpu))
    }

    @Test func requestsPastTheirDeadlineAreRejectedWithAReason() {
        var queue = AdmissionQueue(config: AdmissionConfig(clusterCapacity: Self.capacity))
        _ = queue.submit(Self.request("soon", "t", deadline: 10))
        _ = queue.submit(Self.request("later", "t", deadline: 100))
        let rejected = queue.expire(now: 50)
        #expect(rejected.map(\.requestID) == ["soon"])
        #expect(rejected.first?.reason == .deadlineExceeded)
        #expect(queue.pendingCount == 1)
    }

    @Test func duplicatesAreRefusedAndRequeueKeepsTheHead() {
        var queue = AdmissionQueue(config: AdmissionConfig(clusterCapacity: Self.capacity))
        _ = queue.submit(Self.request("a", "t", at: 0))
        _ = queue.submit(Self.request("b", "t", at: 1))
        #expect(queue.submit(Self.request("a", "t"))?.reason == .duplicate)
        let head = queue.next(now: 2)!
        queue.requeue(head)
        #expect(queue.next(now: 2)?.id == "a")
    }
}
