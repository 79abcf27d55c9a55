import Placement

/// Collects the time series and the queue waits of a run.
struct Recorder {
    let scenario: Scenario
    let nodes: [Node]
    let idleWatts: [Double]
    var series: [SimulationResult.Sample] = []
    var waitsByPriority: [PriorityClass: [Double]] = [:]
    var waitsByTenant: [String: [Double]] = [:]
    /// Requests (and services' scale-outs) still waiting at the end past their class's target.
    var waitingPastTarget: [PriorityClass: Int] = [:]
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

    /// Counts a wait that had not ended at the end of the run.
    mutating func recordUnfinishedWait(_ wait: Double, priority: PriorityClass, tenant: String) {
        recordWait(wait, priority: priority, tenant: tenant)
        if let target = scenario.waitTargets[priority], wait > target { waitingPastTarget[priority, default: 0] += 1 }
    }

    func result(totals: SimulationResult.Totals, nodes: [String: Int]) -> SimulationResult {
        var totals = totals
        var missed: [String] = []
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
                    missed.append("\(priority.rawValue): p95 wait \(DurationText.text(stats.p95)) against a target of \(DurationText.text(target))")
                }
                if let late = waitingPastTarget[priority] {
                    missed.append("\(priority.rawValue): \(late) still waiting at the end, longer than the \(DurationText.text(target)) target")
                }
            }
            waits.append(stats)
        }
        for tenant in waitsByTenant.keys.sorted() { waits.append(Self.stats(group: "tenant", name: tenant, waitsByTenant[tenant]!.sorted())) }
        // Requests turned away or given up on were never served.
        if totals.rejected > 0 { missed.append("\(totals.rejected) rejected (larger than their tenant's quota, or invalid for the cluster)") }
        if totals.deadlineExpired > 0 { missed.append("\(totals.deadlineExpired) reached their queue deadline unplaced") }
        if totals.latencyViolations > 0 { missed.append("\(totals.latencyViolations) latency-bound requests not placed within their class's target") }
        totals.targetsMet = missed.isEmpty
        totals.energyKWh = energyKWh
        totals.greenEnergyKWh = greenEnergyKWh
        totals.cost = cost
        totals.meanCPUUtilization = cpuShares.isEmpty ? 0 : cpuShares.reduce(0, +) / Double(cpuShares.count)
        totals.meanGPUUtilization = gpuShares.isEmpty ? 0 : gpuShares.reduce(0, +) / Double(gpuShares.count)
        var result = SimulationResult(
            scenario: scenario.name, seed: scenario.seed, policy: scenario.policy, nodes: nodes, totals: totals, waits: waits, series: series)
        result.missed = missed
        return result
    }

    static func stats(group: String, name: String, _ sorted: [Double]) -> SimulationResult.WaitStats {
        SimulationResult.WaitStats(
            group: group, name: name, count: sorted.count, p50: quantile(sorted, 0.5), p95: quantile(sorted, 0.95), p99: quantile(sorted, 0.99),
            max: sorted.last ?? 0)
    }
}
