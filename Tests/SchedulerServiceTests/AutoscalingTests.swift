import Foundation
import Placement
import SchedulerService
import Synchronization
import Testing

/// The scheduler's autoscaler with an injected clock: agents' samples and a calls counter drive
/// services out and in; the decisions, with the figures behind them, are in the request's history
/// and the audit log; quotas and budgets hold scale-outs with their reason.
@Suite("Autoscaling")
struct AutoscalingTests {
    let water = Principal(user: "w", role: .tenant, tenant: "water")
    let service = WorkloadSpec(service: ServiceSpec(command: ["/usr/bin/sleep", "infinity"]))

    /// Every command each node's agent is sent, as they come.
    final class Agents: Sendable {
        let commands = Mutex<[String: [AgentCommand]]>([:])

        init(_ scheduler: Scheduler, nodes: Int) throws {
            for i in 1...nodes {
                let node = Node(id: "n\(i)", nodeClass: .general, site: "d1", capacity: Resources(cpuMillis: 16_000, memoryMiB: 65_536))
                _ = try scheduler.registerAgent(node, agentVersion: "test", token: "boot")
                let stream = try scheduler.openAssignments(node: node.id)
                Task { [self] in for await command in stream { self.commands.withLock { $0[node.id, default: []].append(command) } } }
            }
        }

        /// Starts and stops sent so far, as `start water:web/1 on n2`.
        var log: [String] {
            commands.withLock { all in
                all.sorted { $0.key < $1.key }.flatMap { node, commands in
                    commands.compactMap { command -> String? in
                        switch command {
                        case .start(let workload): "start \(workload.id) on \(node)"
                        case .stop(let id, _): "stop \(id) on \(node)"
                        case .sync, .update: nil
                        }
                    }
                }
            }
        }

        /// Waits (at most 5 s) until `condition` holds of the log.
        func waitFor(_ condition: ([String]) -> Bool) async throws -> [String] {
            for _ in 0..<500 {
                if condition(log) { return log }
                try await Task.sleep(for: .milliseconds(10))
            }
            return log
        }
    }

    /// A full-window CPU sample of one replica using `share` of its `cores`, ending now.
    static func sample(_ sequence: inout UInt64, _ workload: String, cores: Double, share: Double, seconds: Double, now: Double) -> AgentSample {
        sequence += 1
        return AgentSample(sequence: sequence, workloadID: workload, start: now - seconds, end: now, amounts: UsageAmounts(cpuCoreHours: cores * share * seconds / 3600))
    }

    @Test("a service scales out on its replicas' CPU and back in after the down window: new replicas on other nodes, the newest stopped, each decision with its figures")
    func cpuOutAndIn() async throws {
        var config = SchedulerConfig()
        config.scalingIntervalSeconds = 15
        let (scheduler, store, clock) = try newScheduler(nodes: 3, config: config)
        let agents = try Agents(scheduler, nodes: 3)
        // Each evaluation sees the samples of the last 15 s only.
        let scaling = ScalingSpec(
            maxReplicas: 3, target: .init(cpuUtilizationPercent: 50), metricWindowSeconds: 10, scaleDown: .init(stabilizationSeconds: 60))
        _ = try scheduler.submit([RequestSpec(id: "web", cpu: 2, memoryMiB: 1024, workload: service, scaling: scaling)], by: water)
        scheduler.placePending()
        let first = try #require(try scheduler.request("web", by: water).record.allocation?.replicas.first?.nodeID)
        _ = try scheduler.reportWorkloads([WorkloadReport(workloadID: "water:web/0", state: .running)], node: first)
        #expect(try scheduler.request("web", by: water).record.phase == .running)

        // Busy: the one replica uses 95% of its 2 cores, against a target of 50%.
        var sequence: UInt64 = 0
        clock.advance(15)
        _ = try scheduler.recordAgentSamples([Self.sample(&sequence, "water:web/0", cores: 2, share: 0.95, seconds: 15, now: clock.now())], node: first)
        scheduler.placePending()
        var record = try scheduler.request("web", by: water).record
        #expect(record.spec.replicas == 2)
        let second = try #require(record.allocation?.replicas.first { $0.replica == 1 }?.nodeID)
        #expect(second != first, "a scaled service spreads over nodes")
        #expect(try await agents.waitFor { $0.contains("start water:web/1 on \(second)") }.contains("start water:web/1 on \(second)"))
        _ = try scheduler.reportWorkloads([WorkloadReport(workloadID: "water:web/1", state: .running)], node: second)

        // Quiet: both at 10%. Nothing changes until the busy recommendation leaves the 60 s window.
        for _ in 0..<3 {
            clock.advance(15)
            _ = try scheduler.recordAgentSamples([Self.sample(&sequence, "water:web/0", cores: 2, share: 0.1, seconds: 15, now: clock.now())], node: first)
            _ = try scheduler.recordAgentSamples([Self.sample(&sequence, "water:web/1", cores: 2, share: 0.1, seconds: 15, now: clock.now())], node: second)
            scheduler.placePending()
            #expect(try scheduler.request("web", by: water).record.spec.replicas == 2)
        }
        clock.advance(15)
        _ = try scheduler.recordAgentSamples([Self.sample(&sequence, "water:web/0", cores: 2, share: 0.1, seconds: 15, now: clock.now())], node: first)
        scheduler.placePending()
        record = try scheduler.request("web", by: water).record
        #expect(record.spec.replicas == 1)
        #expect(record.allocation?.replicas.map(\.replica) == [0])
        #expect(try await agents.waitFor { $0.contains("stop water:web/1 on \(second)") }.contains("stop water:web/1 on \(second)"))
        // Its capacity is given back at once.
        let freed = try scheduler.node(second, by: admin)
        #expect(freed.free.cpuMillis == 16_000 && freed.requests == 0)

        let history = try scheduler.request("web", by: water).history.compactMap(\.reason)
        #expect(history.contains("scaled out 1 -> 2: CPU 95% of the allocation on 1 replica, target 50%, recommends 2"))
        #expect(history.contains("placed water:web/1 on \(second)"))
        #expect(history.contains("scaled in 2 -> 1: CPU 10% of the allocation on 2 replicas, target 50%, recommends 1; stopping water:web/1 on \(second)"))
        #expect(try store.audit(AuditQuery(action: "request.scale", limit: 10)).map(\.actor) == ["autoscaler", "autoscaler"])
    }

    @Test("a scale-out over the tenant's quota takes what the quota has room for; the rest waits with its reason, said once in the history, and goes when the quota grows")
    func quotaHoldsScaleOut() throws {
        var config = SchedulerConfig()
        config.scalingIntervalSeconds = 1
        let (scheduler, _, clock) = try newScheduler(nodes: 3, config: config)
        let quota = Quota(resources: Resources(cpuMillis: 4_000, memoryMiB: 1 << 30, diskGiB: 1 << 30, bandwidthMbps: 1 << 30), gpuMilli: 0)
        _ = try scheduler.setQuota(tenant: "water", priority: .standard, quota: quota, by: admin)
        let scaling = ScalingSpec(maxReplicas: 4, target: .init(callsPerSecondPerReplica: 10))
        _ = try scheduler.submit([RequestSpec(id: "api", cpu: 2, memoryMiB: 512, scaling: scaling)], by: water)
        scheduler.placePending()
        #expect(try scheduler.request("api", by: water).record.phase == .running)
        _ = try scheduler.reportCalls("api", total: 1_000, by: water)
        clock.advance(10)
        // 400 calls/s on one replica: 40 replicas' worth, at most 4.
        let reading = try #require(try scheduler.reportCalls("api", total: 5_000, by: water))
        #expect(reading.value == 400 && reading.replicas == 1)
        for _ in 0..<3 {
            clock.advance(1)
            scheduler.placePending()
        }
        // 4 cores of quota: a second replica of 2 cores fits, the other two wait.
        let waiting = try scheduler.request("api", by: water)
        #expect(waiting.record.spec.replicas == 4)
        #expect(waiting.record.allocation?.replicas.count == 2)
        #expect(waiting.waiting?.code == "quota")
        let notes = try scheduler.request("api", by: water).history.compactMap(\.reason).filter { $0.hasPrefix("new replicas wait") }
        #expect(notes == ["new replicas wait: its tenant's quota for its priority class has no room for it in cpu"])

        _ = try scheduler.setQuota(tenant: "water", priority: .standard, quota: Quota(resources: Resources(cpuMillis: 8_000, memoryMiB: 1 << 30, diskGiB: 1 << 30, bandwidthMbps: 1 << 30), gpuMilli: 0), by: admin)
        clock.advance(1)
        scheduler.placePending()
        let placed = try scheduler.request("api", by: water)
        #expect(placed.record.allocation?.replicas.count == 4)
        #expect(placed.waiting == nil)
    }

    @Test("a tenant whose budget for the month is spent does not scale out; the history says why, once")
    func spentBudgetHoldsScaleOut() throws {
        var config = SchedulerConfig()
        config.scalingIntervalSeconds = 1
        config.prices = PriceList(standard: UnitPrices(coreHour: 36_000))
        let (scheduler, _, clock) = try newScheduler(nodes: 2, config: config)
        _ = try scheduler.setBudget(tenant: "water", monthly: 50, by: admin)
        _ = try scheduler.submit([RequestSpec(id: "api", cpu: 1, memoryMiB: 512, scaling: ScalingSpec(maxReplicas: 4, target: .init(callsPerSecondPerReplica: 10)))], by: water)
        scheduler.placePending()
        // A minute of one core at 36,000 an hour: 600 billed against a budget of 50.
        clock.advance(60)
        scheduler.noticeBudgetAlerts()
        _ = try scheduler.reportCalls("api", total: 0, by: water)
        clock.advance(10)
        _ = try scheduler.reportCalls("api", total: 1_000, by: water)
        for _ in 0..<3 {
            clock.advance(1)
            scheduler.placePending()
        }
        let status = try scheduler.request("api", by: water)
        #expect(status.record.spec.replicas == 1)
        let held = status.history.compactMap(\.reason).filter { $0.contains("budget") }
        #expect(held.count == 1, "\(held)")
        #expect(held.first?.hasPrefix("stays at 1: 100 calls/s per replica on 1 replica, target 10.0, recommends 10; held: water's budget for the month is spent") == true, "\(held)")
    }

    @Test("calls are reported only for a request that scales on calls, by its tenant; the counter restarting is a new start, not negative calls")
    func callsCounter() throws {
        let (scheduler, _, clock) = try newScheduler(nodes: 1)
        _ = try scheduler.submit([RequestSpec(id: "fixed", cpu: 1)], by: water)
        _ = try scheduler.submit([RequestSpec(id: "cpu", cpu: 1, scaling: ScalingSpec(maxReplicas: 2, target: .init(cpuUtilizationPercent: 50)))], by: water)
        _ = try scheduler.submit([RequestSpec(id: "calls", cpu: 1, scaling: ScalingSpec(maxReplicas: 2, target: .init(callsPerSecondPerReplica: 5)))], by: water)
        scheduler.placePending()
        #expect((#expect(throws: ServiceError.self) { try scheduler.reportCalls("fixed", total: 1, by: water) })?.code == .conflict)
        #expect((#expect(throws: ServiceError.self) { try scheduler.reportCalls("cpu", total: 1, by: water) })?.code == .conflict)
        let transport = Principal(user: "t", role: .tenant, tenant: "transport")
        #expect((#expect(throws: ServiceError.self) { try scheduler.reportCalls("water:calls", total: 1, by: transport) })?.code == .notFound)
        #expect((#expect(throws: ServiceError.self) { try scheduler.reportCalls("calls", total: -1, by: water) })?.field == "total")
        #expect(try scheduler.reportCalls("calls", total: 100, by: water) == nil)
        clock.advance(10)
        #expect(try scheduler.reportCalls("calls", total: 150, by: water)?.value == 5)
        clock.advance(10)
        // A restart of the workload's counter: a new first reading.
        #expect(try scheduler.reportCalls("calls", total: 20, by: water) == nil)
        clock.advance(10)
        #expect(try scheduler.reportCalls("calls", total: 40, by: water)?.value == 2)
    }

    @Test("a catalog component's scaling policy is taken by the requests that run it and give none; an offering cannot scale")
    func componentPolicy() throws {
        let (scheduler, _, _) = try newScheduler(nodes: 2)
        let policy = ScalingSpec(minReplicas: 2, maxReplicas: 6, target: .init(cpuUtilizationPercent: 70))
        let entry = try scheduler.registerCatalogEntry(
            CatalogRegistration(kind: .component, name: "permits", version: "1.0", cpu: 1, memoryMiB: 512, workloadKind: .service, scaling: policy), by: admin)
        #expect(entry.scaling?.minReplicas == 2 && entry.scaling?.maxReplicas == 6)
        let inherited = try scheduler.submit([RequestSpec(id: "p", component: ComponentReference(name: "permits"))], by: water).requests[0]
        #expect(inherited.spec.scaling == entry.scaling)
        #expect(inherited.spec.replicas == 2)
        #expect(inherited.spec.spread == SpreadConstraint(key: .node))
        let own = ScalingSpec(maxReplicas: 3, target: .init(callsPerSecondPerReplica: 20))
        let overridden = try scheduler.submit([RequestSpec(id: "q", component: ComponentReference(name: "permits"), scaling: own)], by: water).requests[0]
        #expect(overridden.spec.scaling?.maxReplicas == 3 && overridden.spec.replicas == 1)
        let offering = #expect(throws: ServiceError.self) {
            try scheduler.registerCatalogEntry(CatalogRegistration(kind: .offering, name: "vm", nodeClass: .general, cpu: 1, memoryMiB: 512, scaling: policy), by: admin)
        }
        #expect(offering?.field == "scaling")
        let broken = #expect(throws: ServiceError.self) {
            try scheduler.registerCatalogEntry(
                CatalogRegistration(kind: .component, name: "x", version: "1", cpu: 1, memoryMiB: 512, scaling: ScalingSpec(maxReplicas: 0, target: .init(cpuUtilizationPercent: 50))), by: admin)
        }
        #expect(broken?.field == "scaling.maxReplicas")
    }

    @Test("a submission's scaling policy is checked naming the field; replicas start at the minimum")
    func submissionChecks() throws {
        let (scheduler, _, _) = try newScheduler(nodes: 1)
        func field(_ spec: RequestSpec) -> String? {
            do { _ = try scheduler.submit([spec], by: water) } catch { return error.field }
            return nil
        }
        let cpu = ScalingSpec.Target(cpuUtilizationPercent: 60)
        #expect(field(RequestSpec(id: "a", cpu: 1, scaling: ScalingSpec(maxReplicas: 2, target: ScalingSpec.Target()))) == "scaling.target")
        #expect(field(RequestSpec(id: "b", cpu: 1, scaling: ScalingSpec(minReplicas: 3, maxReplicas: 2, target: cpu))) == "scaling.minReplicas")
        #expect(field(RequestSpec(id: "c", replicas: 5, cpu: 1, scaling: ScalingSpec(maxReplicas: 4, target: cpu))) == "replicas")
        #expect(field(RequestSpec(id: "d", replicas: 2, gang: true, cpu: 1, scaling: ScalingSpec(maxReplicas: 4, target: cpu))) == "scaling")
        let badFloor = ScalingSpec(maxReplicas: 4, target: cpu, floors: [.init(days: [.mon], from: "25:00", to: "18:00", minReplicas: 2)])
        #expect(field(RequestSpec(id: "e", cpu: 1, scaling: badFloor)) == "scaling.floors[0].from")
        let offset = ScalingSpec(maxReplicas: 4, target: cpu, floors: [.init(days: [.mon], from: "08:00", to: "18:00", minReplicas: 2, utcOffset: "+15:00")])
        #expect(field(RequestSpec(id: "f", cpu: 1, scaling: offset)) == "scaling.floors[0].utcOffset")
        let started = try scheduler.submit([RequestSpec(id: "g", cpu: 1, scaling: ScalingSpec(minReplicas: 2, maxReplicas: 4, target: cpu))], by: water)
        #expect(started.requests[0].spec.replicas == 2)
        #expect(started.requests[0].spec.spread == SpreadConstraint(key: .node))
    }
}
