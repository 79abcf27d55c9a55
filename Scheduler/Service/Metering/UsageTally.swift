/// A rollup of the ledger: the sums of one period (hour, day or calendar month).
public enum LedgerPeriod: String, Sendable, CaseIterable {
    case hour
    case day
    case month

    /// The buckets of each period a piece of an hour adds to.
    public static func buckets(ofHour hour: Int64) -> [(LedgerPeriod, Int64)] {
        let day = hour / LedgerPeriods.hoursPerDay
        return [(.hour, hour), (.day, day), (.month, CalendarMonth.month(ofDay: day))]
    }
}

/// How a usage query's answer is made of what a store reads, the one rule for every backend: the
/// store reads `reads` (rollups over ranges of buckets, the samples of the parts of hours at the
/// range's ends) and what open requests hold, and adds each row here; the tally prorates.
public struct UsageTally: Sendable {
    /// What a store reads for the query, in order.
    public enum Read: Sendable, Hashable {
        /// The sums of `period`'s rollups in `buckets`, by basis, tenant, request and node, each
        /// counted at `share`.
        case rollups(period: LedgerPeriod, buckets: Range<Int64>, share: Double)
        /// The samples of `hour`, each prorated to `from..<to`.
        case samples(hour: Int64, from: Double, to: Double)
    }

    public let query: UsageQuery
    public let now: Double
    public private(set) var lines: [UsageLine.Key: UsageAmounts] = [:]

    public init(_ query: UsageQuery, at now: Double) {
        self.query = query
        self.now = now
    }

    /// The reads for the query, given the first hour whose samples are kept: the parts of older
    /// hours come from their hour's rollup, in proportion.
    public func reads(keptFromHour: Int64) -> [Read] {
        let periods = LedgerPeriods(from: query.from, to: query.to)
        var reads: [Read] = [.rollups(period: .month, buckets: periods.months, share: 1)]
        reads += periods.days.map { .rollups(period: .day, buckets: $0, share: 1) }
        reads += periods.hours.map { .rollups(period: .hour, buckets: $0, share: 1) }
        for part in periods.partialHours {
            reads.append(part.hour >= keptFromHour
                ? .samples(hour: part.hour, from: part.from, to: part.to)
                : .rollups(period: .hour, buckets: part.hour..<(part.hour + 1), share: (part.to - part.from) / LedgerPeriods.secondsPerHour))
        }
        return reads.filter { if case .rollups(_, let buckets, _) = $0 { !buckets.isEmpty } else { true } }
    }

    /// A row of rollups, counted at `share`.
    public mutating func add(_ key: UsageLine.Key, _ amounts: UsageAmounts, share: Double) {
        lines[key, default: UsageAmounts()] = lines[key, default: UsageAmounts()] + amounts * share
    }

    /// A sample of the hour of a `.samples` read, prorated to the read's range.
    public mutating func addSample(_ key: UsageLine.Key, _ amounts: UsageAmounts, start: Double, end: Double, from: Double, to: Double) {
        let share = MeteringSample.share(start: start, end: end, from: from, to: to)
        if share > 0 { add(key, amounts, share: share) }
    }

    /// What an open request's replica has held on `node` since `since`, `hour` an hour's worth:
    /// allocated use until now, within the query's range.
    public mutating func addHeld(_ hour: UsageAmounts, on node: String, by requestID: String, of tenant: String, since: Double) {
        guard let sample = MeteringSample.held(hour, on: node, by: requestID, of: tenant, from: since, until: now) else { return }
        let share = sample.share(from: query.from, to: query.to)
        guard share > 0 else { return }
        add(UsageLine.Key(basis: .allocated, tenant: tenant, requestID: requestID, node: node), sample.amounts, share: share)
    }

    /// The answer: one line per basis, tenant, request and node, in that order.
    public var usageLines: [UsageLine] {
        lines.map { UsageLine(key: $0.key, amounts: $0.value) }
            .sorted { ($0.key.tenant, $0.key.requestID, $0.key.node, $0.key.basis.rawValue) < ($1.key.tenant, $1.key.requestID, $1.key.node, $1.key.basis.rawValue) }
    }
}
