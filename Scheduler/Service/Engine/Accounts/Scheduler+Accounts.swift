import Logging
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
    /// The amount due: each part of the period on the basis of the list in effect over it.
    public var due = 0.0
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

extension Bill {
    /// Adds lines priced with one list, whose basis says what is due.
    mutating func add(_ priced: [BillLine], basis: MeteringBasis) {
        struct LineKey: Hashable { var request: String; var nodeClass: NodeClass? }
        var positions = Dictionary(uniqueKeysWithValues: lines.enumerated().map { (LineKey(request: $1.request, nodeClass: $1.nodeClass), $0) })
        for line in priced {
            if let index = positions[LineKey(request: line.request, nodeClass: line.nodeClass)] {
                lines[index].allocated.add(line.allocated)
                lines[index].used.add(line.used)
            } else {
                positions[LineKey(request: line.request, nodeClass: line.nodeClass)] = lines.count
                lines.append(line)
            }
            allocated.add(line.allocated)
            used.add(line.used)
            due += basis == .allocated ? line.allocated.total : line.used.total
        }
        lines.sort { ($0.request, $0.nodeClass?.rawValue ?? "") < ($1.request, $1.nodeClass?.rawValue ?? "") }
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
                Self.noteScalingSamples(fresh, in: &s)
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
        if let id = query.requestID, id != Self.apiMeteringName {
            // A request that does not exist, or is another tenant's, is not found: not zeros.
            var tenant = state.withLock { $0.open[id]?.tenant }
            if tenant == nil { tenant = try store.request(id: id)?.tenant }
            guard let tenant, query.tenant == nil || query.tenant == tenant else { throw ServiceError.notFound("request \(id)") }
        }
        return try store.usage(query, at: now()).filter { $0.key.basis == basis }.reduce(UsageAmounts()) { $0 + $1.amounts }
    }

    /// Each tenant's bill over `[from, to)` (a tenant caller: its own), priced with the lists in
    /// effect over it, by the class of the node each use was on. Read from the store, never under
    /// the engine's lock.
    public func bills(from: Double, to: Double, tenant: String?, by caller: Principal) throws(ServiceError) -> [Bill] {
        let scope = try caller.scope(tenant, for: .readUsage)
        try requireTenant(scope)
        let now = now()
        let (tenants, history) = state.withLock { s in (scope.map { [$0] } ?? s.directory.tenants.keys.sorted(), s.prices) }
        var bills = Dictionary(uniqueKeysWithValues: tenants.map { ($0, Bill(tenant: $0)) })
        // Each part of the range with the list in effect over it (before the first: nothing due).
        for period in history.periods(from: from, to: to) {
            let use = try store.usage(UsageQuery(tenant: scope, from: period.from, to: period.to), at: now)
            let classes = state.withLock { s in
                Dictionary(uniqueKeysWithValues: Set(use.map(\.key.node)).compactMap { node in s.fleet.nodes[node].map { (node, $0.node.nodeClass) } })
            }
            for (tenant, lines) in Self.priced(use, classes: classes, with: period.list) where bills[tenant] != nil {
                bills[tenant]!.add(lines, basis: period.list.basis)
            }
        }
        return tenants.map { bills[$0]! }
    }

    /// Use priced with one list, by tenant, in lines by request and node class.
    static func priced(_ use: [UsageLine], classes: [String: NodeClass], with list: PriceList) -> [String: [BillLine]] {
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
        var lines: [String: [BillLine]] = [:]
        // In order, so that the totals are summed the same way every time.
        for (key, sum) in sums.sorted(by: { ($0.key.request, $0.key.nodeClass?.rawValue ?? "") < ($1.key.request, $1.key.nodeClass?.rawValue ?? "") }) {
            let unit = list.prices(for: key.nodeClass)
            lines[key.tenant, default: []].append(BillLine(
                request: key.request, nodeClass: key.nodeClass,
                allocated: Charge(usage: sum.allocated, charges: unit.charges(for: sum.allocated)),
                used: Charge(usage: sum.used, charges: unit.charges(for: sum.used))))
        }
        return lines
    }

    // MARK: Price lists

    /// Who published the lists that came from the configuration file.
    static let configPublisher = "config"

    /// The list in effect now.
    public func currentPrices() -> PriceList {
        let now = now()
        return state.withLock { $0.prices.list(at: now) }
    }

    /// What holding one of the entry for an hour costs under the prices in effect now: what the
    /// allocated basis charges, and the most the used basis can.
    public func hourlyPrice(of entry: CatalogEntry) -> (amount: Double, currency: String) {
        let list = currentPrices()
        let hour = UsageAmounts.allocatedHour(of: entry.resources, gpuMilli: entry.gpu.map { Int64($0.count) * Int64($0.milliPerGPU) } ?? 0)
        return (list.prices(for: entry.nodeClass).charges(for: hour).total, list.currency)
    }

    /// The price lists over time, and the one in effect now (nil before the first).
    public func prices(by caller: Principal) throws(ServiceError) -> (history: PriceHistory, current: PriceVersion?) {
        // Every caller who may read its own bills may read the prices they are made with.
        try caller.require(.readUsage, tenant: caller.tenant)
        let now = now()
        let history = state.withLock { $0.prices }
        return (history, history.versions.last { $0.effectiveFrom <= now })
    }

    /// Publishes a price list, in effect from `effectiveFrom` (default now) until the next one:
    /// never earlier than now, in the same currency.
    public func publishPrices(_ list: PriceList, effectiveFrom: Double?, by caller: Principal) throws(ServiceError) -> PriceVersion {
        try caller.require(.manageQuotas)
        let now = now()
        let version = PriceVersion(effectiveFrom: effectiveFrom ?? now, list: list, publishedAt: now, publishedBy: caller.user)
        return try change { (s: borrowing EngineState) throws(ServiceError) in
            if let refusal = s.prices.refusal(of: version, at: now) { throw refusal }
            var batch = StoreBatch()
            batch.priceVersions = [version]
            batch.audit = [AuditEntry(at: now, actor: caller.user, action: "prices.publish", target: "prices/\(version.effectiveFrom)", detail: "in \(list.currency), due on the \(list.basis.rawValue) basis")]
            return (batch, { s in
                s.prices.publish(version)
                return version
            })
        }
    }

    /// Publishes the configuration file's list at a start when the file changed it since it was
    /// last published from there: from the beginning when there is no list, else from now (never
    /// retroactive). A list published through the API since stays in effect until then; one
    /// published for later still takes effect when it said.
    static func declarePrices(_ declared: PriceList?, at now: Double, in snapshot: inout StoreSnapshot, into batch: inout StoreBatch, logger: Logger) throws(ServiceError) {
        let history = PriceHistory(snapshot.priceVersions)
        guard let declared, history.versions.last(where: { $0.publishedBy == configPublisher })?.list != declared else { return }
        let version = PriceVersion(effectiveFrom: history.versions.isEmpty ? 0 : now, list: declared, publishedAt: now, publishedBy: configPublisher)
        // The first list is in effect from the beginning: no bill was seen before it.
        if !history.versions.isEmpty, let refusal = history.refusal(of: version, at: now) {
            throw ServiceError(refusal.code, refusal.message, field: "prices." + (refusal.field ?? ""))
        }
        snapshot.priceVersions.append(version)
        batch.priceVersions.append(version)
        logger.info("the configuration file's prices published", metadata: ["effectiveFrom": "\(version.effectiveFrom)", "currency": "\(declared.currency)"])
        batch.audit.append(AuditEntry(at: now, actor: "config", action: "prices.publish", target: "prices/\(version.effectiveFrom)", detail: "from the configuration file"))
    }

    /// Drops the ledger's samples older than the retention, once an hour; their rollups stay.
    /// Runs in the applier's pass.
    func pruneLedger(at now: Double, in s: inout EngineState, into batch: inout StoreBatch) {
        guard now - (s.ledgerPrunedAt ?? -.infinity) >= 3600 else { return }
        s.ledgerPrunedAt = now
        batch.pruneSamplesBefore = now - config.meteringRetentionDays * 86_400
    }

    // MARK: Budgets

    /// Sets a tenant's monthly budget (nil: none).
    public func setBudget(tenant: String, monthly: Double?, by caller: Principal) throws(ServiceError) -> Tenant {
        try caller.require(.manageQuotas)
        let currency = currentPrices().currency
        if let monthly, !(monthly.isFinite && monthly >= 0 && monthly <= PriceList.maxAmount) {
            throw ServiceError.invalid("monthly", "must be an amount between 0 and \(Int(PriceList.maxAmount)) \(currency), got \(monthly)")
        }
        let now = now()
        return try change { (s: borrowing EngineState) throws(ServiceError) in
            guard var tenant = s.directory.tenants[tenant] else { throw ServiceError.notFound("tenant \(tenant)") }
            tenant.monthlyBudget = monthly
            var batch = StoreBatch()
            batch.tenants = [tenant]
            let detail = monthly.map { "\($0) \(currency) a month" } ?? "none"
            batch.audit = [AuditEntry(at: now, actor: caller.user, action: "budget.set", target: "tenant/\(tenant.id)", detail: detail)]
            return (batch, { [tenant] s in
                s.directory.tenants[tenant.id] = tenant
                return tenant
            })
        }
    }

    /// Where a tenant stands against its budget in the calendar month of now (UTC): billed so
    /// far, and by the month's end at its current rate: on the allocated basis what it holds now
    /// (its last minute), on the used basis what it used in its last hour. A tenant user sees its
    /// own.
    public func budget(tenant: String, by caller: Principal) throws(ServiceError) -> BudgetStatus {
        _ = try caller.scope(tenant, for: .readUsage)
        guard let budget = state.withLock({ $0.directory.tenants[tenant] }).map({ $0.monthlyBudget }) else { throw ServiceError.notFound("tenant \(tenant)") }
        let now = now()
        let month = CalendarMonth.containing(now)
        let due = try bills(from: month.from, to: now, tenant: tenant, by: caller).first?.due ?? 0
        // What is held costs the same every minute; what is used arrives in samples a minute or
        // more late, so an hour says more.
        let window = currentPrices().basis == .allocated ? 60.0 : 3_600
        let recent = try bills(from: max(month.from, now - window), to: now, tenant: tenant, by: caller).first?.due ?? 0
        let rate = recent / max(1, min(window, now - month.from))
        return BudgetStatus(tenant: tenant, month: month.name, budget: budget, due: due, forecast: due + rate * (month.to - now))
    }

    /// The budget alerts: tenants at 80% and 100% of their month's budget, or on course to pass it.
    func budgetAlerts() -> [Alert] {
        let budgeted = state.withLock { s in s.directory.tenants.values.filter { $0.monthlyBudget != nil }.map(\.id).sorted() }
        let system = Principal(user: "scheduler", role: .admin)
        let currency = currentPrices().currency
        return budgeted.flatMap { tenant -> [Alert] in
            guard let status = try? budget(tenant: tenant, by: system) else { return [] }
            return status.alerts(currency: currency).map { Alert(kind: $0.kind, target: "tenant/\(tenant)/budget", message: $0.message, tenant: tenant) }
        }
    }

    /// Tells a budgeted tenant's users of each budget alert once per kind and month (the
    /// placement loop calls it every minute: budgets are read from the ledger).
    public func noticeBudgetAlerts() {
        let alerts = budgetAlerts()
        let spent = Set(alerts.filter { $0.kind == "budget_exceeded" }.compactMap(\.tenant))
        state.withLock { $0.spentBudgets = spent }
        guard !alerts.isEmpty else { return }
        let now = now()
        let month = CalendarMonth.containing(now).name
        do {
            try change { (s: borrowing EngineState) throws(ServiceError) in
                var batch = StoreBatch()
                for alert in alerts {
                    guard let tenant = alert.tenant else { continue }
                    let key = "notice.\(alert.kind).\(tenant).\(month)"
                    guard s.settings[key] == nil else { continue }
                    batch.settings[key] = String(now)
                    batch.notices.append(Notice(
                        kind: alert.kind.replacingOccurrences(of: "_", with: "."), tenant: tenant, subject: alert.target, message: alert.message, at: now,
                        recipients: s.directory.users(of: tenant)))
                }
                let noted = batch.settings
                return (batch, { s in s.settings.merge(noted) { $1 } })
            }
        } catch {
            logger.error("cannot record budget notices: \(error)")
        }
    }

    // MARK: Efficiency

    /// Used over allocated, per tenant and per request, lowest first: what idle reclamation and the
    /// review of what to shrink or give back start from. A tenant user sees its own.
    public func efficiency(from: Double, to: Double, tenant: String?, by caller: Principal) throws(ServiceError) -> (tenants: [Efficiency], requests: [Efficiency]) {
        let scope = try caller.scope(tenant, for: .readUsage)
        try requireTenant(scope)
        var byRequest: [String: Efficiency] = [:]
        for line in try store.usage(UsageQuery(tenant: scope, from: from, to: to), at: now()) where line.key.requestID != Self.apiMeteringName {
            byRequest[line.key.requestID, default: Efficiency(subject: line.key.requestID, tenant: line.key.tenant)].add(line)
        }
        var byTenant: [String: Efficiency] = [:]
        for request in byRequest.values {
            byTenant[request.tenant, default: Efficiency(subject: request.tenant, tenant: request.tenant)].add(request)
        }
        func lowestFirst(_ a: Efficiency, _ b: Efficiency) -> Bool { (a.cpu ?? .infinity, a.subject) < (b.cpu ?? .infinity, b.subject) }
        return (byTenant.values.sorted(by: lowestFirst), byRequest.values.sorted(by: lowestFirst))
    }
}

/// A tenant against its monthly budget.
public struct BudgetStatus: Sendable, Hashable {
    public var tenant: String
    /// `YYYY-MM`, UTC.
    public var month: String
    public var budget: Double?
    /// Billed so far this month, on the price list's basis.
    public var due: Double
    /// What the month comes to at the current rate.
    public var forecast: Double

    /// The share of the budget billed so far; nil without a budget, or with a budget of 0.
    public var share: Double? { budget.flatMap { $0 > 0 ? due / $0 : nil } }

    /// The alerts the budget calls for: spent (100%); else nearly spent (80%) and on course to be
    /// spent by the month's end, either or both.
    func alerts(currency: String) -> [(kind: String, message: String)] {
        guard let budget else { return [] }
        let figures = "\(Self.amount(due)) of \(Self.amount(budget)) \(currency) billed in \(month)"
        if due >= budget && (due > 0 || budget > 0) { return [("budget_exceeded", "\(tenant)'s budget is spent: " + figures)] }
        var alerts: [(kind: String, message: String)] = []
        if let share, share >= 0.8 { alerts.append(("budget_80_percent", "\(tenant) has used \(Int(share * 100))% of its budget: " + figures)) }
        if forecast > budget {
            alerts.append(("budget_forecast", "\(tenant) is on course for \(Self.amount(forecast)) \(currency) by the end of \(month) at its current rate, over its budget of \(Self.amount(budget))"))
        }
        return alerts
    }

    /// An amount as people read it: two decimals, more for amounts under 1 so that they do not
    /// show as 0.00.
    static func amount(_ value: Double) -> String {
        value >= 1 || value == 0 ? String(format: "%.2f", value) : String(format: "%.4g", value)
    }
}

/// Used over allocated for a tenant or a request.
public struct Efficiency: Sendable, Hashable {
    /// The tenant or the request.
    public var subject: String
    public var tenant: String
    public var allocated = UsageAmounts()
    public var used = UsageAmounts()

    /// Core-hours used per core-hour held; nil when nothing was held.
    public var cpu: Double? { allocated.cpuCoreHours > 0 ? used.cpuCoreHours / allocated.cpuCoreHours : nil }
    /// GiB-hours of memory used per GiB-hour held.
    public var memory: Double? { allocated.memoryGiBHours > 0 ? used.memoryGiBHours / allocated.memoryGiBHours : nil }

    mutating func add(_ line: UsageLine) {
        switch line.key.basis {
        case .allocated: allocated = allocated + line.amounts
        case .used: used = used + line.amounts
        }
    }

    mutating func add(_ other: Efficiency) {
        allocated = allocated + other.allocated
        used = used + other.used
    }
}
