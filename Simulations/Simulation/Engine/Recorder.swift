import Placement

/// Collects the time series and the queue waits of a run.
struct Recorder {
    let scenario: Scenario
    let nodes: [Node]
    let idleWatts: [Double]
    var series: [SimulationResult.Sample] = []
    var waitsByPriority: [PriorityClass: [Double]] = [:]
    var waitsByTenant: [String: [Double]] = [:]
    /// Requests not served in time, by kind (`expired`, `latency`, `waiting:PRIORITY`: still
    /// waiting at the end past the class's target) and by what they last waited for.
    var unserved: [String: [UnservedCause: Int]] = [:]
    var intervalWaits: [PriorityClass: [Double]] = [:]
    var arrivals = 0
    var placed = 0
    var preemptions = 0
    var energyKWh = 0.0
    var greenEnergyKWh = 0.0
    var cost = 0.0
    var lastSample: Double?
    var lastPowerKW = 0.0
    var lastGreenKW = 0.0
    var lastCostPerHour = 0.0
    /// Allocated share of all ready CPU and GPU capacity, per sample.
    var cpuShares: [Double] = []
    var gpuShares: [Double] = []

    init(scenario: Scenario, nodes: [Node], idleWatts: [Double]) {
        self.scenario = scenario
        self.nodes = nodes
        self.idleWatts = idleWatts
    }

    mutating func recordWait(_ wait: Double, priority: PriorityClass, tenant: String) {
        waitsByPriority[priority, default: []].append(wait)
        waitsByTenant[tenant, default: []].append(wait)
        intervalWaits[priority, default: []].append(wait)
    }

    /// Measures the cluster now. Energy and cost accrue at the rates measured by the previous sample.
    mutating func sample(at now: Double, cluster: ClusterState, pending: [String: Int], downCount: [Int], services: (held: [String: Int], needed: [String: Int])?) {
        if let last = lastSample {
            let hours = (now - last) / 3_600
            energyKWh += lastPowerKW * hours
            greenEnergyKWh += lastGreenKW * hours
            cost += lastCostPerHour * hours
        }
        lastSample = now
        var capacity: [NodeClass: (cpu: Int64, memory: Int64, gpu: Int64)] = [:]
        var used: [NodeClass: (cpu: Int64, memory: Int64, gpu: Int64)] = [:]
        var freeGPU: Int64 = 0, fragmentedGPU: Int64 = 0
        var totalCPU: Int64 = 0, totalMemory: Int64 = 0, strandedCPU: Int64 = 0, strandedMemory: Int64 = 0
        var watts = 0.0, greenWatts = 0.0, costPerHour = 0.0, down = 0
        for index in nodes.indices {
            guard downCount[index] == 0 else {
                down += 1
                continue
            }
            let node = nodes[index]
            let free = cluster.freeResources(ofNode: index)
            let gpus = cluster.freeGPUMilli(ofNode: index)
            let gpuFree = gpus.reduce(Int64(0)) { $0 + Int64($1) }
            let gpuUsed = Int64(gpus.count) * Int64(GPUDevice.wholeMilli) - gpuFree
            let usedResources = node.capacity - free
            capacity[node.nodeClass, default: (0, 0, 0)].cpu += node.capacity.cpuMillis
            capacity[node.nodeClass, default: (0, 0, 0)].memory += node.capacity.memoryMiB
            capacity[node.nodeClass, default: (0, 0, 0)].gpu += Int64(gpus.count) * Int64(GPUDevice.wholeMilli)
            used[node.nodeClass, default: (0, 0, 0)].cpu += usedResources.cpuMillis
            used[node.nodeClass, default: (0, 0, 0)].memory += usedResources.memoryMiB
            used[node.nodeClass, default: (0, 0, 0)].gpu += gpuUsed
            freeGPU += gpuFree
            for share in gpus where share > 0 && share < GPUDevice.wholeMilli { fragmentedGPU += Int64(share) }
            totalCPU += node.capacity.cpuMillis
            totalMemory += node.capacity.memoryMiB
            let memoryFull = free.memoryMiB * 20 < node.capacity.memoryMiB
            let gpusFull = !gpus.isEmpty && gpus.allSatisfy { $0 == 0 }
            if memoryFull || gpusFull { strandedCPU += free.cpuMillis }
            if free.cpuMillis * 20 < node.capacity.cpuMillis { strandedMemory += free.memoryMiB }
            let nodeWatts = idleWatts[index] + Double(usedResources.cpuMillis) / 1_000 * node.energy.wattsPerBusyCore
            watts += nodeWatts
            greenWatts += nodeWatts * node.energy.greenShare
            costPerHour += node.price.hourlyCost(of: usedResources, gpuMilli: gpuUsed)
        }
        lastPowerKW = watts / 1_000
        lastGreenKW = greenWatts / 1_000
        lastCostPerHour = costPerHour
        let cpuUsed = used.values.reduce(Int64(0)) { $0 + $1.cpu }, gpuUsed = used.values.reduce(Int64(0)) { $0 + $1.gpu }
        let gpuTotal = capacity.values.reduce(Int64(0)) { $0 + $1.gpu }
        if totalCPU > 0 { cpuShares.append(Double(cpuUsed) / Double(totalCPU)) }
        if gpuTotal > 0 { gpuShares.append(Double(gpuUsed) / Double(gpuTotal)) }
        var utilization: [String: Double] = [:]
        for (nodeClass, c) in capacity {
            let u = used[nodeClass]!
            if c.cpu > 0 { utilization["\(nodeClass.rawValue).cpu"] = Double(u.cpu) / Double(c.cpu) }
            if c.memory > 0 { utilization["\(nodeClass.rawValue).memory"] = Double(u.memory) / Double(c.memory) }
            if c.gpu > 0 { utilization["\(nodeClass.rawValue).gpu"] = Double(u.gpu) / Double(c.gpu) }
        }
        var waitP95: [String: Double] = [:]
        for (priority, waits) in intervalWaits where !waits.isEmpty { waitP95[priority.rawValue] = quantile(waits.sorted(), 0.95) }
        series.append(
            SimulationResult.Sample(
                time: now, utilization: utilization, pending: pending.values.reduce(0, +), pendingByReason: pending, waitP95: waitP95,
                arrivals: arrivals, placed: placed, preemptions: preemptions,
                gpuFragmentation: freeGPU > 0 ? Double(fragmentedGPU) / Double(freeGPU) : 0,
                strandedCPU: totalCPU > 0 ? Double(strandedCPU) / Double(totalCPU) : 0,
                strandedMemory: totalMemory > 0 ? Double(strandedMemory) / Double(totalMemory) : 0,
                powerKW: lastPowerKW, energyKWh: energyKWh, cost: cost, nodesDown: down, replicas: services?.held, neededReplicas: services?.needed))
        intervalWaits.removeAll(keepingCapacity: true)
        arrivals = 0
        placed = 0
        preemptions = 0
    }

    /// Counts a wait that had not ended at the end of the run; `reason` is what it waited for.
    mutating func recordUnfinishedWait(_ wait: Double, priority: PriorityClass, tenant: String, reason: WaitReason?) {
        recordWait(wait, priority: priority, tenant: tenant)
        if let target = scenario.waitTargets[priority], wait > target { noteUnserved("waiting:\(priority.rawValue)", reason: reason) }
    }

    /// Counts a request not served in time, by what it last waited for.
    mutating func noteUnserved(_ kind: String, reason: WaitReason?) {
        unserved[kind, default: [:]][UnservedCause(reason), default: 0] += 1
    }

    func result(totals: SimulationResult.Totals, nodes: [String: Int]) -> SimulationResult {
        var totals = totals
        var misses: [(kind: String, count: Int, text: String)] = []
        var waits: [SimulationResult.WaitStats] = []
        for priority in PriorityClass.allCases {
            let target = scenario.waitTargets[priority]
            let sorted = (waitsByPriority[priority] ?? []).sorted()
            guard !sorted.isEmpty || target != nil else { continue }
            var stats = Self.stats(group: "priority", name: priority.rawValue, sorted)
            stats.target = target
            if let target {
                stats.met = stats.p95 <= target
                if stats.met == false {
                    // Counted in seconds: a size that makes a missed p95 longer misses it more.
                    var said = "p95 wait \(DurationText.text(stats.p95)) against a target of \(DurationText.text(target))"
                    if DurationText.text(stats.p95) == DurationText.text(target) { said = "p95 wait \(Int(stats.p95.rounded(.up))) s against a target of \(Int(target)) s" }
                    misses.append(("wait:\(priority.rawValue)", Int(min(stats.p95, 1e15).rounded(.up)), "\(priority.rawValue): " + said))
                }
                for (cause, late) in (unserved["waiting:\(priority.rawValue)"] ?? [:]).sorted(by: { $0.key.rawValue < $1.key.rawValue }) {
                    misses.append((
                        "waiting:\(priority.rawValue):\(cause.rawValue)", late,
                        "\(priority.rawValue): \(late) still waiting at the end, longer than the \(DurationText.text(target)) target" + cause.text))
                }
            }
            waits.append(stats)
        }
        for tenant in waitsByTenant.keys.sorted() { waits.append(Self.stats(group: "tenant", name: tenant, waitsByTenant[tenant]!.sorted())) }
        // Requests turned away or given up on were never served.
        if totals.rejected > 0 { misses.append(("rejected", totals.rejected, "\(totals.rejected) rejected (larger than their tenant's quota, or invalid for the cluster)")) }
        for (kind, words) in [("expired", "reached their queue deadline unplaced"), ("latency", "latency-bound requests not placed within their class's target")] {
            for (cause, count) in (unserved[kind] ?? [:]).sorted(by: { $0.key.rawValue < $1.key.rawValue }) {
                misses.append(("\(kind):\(cause.rawValue)", count, "\(count) \(words)" + cause.text))
            }
        }
        totals.targetsMet = true
        totals.energyKWh = energyKWh
        totals.greenEnergyKWh = greenEnergyKWh
        totals.cost = cost
        totals.meanCPUUtilization = cpuShares.isEmpty ? 0 : cpuShares.reduce(0, +) / Double(cpuShares.count)
        totals.meanGPUUtilization = gpuShares.isEmpty ? 0 : gpuShares.reduce(0, +) / Double(gpuShares.count)
        var result = SimulationResult(
            scenario: scenario.name, seed: scenario.seed, policy: scenario.policy, nodes: nodes, totals: totals, waits: waits, series: series)
        for miss in misses { result.miss(miss.kind, count: miss.count, miss.text) }
        return result
    }

    static func stats(group: String, name: String, _ sorted: [Double]) -> SimulationResult.WaitStats {
        SimulationResult.WaitStats(
            group: group, name: name, count: sorted.count, p50: quantile(sorted, 0.5), p95: quantile(sorted, 0.95), p99: quantile(sorted, 0.99),
            max: sorted.last ?? 0)
    }
}

/// What a request not served in time last waited for: the cluster's room, a node that could take
/// it at all (its nodes down, or none of its kind), or its tenant's quota. Only the first is
/// helped by more nodes of the same pools.
enum UnservedCause: String, Sendable, Hashable, Codable {
    case capacity, nodes, quota

    init(_ reason: WaitReason?) {
        switch reason {
        case .nodes: self = .nodes
        case .quota: self = .quota
        case .capacity, .conflict, .backoff, nil: self = .capacity
        }
    }

    var text: String {
        switch self {
        case .capacity: " (short of capacity)"
        case .nodes: " (no node could take them: their nodes down, or none of their kind)"
        case .quota: " (over their tenant's quota)"
        }
    }
}
