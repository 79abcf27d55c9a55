import Testing
import Placement

/// The scheduling pass the scheduler service and the simulator share.
struct SchedulingQueueTests {
    static let capacity = Usage(resources: Resources(cpuMillis: 100_000, memoryMiB: 100_000), gpuMilli: 0)

    static func queue(tenants: [String: TenantPolicy] = [:], depth: Int = 100) -> SchedulingQueue {
        SchedulingQueue(admission: AdmissionQueue(config: AdmissionConfig(tenants: tenants, clusterCapacity: capacity)), queueDepth: depth)
    }

    /// Runs one pass and returns its decisions.
    static func pass(_ queue: inout SchedulingQueue, _ cluster: inout ClusterState, at now: Double = 0) -> [SchedulingDecision] {
        var placer = Fixture.placer()
        var decisions: [SchedulingDecision] = []
        queue.startPass(at: now, on: cluster)
        while let decision = queue.nextDecision(at: now, cluster: &cluster, placer: &placer) { decisions.append(decision) }
        return decisions
    }

    static func summary(_ decisions: [SchedulingDecision]) -> [String] {
        decisions.map { decision in
            switch decision {
            case .placed(let id, let placement, _): "\(id)@\(placement.replicas.map(\.nodeID).joined(separator: "+"))"
            case .waiting(let id, let reason): "\(id):\(reason.code)"
            case .invalid(let id, _): "\(id):invalid"
            }
        }
    }

    static func cpuQuota(_ millis: Int64) -> Quota {
        Quota(resources: Resources(cpuMillis: millis, memoryMiB: 1 << 40, diskGiB: 1 << 40, bandwidthMbps: 1 << 40), gpuMilli: 1 << 40)
    }

    @Test("a request over its tenant's remaining quota waits with the reason and does not block a smaller one behind it")
    func quotaWaitsWithoutBlocking() {
        var queue = Self.queue(tenants: ["water": TenantPolicy(quotas: [.standard: Self.cpuQuota(6_000)])])
        var cluster = Fixture.state([Fixture.node("n1", cpu: 16_000)])
        _ = queue.submit(Fixture.request("a", tenant: "water", cpu: 4_000))
        _ = queue.submit(Fixture.request("b", tenant: "water", cpu: 4_000))
        _ = queue.submit(Fixture.request("c", tenant: "water", cpu: 2_000))
        #expect(Self.summary(Self.pass(&queue, &cluster)) == ["a@n1", "b:quota", "c@n1"])
        #expect(queue.waitReason(of: "b") == .quota(.cpu))
        // Nothing freed: b is not tried again.
        #expect(Self.pass(&queue, &cluster).isEmpty)
        cluster.release("a")
        queue.credit("a")
        #expect(Self.summary(Self.pass(&queue, &cluster)) == ["b@n1"])
        #expect(queue.pendingCount == 0)
    }

    @Test("a request that no node could take waits for the nodes to change, not for capacity")
    func staticReasonsWaitForNodes() throws {
        var queue = Self.queue()
        var cluster = Fixture.state([Fixture.node("n1")])
        _ = queue.submit(Fixture.request("hold", cpu: 8_000))
        _ = queue.submit(Fixture.request("hpc", classes: [.hpc]))
        #expect(Self.summary(Self.pass(&queue, &cluster)) == ["hold@n1", "hpc:node_class"])
        guard case .nodes = queue.waitReason(of: "hpc") else { Issue.record("hpc waits for \(String(describing: queue.waitReason(of: "hpc")))"); return }
        cluster.release("hold")
        #expect(Self.pass(&queue, &cluster).isEmpty, "freed capacity does not make a node of another class")
        cluster = try cluster.rebuilt(nodes: [Fixture.node("n1"), Fixture.node("h1", .hpc)], topology: Fixture.topology, storagePools: [])
        #expect(Self.summary(Self.pass(&queue, &cluster)) == ["hpc@h1"])
    }

    @Test("a request that did not fit is tried again once capacity frees, in the order it was set aside")
    func capacityWakesInOrder() {
        var queue = Self.queue()
        var cluster = Fixture.state([Fixture.node("n1", cpu: 4_000)])
        _ = queue.submit(Fixture.request("a", cpu: 4_000))
        _ = queue.submit(Fixture.request("b", cpu: 2_000))
        _ = queue.submit(Fixture.request("c", cpu: 2_000))
        #expect(Self.summary(Self.pass(&queue, &cluster)) == ["a@n1", "b:insufficient_cpu", "c:insufficient_cpu"])
        #expect(Self.pass(&queue, &cluster).isEmpty)
        cluster.release("a")
        #expect(Self.summary(Self.pass(&queue, &cluster)) == ["b@n1", "c@n1"])
    }

    @Test("a node becoming ready wakes requests waiting for capacity")
    func readyNodeWakes() {
        var queue = Self.queue()
        var cluster = Fixture.state([Fixture.node("n1", state: .cordoned)])
        _ = queue.submit(Fixture.request("a"))
        #expect(Self.summary(Self.pass(&queue, &cluster)) == ["a:node_not_ready"])
        cluster.setState(.ready, ofNode: 0)
        #expect(Self.summary(Self.pass(&queue, &cluster)) == ["a@n1"])
    }

    @Test("a pass stops after queue-depth requests that did not fit; the next pass goes on")
    func queueDepthBoundsAPass() {
        var queue = Self.queue(depth: 2)
        var cluster = Fixture.state([Fixture.node("n1", cpu: 4_000), Fixture.node("n2", cpu: 1_000)])
        _ = queue.submit(Fixture.request("hold", cpu: 4_000))
        for id in ["x1", "x2", "x3"] { _ = queue.submit(Fixture.request(id, cpu: 2_000)) }
        _ = queue.submit(Fixture.request("small", cpu: 1_000))
        #expect(Self.summary(Self.pass(&queue, &cluster)) == ["hold@n1", "x1:insufficient_cpu", "x2:insufficient_cpu"])
        #expect(Self.summary(Self.pass(&queue, &cluster)) == ["x3:insufficient_cpu", "small@n2"])
    }

    @Test("the missing replicas of a request placed in part wait for capacity and have no queue deadline")
    func partlyPlaced() {
        var queue = Self.queue()
        var cluster = Fixture.state([Fixture.node("n1", cpu: 2_000)])
        var request = Fixture.request("web", replicas: 3, cpu: 1_000)
        request.queueDeadline = 10
        _ = queue.submit(request)
        #expect(Self.summary(Self.pass(&queue, &cluster)) == ["web@n1+n1"])
        #expect(queue.isPartlyPlaced("web"))
        #expect(queue.expire(now: 20).isEmpty)
        cluster = try! cluster.rebuilt(nodes: [Fixture.node("n1", cpu: 2_000), Fixture.node("n2", cpu: 2_000)], topology: Fixture.topology, storagePools: [])
        let decisions = Self.pass(&queue, &cluster, at: 30)
        #expect(Self.summary(decisions) == ["web@n2"])
        if case .placed(_, _, let first) = decisions.first { #expect(!first) }
        #expect(!queue.isPartlyPlaced("web") && queue.pendingCount == 0)
    }

    @Test("a request set aside is rejected at its queue deadline like one still queued")
    func deadlinesReachSetAsideRequests() {
        var queue = Self.queue()
        var cluster = Fixture.state([Fixture.node("n1", cpu: 2_000)])
        var late = Fixture.request("late", cpu: 2_000)
        late.queueDeadline = 5
        var queued = Fixture.request("queued", tenant: "other", cpu: 500)
        queued.queueDeadline = 5
        _ = queue.submit(Fixture.request("hold", cpu: 2_000))
        _ = queue.submit(late)
        #expect(Self.summary(Self.pass(&queue, &cluster)) == ["hold@n1", "late:insufficient_cpu"])
        _ = queue.submit(queued)
        #expect(queue.expire(now: 4).isEmpty)
        #expect(Set(queue.expire(now: 5).map(\.requestID)) == ["late", "queued"])
        #expect(queue.pendingCount == 0)
    }

    @Test("lowering a quota below a pending request rejects it; one that still fits stays")
    func lowerQuotaRejects() {
        var queue = Self.queue()
        _ = queue.submit(Fixture.request("big", tenant: "water", cpu: 4_000))
        _ = queue.submit(Fixture.request("small", tenant: "water", cpu: 1_000))
        let rejected = queue.setPolicy(TenantPolicy(quotas: [.standard: Self.cpuQuota(2_000)]), of: "water")
        #expect(rejected.map(\.requestID) == ["big"])
        #expect(rejected.first?.reason == .exceedsQuota(.cpu))
        #expect(queue.contains("small") && !queue.contains("big"))
    }

    @Test("preemption releases and credits the victim and takes it out of the queue")
    func preemption() {
        var queue = Self.queue()
        var cluster = Fixture.state([Fixture.node("n1", cpu: 2_000)])
        _ = queue.submit(Fixture.request("low", tenant: "a", priority: .batch, replicas: 3, cpu: 1_000))
        #expect(Self.summary(Self.pass(&queue, &cluster)) == ["low@n1+n1"])
        #expect(queue.isPartlyPlaced("low"))
        _ = queue.submit(Fixture.request("high", tenant: "b", priority: .production, cpu: 2_000))
        let decisions = Self.pass(&queue, &cluster)
        guard case .placed(let id, let placement, _) = decisions.first else { Issue.record("\(decisions)"); return }
        #expect(id == "high" && placement.preempted.map(\.requestID) == ["low"])
        #expect(!queue.contains("low") && !queue.isPartlyPlaced("low"))
        #expect(queue.admission.usage(of: "a") == Usage())
    }
}
