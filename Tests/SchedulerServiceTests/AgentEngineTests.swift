import Foundation
import Placement
import SchedulerService
import Testing

/// The scheduler's side of its agents, without the wire: joining, assignment streams, reports,
/// health, drain and metering.
@Suite("Scheduler and its agents")
struct AgentEngineTests {
    let water = Principal(user: "w", role: .tenant, tenant: "water")
    let service = WorkloadSpec(service: ServiceSpec(command: ["/usr/bin/sleep", "infinity"]))

    /// Claims pre-registered nodes n1...nN with the bootstrap token.
    func claim(_ scheduler: Scheduler, nodes: Int, nodeClass: NodeClass = .general) throws -> [String: String] {
        var credentials: [String: String] = [:]
        for i in 1...nodes {
            let node = Node(id: "n\(i)", nodeClass: nodeClass, site: "d1", capacity: Resources(cpuMillis: 16_000, memoryMiB: 65_536))
            credentials[node.id] = try scheduler.registerAgent(node, agentVersion: "test", token: "boot").credential
        }
        return credentials
    }

    @Test("an agent claims a pre-registered node with the bootstrap token; the token cannot claim it twice; the credential identifies the node")
    func joining() throws {
        let (scheduler, store, _) = try newScheduler(nodes: 1)
        let node = Node(id: "n1", nodeClass: .general, site: "d1", capacity: Resources(cpuMillis: 16_000, memoryMiB: 65_536))
        let joined = try scheduler.registerAgent(node, agentVersion: "1.0", token: "boot")
        let credential = try #require(joined.credential)
        #expect(try scheduler.authenticateAgent(token: credential) == "n1")
        #expect(try scheduler.node("n1", by: admin).record.awaitingAgent == false)
        let again = #expect(throws: ServiceError.self) { try scheduler.registerAgent(node, agentVersion: "1.0", token: "boot") }
        #expect(again?.code == .conflict && again?.field == "node.id")
        #expect(try scheduler.registerAgent(node, agentVersion: "1.1", token: credential).credential == nil)
        #expect(throws: ServiceError.self) { try scheduler.registerAgent(node, agentVersion: "1.1", token: "wrong") }
        var moved = node
        moved.site = "d9"
        let mismatch = #expect(throws: ServiceError.self) { try scheduler.registerAgent(moved, agentVersion: "1.1", token: credential) }
        #expect(mismatch?.field == "node.site")
        #expect(try store.audit(AuditQuery(targetPrefix: "node/n1", limit: 10)).map(\.action) == ["node.register", "node.claim", "node.rejoin"])
    }

    @Test("placements reach the node's stream; reports acknowledge and start the request; a lease extension updates it; a release stops it")
    func assignmentsAndReports() async throws {
        let (scheduler, _, clock) = try newScheduler(nodes: 1)
        _ = try claim(scheduler, nodes: 1)
        var stream = try scheduler.openAssignments(node: "n1").makeAsyncIterator()
        #expect(await stream.next() == .sync([]))

        _ = try scheduler.submit([RequestSpec(id: "web", cpu: 2, memoryMiB: 1024, leaseSeconds: 3600, workload: service)], by: water)
        scheduler.placePending()
        guard case .start(let workload) = await stream.next() else { Issue.record("no start"); return }
        #expect(workload.id == "water:web/0" && workload.spec == service && workload.assignment.resources.cpuMillis == 2000)
        #expect(workload.leaseEndsAt == clock.now() + 3600)

        #expect(try scheduler.reportWorkloads([WorkloadReport(workloadID: "water:web/0", state: .accepted)], node: "n1") == 1)
        #expect(try scheduler.request("web", by: water).record.phase == .provisioning)
        _ = try scheduler.reportWorkloads([WorkloadReport(workloadID: "water:web/0", state: .running)], node: "n1")
        #expect(try scheduler.request("web", by: water).record.phase == .running)
        // Another node's report on this workload is stale.
        #expect(try scheduler.reportWorkloads([WorkloadReport(workloadID: "water:web/0", state: .failed)], node: "n2") == 0)

        _ = try scheduler.extendLease("web", bySeconds: 600, by: water)
        guard case .update(let updated) = await stream.next() else { Issue.record("no update"); return }
        #expect(updated.id == "water:web/0" && updated.leaseEndsAt == clock.now() + 4200)

        #expect(try scheduler.release("web", by: water).phase == .releasing)
        #expect(await stream.next() == .stop(workloadID: "water:web/0", reason: "releasing"))
        scheduler.placePending()
        #expect(try scheduler.request("web", by: water).record.phase == .releasing)
        _ = try scheduler.reportWorkloads([WorkloadReport(workloadID: "water:web/0", state: .stopped)], node: "n1")
        scheduler.placePending()
        #expect(try scheduler.request("web", by: water).record.phase == .released)
        #expect(try scheduler.node("n1", by: admin).free.cpuMillis == 16_000)

        let malformed = #expect(throws: ServiceError.self) { try scheduler.reportWorkloads([WorkloadReport(workloadID: "web", state: .running)], node: "n1") }
        #expect(malformed?.field == "statuses[0].workloadId")
    }

    @Test("a reconnecting agent gets a sync of what it should run; a release does not wait for a disconnected agent")
    func reconnect() async throws {
        let (scheduler, _, _) = try newScheduler(nodes: 1)
        _ = try claim(scheduler, nodes: 1)
        _ = try scheduler.submit([RequestSpec(id: "a", cpu: 1, workload: service), RequestSpec(id: "b", cpu: 1, workload: service)], batch: true, by: water)
        scheduler.placePending()
        var first = try scheduler.openAssignments(node: "n1").makeAsyncIterator()
        guard case .sync(let workloads) = await first.next() else { Issue.record("no sync"); return }
        #expect(workloads.map(\.id) == ["water:a/0", "water:b/0"])

        _ = try scheduler.release("a", by: water)
        #expect(await first.next() == .stop(workloadID: "water:a/0", reason: "releasing"))
        // A new stream replaces the first (the agent restarted) and ends it.
        var second = try scheduler.openAssignments(node: "n1").makeAsyncIterator()
        #expect(await first.next() == nil)
        guard case .sync(let now) = await second.next() else { Issue.record("no sync"); return }
        #expect(now.map(\.id) == ["water:b/0"])
        #expect(try scheduler.request("a", by: water).record.phase == .releasing)
        _ = try scheduler.reportWorkloads([WorkloadReport(workloadID: "water:a/0", state: .stopped)], node: "n1")
        scheduler.placePending()
        #expect(try scheduler.request("a", by: water).record.phase == .released)
    }

    @Test("a workload that fails is placed again on another node after a back-off while retries remain, then fails with the agent's reason; stops it asked for do not end the retry")
    func failures() async throws {
        var config = SchedulerConfig()
        config.maxRetries = 1
        config.retryBackoffSeconds = 20
        let (scheduler, _, clock) = try newScheduler(nodes: 2, config: config)
        _ = try claim(scheduler, nodes: 2)
        _ = try scheduler.submit([RequestSpec(id: "job", replicas: 2, cpu: 10, workload: service)], by: water)
        scheduler.placePending()
        let first = try scheduler.request("job", by: water).record
        let nodes = Dictionary(uniqueKeysWithValues: (first.allocation?.replicas ?? []).map { ($0.replica, $0.nodeID) })
        #expect(Set(nodes.values) == ["n1", "n2"])
        let failedOn = try #require(nodes[0])
        _ = try scheduler.reportWorkloads([WorkloadReport(workloadID: "water:job/0", state: .failed, reason: "exit status 3")], node: failedOn)
        // The other replica stops as it was told: that ends nothing.
        _ = try scheduler.reportWorkloads([WorkloadReport(workloadID: "water:job/1", state: .stopped)], node: nodes[1]!)
        var waiting = try scheduler.request("job", by: water)
        #expect(waiting.record.phase == .queued && waiting.record.allocation == nil)
        // Its owner learns why, in its history and in its inbox, though it waits to start again.
        #expect(waiting.history.last?.phase == "queued" && waiting.history.last?.reason == "water:job/0 failed on \(failedOn): exit status 3", "\(waiting.history)")
        let told = try scheduler.notifications(unreadOnly: true, before: nil, limit: 10, by: water)
        #expect(told.map(\.kind) == ["request.retrying"] && told.first?.message.contains("exit status 3") == true, "\(told)")
        scheduler.placePending()
        waiting = try scheduler.request("job", by: water)
        #expect(waiting.waiting?.code == "backoff", "held back for 20 s, not placed at once")
        clock.advance(21)
        scheduler.placePending()
        waiting = try scheduler.request("job", by: water)
        #expect(waiting.record.phase == .placed && waiting.record.allocation?.replicas.count == 1, "only the node it did not fail on")
        #expect(waiting.record.allocation?.replicas.allSatisfy { $0.nodeID != failedOn } == true)
        guard case .capacity(let report) = waiting.waiting else { Issue.record("waits for \(String(describing: waiting.waiting))"); return }
        #expect(report.nodes(failing: .failedHere) == 1, "\(report)")
        let retried = try #require(waiting.record.allocation?.replicas.first)
        _ = try scheduler.reportWorkloads([WorkloadReport(workloadID: "water:job/\(retried.replica)", state: .failed, reason: "exit status 3")], node: retried.nodeID)
        let record = try scheduler.request("job", by: water).record
        #expect(record.phase == .failed(reason: "water:job/\(retried.replica) failed on \(retried.nodeID): exit status 3"))
        #expect(try scheduler.node("n1", by: admin).free.cpuMillis == 16_000)
        #expect(try scheduler.node("n2", by: admin).free.cpuMillis == 16_000)
    }

    @Test("a restart does not make a node no agent ever claimed ready again: it gets no work")
    func unclaimedNodeAfterRestart() throws {
        let (scheduler, store, clock) = try newScheduler(nodes: 1)
        clock.advance(31)
        scheduler.placePending()
        #expect(try scheduler.node("n1", by: admin).state == .suspect)
        let restarted = try Scheduler(store: store, config: SchedulerConfig(), clock: clock)
        _ = try restarted.submit([RequestSpec(id: "svc", cpu: 2, workload: service)], by: water)
        restarted.placePending()
        #expect(try restarted.node("n1", by: admin).state == .suspect)
        #expect(try restarted.request("svc", by: water).record.allocation == nil, "nothing is placed on it")
    }

    @Test("a node registered ahead of an agent that never comes is suspect after the heartbeat grace, with an alert, then lost: its services go elsewhere")
    func unclaimedNodes() throws {
        let (scheduler, store, clock) = try newScheduler(nodes: 1)
        _ = try scheduler.submit([RequestSpec(id: "svc", cpu: 2, workload: service)], by: water)
        scheduler.placePending()
        #expect(try scheduler.request("svc", by: water).record.allocation?.replicas.first?.nodeID == "n1")
        clock.advance(31)
        scheduler.placePending()
        #expect(try scheduler.node("n1", by: admin).state == .suspect)
        let alert = try #require(try scheduler.alerts(by: admin).first { $0.target == "node/n1" })
        #expect(alert.kind == "node_suspect" && alert.message.contains("no agent has claimed it"), "\(alert)")
        // An agent claims another node; n1's stays silent past the grace of its class.
        let claimed = Node(id: "n2", nodeClass: .general, site: "d1", capacity: Resources(cpuMillis: 16_000, memoryMiB: 65_536))
        _ = try scheduler.registerAgent(claimed, agentVersion: "test", token: "boot")
        clock.advance(301)
        _ = try scheduler.heartbeat(node: "n2")
        scheduler.placePending()
        #expect(try scheduler.node("n1", by: admin).state == .lost)
        let moved = try scheduler.request("svc", by: water).record
        #expect(moved.phase == .placed && moved.allocation?.replicas.first?.nodeID == "n2")
        #expect(try store.audit(AuditQuery(action: "node.lost", limit: 5)).first?.detail.contains("no agent has claimed it") == true)
    }

    @Test("a node's state comes from its agent's liveness over the operator's: cordoning a silent node keeps it suspect, and it comes back cordoned")
    func effectiveNodeState() throws {
        let (scheduler, _, clock) = try newScheduler(nodes: 1)
        _ = try claim(scheduler, nodes: 1)
        clock.advance(31)
        scheduler.placePending()
        #expect(try scheduler.node("n1", by: admin).state == .suspect)
        _ = try scheduler.setNodeState("n1", to: .cordoned, by: admin)
        #expect(try scheduler.node("n1", by: admin).state == .suspect, "still silent: suspect, not cordoned")
        #expect(try scheduler.alerts(by: admin).contains { $0.target == "node/n1" && $0.kind == "node_suspect" })
        #expect(try scheduler.heartbeat(node: "n1") == .cordoned)
        _ = try scheduler.setNodeState("n1", to: .ready, by: admin)
        #expect(try scheduler.node("n1", by: admin).state == .ready)
    }

    @Test("an agent that ends a workload at its lease's end makes the request expired, not released")
    func leaseEndedByTheAgent() throws {
        let (scheduler, _, clock) = try newScheduler(nodes: 1)
        _ = try claim(scheduler, nodes: 1)
        _ = try scheduler.submit([RequestSpec(id: "lease", cpu: 1, leaseSeconds: 60, workload: service)], by: water)
        scheduler.placePending()
        clock.advance(60)
        _ = try scheduler.reportWorkloads([WorkloadReport(workloadID: "water:lease/0", state: .stopped, reason: "stopped: its lease ended")], node: "n1")
        #expect(try scheduler.request("lease", by: water).record.phase == .expired)
    }

    @Test("silent nodes become suspect, then lost: services move, VMs fail; a heartbeat brings a node back")
    func lostNodes() throws {
        let (scheduler, _, clock) = try newScheduler(nodes: 2)
        let credentials = try claim(scheduler, nodes: 2)
        _ = try scheduler.submit([
            RequestSpec(id: "svc", cpu: 10, requiredLabels: [:], workload: service),
            RequestSpec(id: "vm", kind: .vm, cpu: 4, workload: WorkloadSpec(vm: VirtualMachineSpec(image: "/var/lib/images/a.qcow2"))),
        ], batch: true, by: water)
        scheduler.placePending()
        let svcNode = try #require(try scheduler.request("svc", by: water).record.allocation?.replicas.first?.nodeID)
        let other = svcNode == "n1" ? "n2" : "n1"
        let vmNode = try #require(try scheduler.request("vm", by: water).record.allocation?.replicas.first?.nodeID)

        clock.advance(31)
        _ = try scheduler.heartbeat(node: other)
        scheduler.placePending()
        #expect(try scheduler.node(svcNode, by: admin).state == .suspect)
        #expect(try scheduler.node(other, by: admin).state == .ready)
        #expect(try scheduler.alerts(by: admin).contains { $0.kind == "node_suspect" && $0.target == "node/\(svcNode)" })

        clock.advance(301)
        _ = try scheduler.heartbeat(node: other)
        scheduler.placePending()
        #expect(try scheduler.node(svcNode, by: admin).state == .lost)
        let moved = try scheduler.request("svc", by: water).record
        #expect(moved.phase == .placed && moved.allocation?.replicas.first?.nodeID == other)
        if vmNode == svcNode {
            #expect(try scheduler.request("vm", by: water).record.phase == .failed(reason: "node \(svcNode) lost"))
        }

        // The lost node's agent restarts: registering again brings the node back.
        let node = Node(id: svcNode, nodeClass: .general, site: "d1", capacity: Resources(cpuMillis: 16_000, memoryMiB: 65_536))
        _ = try scheduler.registerAgent(node, agentVersion: "test", token: try #require(credentials[svcNode]))
        #expect(try scheduler.node(svcNode, by: admin).state == .ready)
        #expect(try scheduler.heartbeat(node: svcNode) == .ready)
    }

    @Test("an edge node cut off keeps its workloads however long it is lost")
    func edgeStays() throws {
        let (scheduler, _, clock) = try newScheduler(nodes: 0)
        let edge = Node(id: "e1", nodeClass: .edge, site: "d1", capacity: Resources(cpuMillis: 8000, memoryMiB: 16_384))
        _ = try scheduler.registerAgent(edge, agentVersion: "test", token: "boot")
        _ = try scheduler.submit([RequestSpec(id: "cam", kind: .aiInference, cpu: 2, allowedClasses: [.edge], workload: service)], by: water)
        scheduler.placePending()
        clock.advance(2 * 86_400)
        scheduler.placePending()
        #expect(try scheduler.node("e1", by: admin).state == .lost)
        let record = try scheduler.request("cam", by: water).record
        #expect(record.phase == .placed && record.allocation?.replicas.first?.nodeID == "e1")
    }

    @Test("draining a node moves its services elsewhere and leaves its VMs")
    func drain() throws {
        let (scheduler, _, _) = try newScheduler(nodes: 1)
        _ = try scheduler.submit([
            RequestSpec(id: "svc", cpu: 2, workload: service),
            RequestSpec(id: "vm", kind: .vm, cpu: 2, workload: WorkloadSpec(vm: VirtualMachineSpec(image: "/img.qcow2"))),
        ], batch: true, by: water)
        scheduler.placePending()
        _ = try scheduler.registerNode(Node(id: "n2", nodeClass: .general, site: "d1", capacity: Resources(cpuMillis: 16_000, memoryMiB: 65_536)), awaitingAgent: true, by: admin)
        _ = try scheduler.setNodeState("n1", to: .draining, by: admin)
        scheduler.placePending()
        #expect(try scheduler.request("svc", by: water).record.allocation?.replicas.first?.nodeID == "n2")
        #expect(try scheduler.request("vm", by: water).record.allocation?.replicas.first?.nodeID == "n1")
        #expect(try scheduler.request("vm", by: water).record.phase == .placed)
    }

    @Test("agents' metering samples count once when sent again; a sample of an unknown request is refused naming it")
    func metering() throws {
        let (scheduler, _, clock) = try newScheduler(nodes: 1)
        _ = try claim(scheduler, nodes: 1)
        _ = try scheduler.submit([RequestSpec(id: "web", cpu: 2, workload: service)], by: water)
        scheduler.placePending()
        let start = clock.now()
        let samples = (1...3).map { i in
            AgentSample(sequence: UInt64(i), workloadID: "water:web/0", start: start + Double(i - 1) * 3600, end: start + Double(i) * 3600, amounts: UsageAmounts(cpuCoreHours: 1.5))
        }
        #expect(try scheduler.recordAgentSamples(Array(samples.prefix(2)), node: "n1") == [1, 2])
        #expect(try scheduler.recordAgentSamples(samples, node: "n1") == [1, 2, 3])
        let usage = try scheduler.usage(UsageQuery(requestID: "water:web", from: start, to: start + 4 * 3600), by: water)
        #expect(usage.cpuCoreHours == 4.5)
        let unknown = #expect(throws: ServiceError.self) {
            try scheduler.recordAgentSamples([AgentSample(sequence: 4, workloadID: "water:nope/0", start: start, end: start + 1, amounts: UsageAmounts())], node: "n1")
        }
        #expect(unknown?.field == "samples[0].workloadId")
    }

    @Test("a sample above what the allocation could use is refused: kept in the audit log, an alert raised, never counted, not refused twice")
    func impossibleSamples() throws {
        let (scheduler, store, clock) = try newScheduler(nodes: 1)
        _ = try claim(scheduler, nodes: 1)
        _ = try scheduler.submit([RequestSpec(id: "vm", cpu: 1, memoryMiB: 128, workload: service)], by: water)
        scheduler.placePending()
        let start = clock.now()
        // What an agent counting a first reading from zero sent: the test driver's CPU time is
        // the wall clock since 1970.
        let counter = AgentSample(sequence: 1, workloadID: "water:vm/0", start: start, end: start + 60, amounts: UsageAmounts(cpuCoreHours: 498_872))
        let fair = AgentSample(sequence: 2, workloadID: "water:vm/0", start: start + 60, end: start + 120, amounts: UsageAmounts(cpuCoreHours: 60.0 / 3600, memoryGiBHours: 0.125 / 60))
        #expect(try scheduler.recordAgentSamples([counter, fair], node: "n1") == [1, 2])
        #expect(try scheduler.recordAgentSamples([counter], node: "n1") == [1])
        let used = try scheduler.usage(UsageQuery(requestID: "water:vm"), by: water)
        #expect(abs(used.cpuCoreHours - 60.0 / 3600) < 1e-12)
        let audit = try store.audit(AuditQuery(action: "metering.refuse", limit: 10))
        #expect(audit.count == 1 && audit[0].target == "request/water:vm" && audit[0].actor == "node/n1")
        #expect(audit.first?.detail.contains("cpuCoreHours 498872.0 in 60.0 s is more than 1.0 cores could use") == true, "\(audit)")
        let alert = try scheduler.alerts(by: admin).first { $0.kind == "metering_refused" }
        #expect(alert?.target == "node/n1" && alert?.message.hasPrefix("1 sample from node n1's agent refused as impossible") == true, "\(String(describing: alert))")
    }

    @Test("what a request holds is charged from placement to release, with or without an agent, and survives a restart")
    func allocatedBasis() throws {
        var config = SchedulerConfig()
        config.prices = PriceList(standard: UnitPrices(coreHour: 2, memoryGiBHour: 0.5), nodeClasses: [.ai: UnitPrices(coreHour: 10)])
        let (scheduler, store, clock) = try newScheduler(nodes: 1, config: config)
        _ = try scheduler.submit([RequestSpec(id: "hold", cpu: 2, memoryMiB: 2048)], by: water)
        scheduler.placePending()
        let placedAt = clock.now()
        clock.advance(1800)
        #expect(try scheduler.usage(UsageQuery(requestID: "water:hold"), basis: .allocated, by: water).cpuCoreHours == 1, "open: counted up to now")
        let reopened = try Scheduler(store: store, config: config, clock: clock)
        clock.advance(1800)
        _ = try reopened.release("hold", by: water)
        reopened.placePending()
        clock.advance(3600)
        let allocated = try reopened.usage(UsageQuery(requestID: "water:hold"), basis: .allocated, by: water)
        #expect(allocated.cpuCoreHours == 2 && allocated.memoryGiBHours == 2, "one hour of 2 cores and 2 GiB, no more after the release")
        #expect(try reopened.usage(UsageQuery(requestID: "water:hold"), by: water).cpuCoreHours == 0, "no agent measured it")
        let bill = try #require(try reopened.bills(from: placedAt, to: placedAt + 7200, tenant: "water", by: water).first)
        #expect(bill.allocated.total == 2 * 2 + 2 * 0.5 && bill.used.total == 0)
        #expect(bill.lines.map(\.request) == ["water:hold"] && bill.lines.first?.nodeClass == .general)
        // Half the period, half the charge.
        #expect(try reopened.bills(from: placedAt, to: placedAt + 1800, tenant: "water", by: water).first?.allocated.total == 2.5)
    }

    @Test("a workload spec is validated at submission, naming the field")
    func workloadValidation() throws {
        let (scheduler, _, _) = try newScheduler(nodes: 1)
        let relative = #expect(throws: ServiceError.self) {
            try scheduler.submit([RequestSpec(kind: .vm, cpu: 1, workload: WorkloadSpec(vm: VirtualMachineSpec(image: "disk.qcow2")))], by: water)
        }
        #expect(relative?.field == "workload.vm.image")
        for (vm, field) in [
            (VirtualMachineSpec(image: "/disk.qcow2", volume: "default/disk.qcow2"), "workload.vm"),
            (VirtualMachineSpec(), "workload.vm"),
            (VirtualMachineSpec(volume: "disk.qcow2"), "workload.vm.volume"),
            (VirtualMachineSpec(volume: "default/"), "workload.vm.volume"),
            (VirtualMachineSpec(volume: "a/b/c"), "workload.vm.volume"),
        ] {
            let refused = #expect(throws: ServiceError.self) {
                try scheduler.submit([RequestSpec(kind: .vm, cpu: 1, workload: WorkloadSpec(vm: vm))], by: water)
            }
            #expect(refused?.field == field, "\(vm)")
        }
        _ = try scheduler.submit([RequestSpec(kind: .vm, cpu: 1, workload: WorkloadSpec(vm: VirtualMachineSpec(volume: "default/disk.qcow2")))], by: water)
        let mismatch = #expect(throws: ServiceError.self) {
            try scheduler.submit([RequestSpec(kind: .service, cpu: 1, workload: WorkloadSpec(vm: VirtualMachineSpec(image: "/disk.qcow2")))], by: water)
        }
        #expect(mismatch?.field == "workload")
        let empty = #expect(throws: ServiceError.self) {
            try scheduler.submit([RequestSpec(cpu: 1, workload: WorkloadSpec(service: ServiceSpec(command: [])))], batch: true, by: water)
        }
        #expect(empty?.field == "requests[0].workload.service.command")
    }
}

@Suite("Idle reclamation")
struct IdleReclaimTests {
    let water = Principal(user: "w", role: .tenant, tenant: "water")

    /// One hour-long sample of `cores` used by `TENANT:web/0` starting at `start`.
    func sample(_ sequence: UInt64, at start: Double, cores: Double, tenant: String = "water") -> AgentSample {
        AgentSample(sequence: sequence, workloadID: "\(tenant):web/0", start: start, end: start + 3600, amounts: UsageAmounts(cpuCoreHours: cores))
    }

    func runningRequest(reclaimIdle: Bool? = nil) throws -> (Scheduler, ManualClock) {
        let (scheduler, _, clock) = try newScheduler(nodes: 1)
        if let reclaimIdle { _ = try scheduler.createTenant(id: "parks", name: nil, reclaimIdle: reclaimIdle, by: admin) }
        let node = Node(id: "n1", nodeClass: .general, site: "d1", capacity: Resources(cpuMillis: 16_000, memoryMiB: 65_536))
        _ = try scheduler.registerAgent(node, agentVersion: "test", token: "boot")
        _ = try scheduler.submit([RequestSpec(id: "web", tenant: reclaimIdle == nil ? "water" : "parks", cpu: 4, workload: WorkloadSpec(service: ServiceSpec(command: ["/bin/true"])))], by: admin)
        scheduler.placePending()
        _ = try scheduler.reportWorkloads([WorkloadReport(workloadID: "\(reclaimIdle == nil ? "water" : "parks"):web/0", state: .running)], node: "n1")
        return (scheduler, clock)
    }

    @Test("a request under 5% of its CPU for an hour gets a notice, and is reclaimed when the notice runs out")
    func reclaimed() throws {
        let (scheduler, clock) = try runningRequest()
        let start = clock.now()
        _ = try scheduler.recordAgentSamples([sample(1, at: start, cores: 0.1)], node: "n1")
        clock.advance(3600)
        _ = try scheduler.heartbeat(node: "n1")
        scheduler.placePending()
        #expect(try scheduler.request("water:web", by: admin).record.lifecycle.idleNoticeSent)
        #expect(try scheduler.alerts(by: admin).contains { $0.kind == "idle_allocation" && $0.target == "request/water:web" })
        clock.advance(3600)
        _ = try scheduler.heartbeat(node: "n1")
        scheduler.placePending()
        #expect(try scheduler.request("water:web", by: admin).record.phase == .reclaimed)
        #expect(try scheduler.node("n1", by: admin).free.cpuMillis == 16_000)
    }

    @Test("activity after the notice withdraws it; a tenant that opted out is never reclaimed")
    func activityAndOptOut() throws {
        let (scheduler, clock) = try runningRequest()
        let start = clock.now()
        _ = try scheduler.recordAgentSamples([sample(1, at: start, cores: 0.1)], node: "n1")
        clock.advance(3600)
        _ = try scheduler.heartbeat(node: "n1")
        scheduler.placePending()
        _ = try scheduler.recordAgentSamples([sample(2, at: start + 3600, cores: 3)], node: "n1")
        clock.advance(7200)
        _ = try scheduler.heartbeat(node: "n1")
        scheduler.placePending()
        let record = try scheduler.request("water:web", by: admin).record
        #expect(record.phase == .running && !record.lifecycle.idleNoticeSent)

        let (optedOut, clock2) = try runningRequest(reclaimIdle: false)
        _ = try optedOut.recordAgentSamples([sample(1, at: clock2.now(), cores: 0, tenant: "parks")], node: "n1")
        clock2.advance(10 * 3600)
        _ = try optedOut.heartbeat(node: "n1")
        optedOut.placePending()
        #expect(try optedOut.request("parks:web", by: admin).record.phase == .running)
    }
}

@Suite("Defragmentation")
struct DefragmentationTests {
    @Test("a 4-GPU job blocked by scattered half-GPU services: the plan moves one, apply carries it out and tells the agents")
    func planAndApply() async throws {
        var config = SchedulerConfig()
        config.policy = "spread"
        let (scheduler, store, _) = try newScheduler(nodes: 0, config: config)
        for id in ["a", "b"] {
            let node = Node(id: id, nodeClass: .ai, site: "d1", capacity: Resources(cpuMillis: 64_000, memoryMiB: 262_144), gpus: Array(repeating: GPUDevice(model: "A100"), count: 4))
            _ = try scheduler.registerAgent(node, agentVersion: "test", token: "boot")
        }
        var streams = [try scheduler.openAssignments(node: "a").makeAsyncIterator(), try scheduler.openAssignments(node: "b").makeAsyncIterator()]
        for i in 0..<2 { _ = await streams[i].next() }
        let service = WorkloadSpec(service: ServiceSpec(command: ["/usr/bin/infer"]))
        for id in ["infer-1", "infer-2"] {
            _ = try scheduler.submit([RequestSpec(id: id, tenant: "water", kind: .aiInference, cpu: 2, memoryMiB: 4096, gpu: GPURequestSpec(count: 1, milliPerGPU: 500), workload: service)], by: admin)
            scheduler.placePending()
        }
        #expect(Set(try ["water:infer-1", "water:infer-2"].map { try scheduler.request($0, by: admin).record.allocation!.replicas[0].nodeID }) == ["a", "b"])
        for i in 0..<2 { _ = await streams[i].next() }

        _ = try scheduler.submit([RequestSpec(id: "train", tenant: "water", kind: .aiTraining, cpu: 16, memoryMiB: 65_536, gpu: GPURequestSpec(count: 4), workload: service)], by: admin)
        scheduler.placePending()
        #expect(try scheduler.request("water:train", by: admin).record.phase == .queued)

        let operatorUser = Principal(user: "op", role: .operator)
        let plan = try scheduler.defragmentationPlan(.fit(request: "water:train"), by: operatorUser)
        #expect(plan.moves.count == 1)
        let freed = try #require(plan.freedNodes.first)
        let moved = plan.moves[0].requestID
        #expect(throws: ServiceError.self) { try scheduler.defragmentationPlan(.fit(request: "water:train"), by: Principal(user: "w", role: .tenant, tenant: "water")) }

        _ = try scheduler.applyDefragmentation(.fit(request: "water:train"), by: operatorUser)
        let train = try scheduler.request("water:train", by: admin).record
        #expect(train.phase == .placed && train.allocation?.replicas.map(\.nodeID) == [freed])
        let movedRecord = try scheduler.request(moved, by: admin).record
        #expect(movedRecord.phase == .placed && movedRecord.allocation?.replicas.first?.nodeID != freed)
        // The freed node's agent is told to stop the moved workload and start the job; the other
        // agent to start the moved workload.
        let freedIndex = freed == "a" ? 0 : 1
        let stop = await streams[freedIndex].next()
        guard case .stop(let stopped, let why) = stop else { Issue.record("no stop of the moved workload: \(String(describing: stop))"); return }
        #expect(stopped == "\(moved)/0" && why == "moved from \(freed) to \(plan.moves[0].to.joined(separator: ", ")) to make room for water:train", "\(why)")
        let history = try scheduler.request(moved, by: admin).history
        #expect(history.last.map { [$0.phase, $0.reason ?? ""] } == ["placed", why])
        guard case .start(let job) = await streams[freedIndex].next() else { Issue.record("no start of the job"); return }
        #expect(job.id == "water:train/0")
        guard case .start(let again) = await streams[1 - freedIndex].next() else { Issue.record("no start of the moved workload"); return }
        #expect(again.id == "\(moved)/0")
        #expect(try store.audit(AuditQuery(action: "defrag.apply", limit: 5)).count == 1)
        #expect(try scheduler.node(freed, by: admin).freeGPUMilli == [0, 0, 0, 0])
        #expect(scheduler.placePending() == 0)
    }

    @Test("emptying nodes moves their services, cordons them and audits it")
    func freeNodes() throws {
        var config = SchedulerConfig()
        config.policy = "spread"
        let (scheduler, store, _) = try newScheduler(nodes: 3, config: config)
        _ = try scheduler.submit((0..<3).map { RequestSpec(id: "s\($0)", cpu: 2, workload: WorkloadSpec(service: ServiceSpec(command: ["/bin/svc"]))) }, batch: true, by: Principal(user: "w", role: .tenant, tenant: "water"))
        scheduler.placePending()
        let plan = try scheduler.applyDefragmentation(.free(nodes: 2, nodeClass: .general, partition: nil), by: admin)
        #expect(plan.freedNodes.count == 2 && plan.moves.count == 2)
        for node in plan.freedNodes {
            let status = try scheduler.node(node, by: admin)
            #expect(status.state == .cordoned && status.requests == 0)
        }
        #expect((0..<3).allSatisfy { (try? scheduler.request("water:s\($0)", by: admin).record.phase) == .placed })
        #expect(try store.audit(AuditQuery(action: "node.cordon", limit: 5)).count == 2)
        let estimate = try #require(try scheduler.consolidation(by: admin).first)
        #expect(estimate.nodeClass == .general && estimate.nodes == 3 && estimate.nodesInUse == 1)
        #expect(estimate.nodesNeeded == 1 && estimate.vectorPacking == 1 && estimate.lowerBound == 1)
        let bad = #expect(throws: ServiceError.self) { try scheduler.defragmentationPlan(.free(nodes: 0, nodeClass: nil, partition: nil), by: admin) }
        #expect(bad?.field == "freeNodes")
    }
}
