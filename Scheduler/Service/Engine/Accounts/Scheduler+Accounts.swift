import Placement

/// A metering sample as an agent sends it: the scheduler knows the request's tenant.
public struct AgentSample: Sendable, Hashable {
    public var sequence: UInt64
    public var workloadID: String
    public var start: Double
    public var end: Double
    public var amounts: UsageAmounts

    public init(sequence: UInt64, workloadID: String, start: Double, end: Double, amounts: UsageAmounts) {
        self.sequence = sequence
        self.workloadID = workloadID
        self.start = start
        self.end = end
        self.amounts = amounts
    }
}

/// Use and its price on one basis.
public struct Charge: Sendable, Hashable {
    public var usage = UsageAmounts()
    /// What each kind of use costs.
    public var charges = UsageAmounts()
    public var total: Double { charges.total }
}

/// One line of a bill: a request's use on one node class (API calls: no class).
public struct BillLine: Sendable, Hashable {
    public var request: String
    public var nodeClass: NodeClass?
    public var allocated = Charge()
    public var used = Charge()
}

/// What a tenant owes for a period, on both bases: what its requests held, from placement to
/// release (allocated), and what its agents measured them use (used).
public struct Bill: Sendable, Hashable {
    public var tenant: String
    public var allocated = Charge()
    public var used = Charge()
    /// By request and node class, in that order.
    public var lines: [BillLine] = []
    /// The same totals by node class (API calls: no class).
    public var nodeClasses: [(nodeClass: NodeClass?, allocated: Charge, used: Charge)] {
        var byClass: [NodeClass?: (Charge, Charge)] = [:]
        for line in lines {
            var sums = byClass[line.nodeClass] ?? (Charge(), Charge())
            sums.0.add(line.allocated)
            sums.1.add(line.used)
            byClass[line.nodeClass] = sums
        }
        return byClass.sorted { ($0.key?.rawValue ?? "") < ($1.key?.rawValue ?? "") }.map { ($0.key, $0.value.0, $0.value.1) }
    }
}

extension Charge {
    mutating func add(_ other: Charge) {
        usage = usage + other.usage
        charges = charges + other.charges
    }
}

extension Scheduler {
    // MARK: Metering

    /// Takes metering samples from a node's agent; a sample seen before is not counted again, one
    /// showing more than its allocation could have used is refused (kept in the audit log, an
    /// alert raised, never counted). Returns the sequence numbers of the batch that the scheduler
    /// now holds.
    public func recordAgentSamples(_ samples: [AgentSample], node: String) throws(ServiceError) -> [UInt64] {
        var resolved: [MeteringSample] = []
        var requests: [String: PlacementRequest] = [:]
        for (i, sample) in samples.enumerated() {
            guard let (requestID, _) = Workload.parse(sample.workloadID) else {
                throw ServiceError.invalid("samples[\(i)].workloadId", "must be REQUEST/REPLICA, got '\(sample.workloadID)'")
            }
            if requests[requestID] == nil {
                guard let request = try placementRequest(requestID) else {
                    throw ServiceError(.notFound, "no request \(requestID) for sample \(sample.sequence)", field: "samples[\(i)].workloadId")
                }
                requests[requestID] = request
            }
            resolved.append(MeteringSample(
                node: node, sequence: sample.sequence, requestID: requestID, tenant: requests[requestID]!.tenant, start: sample.start, end: sample.end,
                amounts: sample.amounts))
        }
        _ = try record(resolved, of: requests)
        return samples.map(\.sequence)
    }

    /// Records metering samples an operator sends for a node; samples seen before are ignored, and
    /// samples of a known request are held to what it could use, as an agent's. Returns how many
    /// were new.
    public func recordSamples(_ samples: [MeteringSample], by caller: Principal) throws(ServiceError) -> Int {
        try caller.require(.manageNodes)
        var requests: [String: PlacementRequest] = [:]
        for id in Set(samples.map(\.requestID)) { requests[id] = try placementRequest(id) }
        return try record(samples, of: requests)
    }

    /// An open or ended request's placement request, from memory or the store.
    private func placementRequest(_ id: String) throws(ServiceError) -> PlacementRequest? {
        if let open = state.withLock({ $0.open[id]?.spec }) { return open }
        return try store.request(id: id)?.spec
    }

    /// Records samples in the ledger and the store, refusing those above what the allocation of
    /// their request (in `requests`) could use; returns how many were new.
    private func record(_ samples: [MeteringSample], of requests: [String: PlacementRequest]) throws(ServiceError) -> Int {
        let now = now()
        do throws(MeteringError) { try MeteringIntake.validate(samples) } catch { throw ServiceError.invalid("samples." + error.field, error.message) }
        let (fresh, refused) = try change { (s: borrowing EngineState) throws(ServiceError) in
            var intake = s.intake
            var plausible: [MeteringSample] = []
            var refused: [(sample: MeteringSample, reason: String)] = []
            for sample in samples where !intake.contains(node: sample.node, sequence: sample.sequence) {
                if let request = requests[sample.requestID], let reason = sample.excess(over: UsageAmounts.allocatedHour(of: request)) {
                    refused.append((sample, reason))
                    intake.refuse(sample)
                } else {
                    plausible.append(sample)
                }
            }
            let fresh: [MeteringSample]
            do throws(MeteringError) { fresh = try intake.take(plausible) } catch { throw ServiceError.invalid("samples." + error.field, error.message) }
            var batch = StoreBatch()
            batch.meteringSamples = fresh
            batch.audit = refused.map { sample, reason in
                AuditEntry(
                    at: now, actor: "node/\(sample.node)", action: "metering.refuse", target: "request/\(sample.requestID)",
                    detail: "sample \(sample.sequence) of [\(sample.start), \(sample.end)) refused: \(reason)")
            }
            let idle = Self.idleObservations(fresh, in: s, threshold: config.idle.cpuShare, into: &batch)
            let updated = intake
            return (batch, { s in
                s.intake = updated
                idle.apply(to: &s)
                for (sample, reason) in refused {
                    s.fleet.refusedSamples[sample.node, default: RefusedSamples()].count += 1
                    s.fleet.refusedSamples[sample.node]!.last = "request \(sample.requestID): \(reason)"
                }
                return (fresh.count, refused)
            })
        }
        for (sample, reason) in refused {
            logger.warning("metering sample refused", metadata: ["node": "\(sample.node)", "request": "\(sample.requestID)", "sequence": "\(sample.sequence)", "reason": "\(reason)"])
        }
        return fresh
    }

    /// Counts one call to the API by a tenant's user; counts are metered (`apiCalls`, under node
    /// and request `api`) every `apiMeteringInterval` seconds.
    public func countAPICall(tenant: String) {
        apiCalls.withLock { $0[tenant, default: 0] += 1 }
    }

    /// The node and request name under which API calls are metered.
    static let apiMeteringName = "api"
    static let apiSequenceSetting = "apiMeteringSequence"

    /// Turns the API calls counted since the last flush into one sample per tenant over that
    /// interval. Runs in the applier's pass; a crash loses at most one interval of counts.
    func flushAPICalls(at now: Double, in s: inout EngineState, into batch: inout StoreBatch) {
        guard let since = s.apiCallsFlushedAt else {
            s.apiCallsFlushedAt = now
            return
        }
        guard now - since >= config.apiMeteringInterval else { return }
        s.apiCallsFlushedAt = now
        let counts = apiCalls.withLock { counts in
            defer { counts.removeAll() }
            return counts
        }
        guard !counts.isEmpty else { return }
        var sequence = UInt64(s.settings[Self.apiSequenceSetting] ?? "0") ?? 0
        let samples = counts.sorted { $0.key < $1.key }.map { tenant, calls in
            sequence += 1
            return MeteringSample(node: Self.apiMeteringName, sequence: sequence, requestID: Self.apiMeteringName, tenant: tenant, start: since, end: now, amounts: UsageAmounts(apiCalls: Double(calls)))
        }
        do throws(MeteringError) {
            _ = try s.intake.take(samples)
        } catch {
            logger.error("cannot meter API calls: \(error)")
            return
        }
        s.settings[Self.apiSequenceSetting] = String(sequence)
        batch.settings[Self.apiSequenceSetting] = String(sequence)
        batch.meteringSamples += samples
    }

    // MARK: Usage and bills

    /// Use by request, tenant, node and time range, on one basis. A tenant caller sees its own.
    public func usage(_ query: UsageQuery, basis: MeteringBasis = .used, by caller: Principal) throws(ServiceError) -> UsageAmounts {
        var query = query
        query.tenant = try caller.scope(query.tenant, for: .readUsage)
        try requireTenant(query.tenant)
        return try store.usage(query, at: now()).filter { $0.key.basis == basis }.reduce(UsageAmounts()) { $0 + $1.amounts }
    }

    /// Each tenant's bill over `[from, to)` (a tenant caller: its own), priced with the
    /// configured price list by the class of the node each use was on. Read from the store,
    /// never under the engine's lock.
    public func bills(from: Double, to: Double, tenant: String?, by caller: Principal) throws(ServiceError) -> [Bill] {
        let scope = try caller.scope(tenant, for: .readUsage)
        try requireTenant(scope)
        let use = try store.usage(UsageQuery(tenant: scope, from: from, to: to), at: now())
        let (tenants, classes) = state.withLock { s in
            let nodes = Set(use.map(\.key.node))
            return (scope.map { [$0] } ?? s.directory.tenants.keys.sorted(), Dictionary(uniqueKeysWithValues: nodes.compactMap { node in s.fleet.nodes[node].map { (node, $0.node.nodeClass) } }))
        }
        struct LineKey: Hashable { var tenant: String; var request: String; var nodeClass: NodeClass? }
        var sums: [LineKey: (allocated: UsageAmounts, used: UsageAmounts)] = [:]
        for line in use {
            let key = LineKey(tenant: line.key.tenant, request: line.key.requestID, nodeClass: classes[line.key.node])
            var sum = sums[key] ?? (UsageAmounts(), UsageAmounts())
            switch line.key.basis {
            case .allocated: sum.allocated = sum.allocated + line.amounts
            case .used: sum.used = sum.used + line.amounts
            }
            sums[key] = sum
        }
        var bills = Dictionary(uniqueKeysWithValues: tenants.map { ($0, Bill(tenant: $0)) })
        for (key, sum) in sums.sorted(by: { ($0.key.request, $0.key.nodeClass?.rawValue ?? "") < ($1.key.request, $1.key.nodeClass?.rawValue ?? "") }) {
            guard bills[key.tenant] != nil else { continue }
            let unit = config.prices.prices(for: key.nodeClass)
            let line = BillLine(
                request: key.request, nodeClass: key.nodeClass,
                allocated: Charge(usage: sum.allocated, charges: unit.charges(for: sum.allocated)),
                used: Charge(usage: sum.used, charges: unit.charges(for: sum.used)))
            bills[key.tenant]!.lines.append(line)
            bills[key.tenant]!.allocated.add(line.allocated)
            bills[key.tenant]!.used.add(line.used)
        }
        return tenants.map { bills[$0]! }
    }

    /// Drops the ledger's samples older than the retention, once an hour; their rollups stay.
    /// Runs in the applier's pass.
    func pruneLedger(at now: Double, in s: inout EngineState, into batch: inout StoreBatch) {
        guard now - (s.ledgerPrunedAt ?? -.infinity) >= 3600 else { return }
        s.ledgerPrunedAt = now
        batch.pruneSamplesBefore = now - config.meteringRetentionDays * 86_400
    }
}
