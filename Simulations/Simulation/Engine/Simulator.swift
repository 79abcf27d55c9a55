import Foundation
import HeapModule
import Placement

/// The discrete-event simulation: a virtual clock and an event heap around the scheduler's own
/// scheduling pass (`SchedulingQueue` over `Placer` and `ClusterState`), which decides every
/// placement as the scheduler service does.
///
/// After the events of one instant are applied, one scheduling pass runs: requests in the queue's
/// order (priority with aging, fair share, arrival), set aside until capacity frees (or the nodes
/// change, or their tenant frees quota), at most `queueDepth` misses per pass. Victims of
/// preemption and work on failed or maintained nodes go back to the queue and start over.
public struct Simulator {
    public let input: SimulationInput
    public let poolCounts: [Int]

    /// `poolCounts` overrides the number of nodes of each pool (the capacity search).
    public init(input: SimulationInput, poolCounts: [Int]? = nil) {
        self.input = input
        self.poolCounts = poolCounts ?? input.poolCounts
    }

    /// Runs to the scenario's end. `progress` is called with the share of simulated time done.
    public func run(progress: ((Double) -> Void)? = nil) throws(InputFileError) -> SimulationResult {
        var run = try Run(input: input, poolCounts: poolCounts)
        return run.execute(progress: progress)
    }

    /// Runs to the scenario's end and, when it autoscales services, again with each of them fixed
    /// at its max_replicas on the same seed: the result's `services.fixedAtMax` says what
    /// autoscaling saved.
    public func runComparingFixedReplicas(progress: ((Double) -> Void)? = nil) throws(InputFileError) -> SimulationResult {
        var result = try run(progress: progress)
        guard input.scenario.services.contains(where: { $0.scaling != nil }), let scaled = result.services else { return result }
        var fixedInput = input
        fixedInput.scenario.services = input.scenario.services.map(\.fixedAtMax)
        let fixed = try Simulator(input: fixedInput, poolCounts: poolCounts).run()
        guard let fixedServices = fixed.services else { return result }
        result.services?.fixedAtMax = SimulationResult.ServiceTotals.Comparison(
            nodeHours: fixedServices.nodeHours, replicaHours: fixedServices.services.reduce(0) { $0 + $1.replicaHours }, targetsMet: fixed.totals.targetsMet,
            saving: fixedServices.nodeHours > 0 ? 1 - scaled.nodeHours / fixedServices.nodeHours : 0)
        return result
    }

    /// Runs to the scenario's end, keeping every decision of the scheduling passes.
    public func runLoggingDecisions(progress: ((Double) -> Void)? = nil) throws(InputFileError) -> (SimulationResult, DecisionLog) {
        var run = try Run(input: input, poolCounts: poolCounts)
        run.decisionLog = DecisionLog()
        let result = run.execute(progress: progress)
        return (result, run.decisionLog ?? DecisionLog())
    }
}

private struct Event: Comparable {
    enum Kind {
        case arrival(generator: Int)
        case traceArrival(index: Int)
        case departure(String, epoch: UInt32)
        case leaseEnd(String, epoch: UInt32)
        case deadline(String)
        case failure(node: Int, spec: Int)
        case repair(node: Int, spec: Int)
        case maintenanceStart(window: Int, occurrence: Int)
        case maintenanceEnd(window: Int, occurrence: Int)
        case sample
        /// The services' autoscalers evaluate and what they held is accounted.
        case scalingTick
    }

    var time: Double
    var order: UInt64
    var kind: Kind

    static func < (a: Event, b: Event) -> Bool { (a.time, a.order) < (b.time, b.order) }
    static func == (a: Event, b: Event) -> Bool { a.time == b.time && a.order == b.order }
}

/// A request the run knows about, from arrival to its end.
private struct Tracked {
    enum Phase { case pending, running }
    var request: PlacementRequest
    var duration: Double
    var phase: Phase
    /// Grows each time the request is stopped, so events of an earlier placement are ignored.
    var epoch: UInt32 = 0
    /// When it entered the queue this time.
    var queuedAt: Double
    var restarted = false
}

private struct Run {
    let scenario: Scenario
    let generators: [GeneratorSpec]
    let traceRequests: [TimedRequest]
    var cluster: ClusterState
    var placer: Placer
    var queue: SchedulingQueue
    let nodeClass: [NodeClass]
    let nodePool: [Int?]
    let idleWatts: [Double]
    var downCount: [Int]
    var events = Heap<Event>()
    var order: UInt64 = 0
    var tracked: [String: Tracked] = [:]
    var pending: Set<String> = []
    var sampleDue = false
    var decisionLog: DecisionLog?
    var generatorRNG: [SplitMix64]
    var generatorCount: [Int]
    var eventRNG: SplitMix64
    var totals = SimulationResult.Totals()
    var recorder: Recorder
    /// The services' autoscalers (nil for a service of fixed size) and what they held and served.
    var autoscalers: [Autoscaler?]
    var serviceUse: [ServiceUse]
    var lastTick: Double?
    /// What each pending request waited for at its last try.
    var lastWait: [String: WaitReason] = [:]
    var nodeSeconds = 0.0

    /// What one service held and served so far.
    struct ServiceUse {
        var replicaSeconds = 0.0
        var peak = 0
        var scalings = 0
        var overloadedSeconds = 0.0
        var calls = 0.0
        var unservedCalls = 0.0
        /// When replicas it asked for and does not hold yet were asked for.
        var scaledOutAt: Double?
    }

    /// How often the services' autoscalers evaluate: Kubernetes' HPA sync period.
    static let scalingInterval = 15.0

    init(input: SimulationInput, poolCounts: [Int]) throws(InputFileError) {
        scenario = input.scenario
        generators = scenario.generators
        traceRequests = input.traceRequests
        let (nodes, pools, idle) = input.nodes(poolCounts: poolCounts)
        do {
            cluster = try ClusterState(nodes: nodes, topology: scenario.topology, storagePools: scenario.storagePools)
        } catch {
            throw InputFileError(file: scenario.source, line: 0, field: "cluster", message: error.description)
        }
        let policy: PlacementPolicy
        do {
            policy = try PolicyRegistry.policy(spec: scenario.policy, scan: scenario.scan)
        } catch {
            throw InputFileError(file: scenario.source, line: 0, field: "policy", message: error.message)
        }
        placer = Placer(policy: policy, seed: scenario.seed)
        let totals = cluster.totals()
        var tenants: [String: TenantPolicy] = [:]
        for tenant in scenario.tenants { tenants[tenant.name] = TenantPolicy(weight: tenant.weight, quotas: tenant.quotas) }
        queue = SchedulingQueue(
            admission: AdmissionQueue(config: AdmissionConfig(tenants: tenants, clusterCapacity: Usage(resources: totals.capacity, gpuMilli: totals.gpuMilli))),
            queueDepth: scenario.queueDepth)
        nodeClass = nodes.map(\.nodeClass)
        nodePool = pools
        idleWatts = idle
        downCount = Array(repeating: 0, count: nodes.count)
        generatorRNG = generators.indices.map { SplitMix64(seed: input.scenario.seed &* 0x9E37_79B9 &+ UInt64($0) &+ 1) }
        generatorCount = Array(repeating: 0, count: generators.count)
        eventRNG = SplitMix64(seed: input.scenario.seed ^ 0xE7E7)
        recorder = Recorder(scenario: input.scenario, nodes: nodes, idleWatts: idle)
        autoscalers = scenario.services.map { service in service.scaling.map { Autoscaler(policy: $0, current: service.replicas, now: 0) } }
        serviceUse = Array(repeating: ServiceUse(), count: scenario.services.count)
    }

    mutating func push(_ time: Double, _ kind: Event.Kind) {
        order += 1
        events.insert(Event(time: time, order: order, kind: kind))
    }

    mutating func execute(progress: ((Double) -> Void)?) -> SimulationResult {
        let end = scenario.duration
        for (index, generator) in generators.enumerated() {
            if let first = generator.arrivals.nextArrival(after: generator.start, before: min(end, generator.end ?? end), using: &generatorRNG[index]) {
                push(first, .arrival(generator: index))
            }
        }
        if let first = traceRequests.first, first.request.submittedAt < end { push(first.request.submittedAt, .traceArrival(index: 0)) }
        for (specIndex, spec) in scenario.failures.enumerated() {
            for node in 0..<cluster.nodeCount where matches(node, nodeClass: spec.nodeClass, pool: spec.pool, site: nil) {
                push(exponential(mean: spec.mtbf), .failure(node: node, spec: specIndex))
            }
        }
        for (index, window) in scenario.maintenance.enumerated() { push(window.start, .maintenanceStart(window: index, occurrence: 0)) }
        for service in scenario.services { arrive(TimedRequest(request: service.request(at: 0), duration: .infinity), at: 0) }
        if !scenario.services.isEmpty { push(0, .scalingTick) }
        push(0, .sample)

        var processed = 0
        while let next = events.min, next.time <= end {
            let now = next.time
            sampleDue = false
            while let event = events.min, event.time == now {
                events.removeMin()
                totals.events += 1
                apply(event.kind, at: now)
            }
            schedule(at: now)
            // Samples see the instant after its scheduling pass.
            if sampleDue {
                recorder.sample(at: now, cluster: cluster, pending: pendingReasons(), downCount: downCount, services: serviceReplicas(at: now))
                if now + scenario.sampleInterval <= end { push(now + scenario.sampleInterval, .sample) }
            }
            processed += 1
            if processed % 4_096 == 0 { progress?(now / end) }
        }
        return finish()
    }

    // MARK: Events

    mutating func apply(_ kind: Event.Kind, at now: Double) {
        switch kind {
        case .arrival(let index):
            generatorCount[index] += 1
            let generator = generators[index]
            let timed = generator.request(id: "\(generator.name)-\(generatorCount[index])", at: now, tenants: scenario.tenants, using: &generatorRNG[index])
            arrive(timed, at: now)
            let end = min(scenario.duration, generator.end ?? scenario.duration)
            if let next = generator.arrivals.nextArrival(after: now, before: end, using: &generatorRNG[index]) { push(next, .arrival(generator: index)) }
        case .traceArrival(let index):
            arrive(traceRequests[index], at: now)
            if index + 1 < traceRequests.count, traceRequests[index + 1].request.submittedAt < scenario.duration {
                push(traceRequests[index + 1].request.submittedAt, .traceArrival(index: index + 1))
            }
        case .departure(let id, let epoch):
            guard let t = tracked[id], t.epoch == epoch, t.phase == .running else { return }
            finish(id)
            totals.completed += 1
        case .leaseEnd(let id, let epoch):
            guard let t = tracked[id], t.epoch == epoch, t.phase == .running else { return }
            finish(id)
            totals.leaseExpired += 1
        case .deadline:
            for rejection in queue.expire(now: now) {
                guard let t = tracked.removeValue(forKey: rejection.requestID) else { continue }
                pending.remove(rejection.requestID)
                let reason = lastWait.removeValue(forKey: rejection.requestID)
                totals.deadlineExpired += 1
                recorder.noteUnserved("expired", reason: reason)
                if t.request.maxLatencyMs != nil {
                    totals.latencyViolations += 1
                    recorder.noteUnserved("latency", reason: reason)
                }
            }
        case .failure(let node, let spec):
            totals.nodeFailures += 1
            takeDown(node, at: now, state: .lost) { $0.interruptedByFailure += 1 }
            push(now + scenario.failures[spec].repair, .repair(node: node, spec: spec))
        case .repair(let node, let spec):
            bringUp(node)
            push(now + exponential(mean: scenario.failures[spec].mtbf), .failure(node: node, spec: spec))
        case .maintenanceStart(let index, let occurrence):
            let window = scenario.maintenance[index]
            for node in 0..<cluster.nodeCount where matches(node, nodeClass: window.nodeClass, pool: window.pool, site: window.site) {
                takeDown(node, at: now, state: .cordoned) { $0.evictedForMaintenance += 1 }
            }
            push(now + window.length, .maintenanceEnd(window: index, occurrence: occurrence))
        case .maintenanceEnd(let index, let occurrence):
            let window = scenario.maintenance[index]
            for node in 0..<cluster.nodeCount where matches(node, nodeClass: window.nodeClass, pool: window.pool, site: window.site) { bringUp(node) }
            if let every = window.every { push(window.start + Double(occurrence + 1) * every, .maintenanceStart(window: index, occurrence: occurrence + 1)) }
        case .sample:
            sampleDue = true
        case .scalingTick:
            scaleServices(at: now)
            if now + Self.scalingInterval <= scenario.duration { push(now + Self.scalingInterval, .scalingTick) }
        }
    }

    // MARK: Services

    /// Accounts what the services held and served since the last tick, then lets each autoscaler
    /// decide and changes its service's replicas as the scheduler does (`SchedulingQueue.rescale`).
    mutating func scaleServices(at now: Double) {
        if let last = lastTick {
            let seconds = now - last
            nodeSeconds += Double((0..<cluster.nodeCount).count { cluster.requestCount(onNode: $0) > 0 }) * seconds
            for (index, service) in scenario.services.enumerated() {
                let held = cluster.allocations[service.requestID]?.replicas.count ?? 0
                let load = service.load(at: last)
                serviceUse[index].replicaSeconds += Double(held) * seconds
                serviceUse[index].peak = max(serviceUse[index].peak, held)
                serviceUse[index].calls += load * seconds
                let unserved = max(0, load - Double(held) * service.callsPerReplica)
                if unserved > 0 {
                    serviceUse[index].overloadedSeconds += seconds
                    serviceUse[index].unservedCalls += unserved * seconds
                }
            }
        }
        lastTick = now
        for (index, service) in scenario.services.enumerated() {
            guard var autoscaler = autoscalers[index], var t = tracked[service.requestID], t.phase == .running else { continue }
            let held = cluster.allocations[service.requestID]?.replicas.count ?? 0
            let decision = autoscaler.evaluate(current: t.request.replicas, reading: service.reading(at: now, running: held), now: now)
            autoscalers[index] = autoscaler
            guard decision.changes else { continue }
            serviceUse[index].scalings += 1
            t.request.replicas = decision.desired
            tracked[service.requestID] = t
            _ = queue.rescale(t.request, cluster: &cluster)
            let holds = cluster.allocations[service.requestID]?.replicas.count ?? 0
            if holds < decision.desired {
                serviceUse[index].scaledOutAt = serviceUse[index].scaledOutAt ?? now
            } else if let since = serviceUse[index].scaledOutAt {
                // Replicas it waited for and no longer wants: they waited this long unplaced.
                recorder.recordWait(now - since, priority: service.priority, tenant: service.tenant)
                serviceUse[index].scaledOutAt = nil
            }
        }
    }

    /// Replicas each service holds, and those its load needs at full CPU.
    func serviceReplicas(at now: Double) -> (held: [String: Int], needed: [String: Int])? {
        guard !scenario.services.isEmpty else { return nil }
        var held: [String: Int] = [:], needed: [String: Int] = [:]
        for service in scenario.services {
            held[service.name] = cluster.allocations[service.requestID]?.replicas.count ?? 0
            needed[service.name] = service.neededReplicas(at: now)
        }
        return (held, needed)
    }

    /// A service's new replicas placed: their wait since the scale-out counts as a request's.
    mutating func placedNewReplicas(of id: String, at now: Double) {
        guard let index = scenario.services.firstIndex(where: { $0.requestID == id }), let since = serviceUse[index].scaledOutAt,
              let t = tracked[id] else { return }
        recorder.recordWait(now - since, priority: t.request.priority, tenant: t.request.tenant)
        let holds = cluster.allocations[id]?.replicas.count ?? 0
        serviceUse[index].peak = max(serviceUse[index].peak, holds)
        serviceUse[index].scaledOutAt = holds < t.request.replicas ? since : nil
    }

    mutating func arrive(_ timed: TimedRequest, at now: Double) {
        totals.arrivals += 1
        recorder.arrivals += 1
        var request = timed.request
        request.submittedAt = now
        if request.maxLatencyMs != nil { totals.latencyBound += 1 }
        guard tracked[request.id] == nil else {
            totals.rejected += 1
            return
        }
        if let refusal = queue.submit(request) {
            totals.rejected += 1
            decisionLog?.rejected(request.id, reason: refusal.message, at: now)
            return
        }
        tracked[request.id] = Tracked(request: request, duration: timed.duration, phase: .pending, queuedAt: now)
        pending.insert(request.id)
        if let deadline = request.queueDeadline { push(max(now, deadline), .deadline(request.id)) }
    }

    /// Ends a request that held resources and frees them.
    mutating func finish(_ id: String) {
        cluster.release(id)
        queue.credit(id)
        queue.remove(id)
        tracked[id] = nil
        pending.remove(id)
    }

    /// Sends a request that lost its allocation back to the queue, to start over.
    mutating func restart(_ id: String, at now: Double) {
        guard var t = tracked[id] else { return }
        queue.credit(id)
        queue.remove(id)
        t.epoch &+= 1
        t.phase = .pending
        t.queuedAt = now
        t.restarted = true
        t.request.submittedAt = now
        t.request.wasPreempted = true
        t.request.queueDeadline = nil
        tracked[id] = t
        pending.insert(id)
        // Out of the queue and credited just above: nothing to refuse but a quota lowered below
        // it, which a scenario's fixed quotas never are.
        _ = queue.submit(t.request)
    }

    mutating func takeDown(_ node: Int, at now: Double, state: NodeState, count: (inout SimulationResult.Totals) -> Void) {
        downCount[node] += 1
        cluster.setState(state, ofNode: node)
        for id in cluster.requestIDs(onNode: node) {
            cluster.release(id)
            restart(id, at: now)
            count(&totals)
        }
    }

    mutating func bringUp(_ node: Int) {
        downCount[node] -= 1
        if downCount[node] == 0 { cluster.setState(.ready, ofNode: node) }
    }

    func matches(_ node: Int, nodeClass: NodeClass?, pool: String?, site: String?) -> Bool {
        if let nodeClass, self.nodeClass[node] != nodeClass { return false }
        if let pool, nodePool[node].map({ scenario.pools[$0].name }) != pool { return false }
        if let site, cluster.node(at: node).site != site { return false }
        return true
    }

    mutating func exponential(mean: Double) -> Double { -mean * log(1 - Double.random(in: 0..<1, using: &eventRNG)) }

    // MARK: Scheduling

    /// One scheduling pass at `now`: the scheduler service's own.
    mutating func schedule(at now: Double) {
        queue.startPass(at: now, on: cluster)
        while let decision = queue.nextDecision(at: now, cluster: &cluster, placer: &placer) {
            totals.decisions += 1
            decisionLog?.record(decision, at: now)
            switch decision {
            case .placed(let id, let placement, let first):
                for victim in placement.preempted {
                    totals.preemptions += 1
                    recorder.preemptions += 1
                    restart(victim.requestID, at: now)
                }
                guard var t = tracked[id] else { continue }
                if !first { placedNewReplicas(of: id, at: now) }
                if first {
                    pending.remove(id)
                    if t.restarted { totals.replaced += 1 } else { totals.placed += 1 }
                    recorder.placed += 1
                    let wait = now - t.queuedAt
                    recorder.recordWait(wait, priority: t.request.priority, tenant: t.request.tenant)
                    if t.request.maxLatencyMs != nil, wait > scenario.waitTargets[t.request.priority] ?? .infinity {
                        totals.latencyViolations += 1
                        recorder.noteUnserved("latency", reason: lastWait[id])
                    }
                    lastWait[id] = nil
                    push(now + t.duration, .departure(id, epoch: t.epoch))
                    if let lease = t.request.leaseSeconds, Double(lease) < t.duration { push(now + Double(lease), .leaseEnd(id, epoch: t.epoch)) }
                }
                t.phase = .running
                tracked[id] = t
            case .waiting(let id, let reason):
                if pending.contains(id) { lastWait[id] = reason }
            case .invalid(let id, _):
                totals.rejected += 1
                pending.remove(id)
                tracked[id] = nil
            }
        }
    }

    /// Pending requests by why they wait; a service waiting for new replicas counts as one.
    func pendingReasons() -> [String: Int] {
        var counts: [String: Int] = [:]
        for id in pending { counts[queue.waitReason(of: id)?.code ?? "queued", default: 0] += 1 }
        for (index, service) in scenario.services.enumerated() where serviceUse[index].scaledOutAt != nil && !pending.contains(service.requestID) {
            counts[queue.waitReason(of: service.requestID)?.code ?? "queued", default: 0] += 1
        }
        return counts
    }

    mutating func finish() -> SimulationResult {
        let end = scenario.duration
        for id in pending {
            guard let t = tracked[id] else { continue }
            recorder.recordUnfinishedWait(end - t.queuedAt, priority: t.request.priority, tenant: t.request.tenant, reason: lastWait[id])
            if t.request.maxLatencyMs != nil, end - t.queuedAt > scenario.waitTargets[t.request.priority] ?? 0 {
                totals.latencyViolations += 1
                recorder.noteUnserved("latency", reason: lastWait[id])
            }
        }
        // Replicas asked for and never placed waited to the end.
        for (index, service) in scenario.services.enumerated() {
            if let since = serviceUse[index].scaledOutAt {
                recorder.recordUnfinishedWait(end - since, priority: service.priority, tenant: service.tenant, reason: queue.waitReason(of: service.requestID))
            }
        }
        totals.pendingAtEnd = pending.count
        totals.runningAtEnd = tracked.count - pending.count
        totals.simulatedSeconds = end
        var nodes: [String: Int] = [:]
        for c in nodeClass { nodes[c.rawValue, default: 0] += 1 }
        var result = recorder.result(totals: totals, nodes: nodes)
        if !scenario.services.isEmpty {
            let services = serviceTotals(end: end)
            result.services = services
            for service in services.services where service.met == false {
                result.miss(
                    "unserved:\(service.name)",
                    "\(service.name): \(String(format: "%.2f", service.unservedShare * 100))% of its calls unserved, more than the \(String(format: "%.2f", scenario.unservedTarget * 100))% allowed")
            }
        }
        return result
    }

    func serviceTotals(end: Double) -> SimulationResult.ServiceTotals {
        let services = scenario.services.enumerated().map { index, service in
            let use = serviceUse[index]
            let unserved = use.calls > 0 ? use.unservedCalls / use.calls : 0
            return SimulationResult.ServiceTotals.Service(
                name: service.name, autoscaled: service.scaling != nil, minReplicas: service.scaling?.minReplicas ?? service.replicas,
                maxReplicas: service.scaling?.maxReplicas ?? service.replicas, peakReplicas: use.peak, meanReplicas: end > 0 ? use.replicaSeconds / end : 0,
                replicaHours: use.replicaSeconds / 3_600, scalings: use.scalings, overloadedSeconds: use.overloadedSeconds,
                unservedShare: unserved, met: service.scaling == nil ? nil : unserved <= scenario.unservedTarget)
        }
        return SimulationResult.ServiceTotals(services: services, nodeHours: nodeSeconds / 3_600)
    }
}
