/// Amounts of use over an interval: each field is an amount times a duration (core-hours, ...).
public struct UsageAmounts: Sendable, Hashable, Codable {
    public var cpuCoreHours: Double
    public var memoryGiBHours: Double
    public var gpuHours: Double
    public var storageGiBHours: Double
    public var bandwidthMbpsHours: Double
    public var apiCalls: Double

    public init(
        cpuCoreHours: Double = 0, memoryGiBHours: Double = 0, gpuHours: Double = 0, storageGiBHours: Double = 0,
        bandwidthMbpsHours: Double = 0, apiCalls: Double = 0
    ) {
        self.cpuCoreHours = cpuCoreHours
        self.memoryGiBHours = memoryGiBHours
        self.gpuHours = gpuHours
        self.storageGiBHours = storageGiBHours
        self.bandwidthMbpsHours = bandwidthMbpsHours
        self.apiCalls = apiCalls
    }

    /// Every kind of use, named as in the API; sums, scaling, validation and billing go through it.
    public static var components: [(name: String, keyPath: WritableKeyPath<UsageAmounts, Double>)] {
        [
            ("cpuCoreHours", \.cpuCoreHours), ("memoryGiBHours", \.memoryGiBHours), ("gpuHours", \.gpuHours),
            ("storageGiBHours", \.storageGiBHours), ("bandwidthMbpsHours", \.bandwidthMbpsHours), ("apiCalls", \.apiCalls),
        ]
    }

    /// Each component of `a` and `b` combined.
    static func combining(_ a: UsageAmounts, _ b: UsageAmounts, _ combine: (Double, Double) -> Double) -> UsageAmounts {
        var result = UsageAmounts()
        for (_, keyPath) in components { result[keyPath: keyPath] = combine(a[keyPath: keyPath], b[keyPath: keyPath]) }
        return result
    }

    public static func + (a: UsageAmounts, b: UsageAmounts) -> UsageAmounts { combining(a, b, +) }

    public static func * (a: UsageAmounts, share: Double) -> UsageAmounts { combining(a, a) { x, _ in x * share } }
}

/// One metering sample from a node's agent: what a request used on the node over `[start, end)`
/// (seconds). Samples of a node are numbered; a sample sent again is recognised by its number.
public struct MeteringSample: Sendable, Hashable, Codable {
    public var node: String
    public var sequence: UInt64
    public var requestID: String
    public var tenant: String
    public var start: Double
    public var end: Double
    public var amounts: UsageAmounts

    public init(node: String, sequence: UInt64, requestID: String, tenant: String, start: Double, end: Double, amounts: UsageAmounts) {
        self.node = node
        self.sequence = sequence
        self.requestID = requestID
        self.tenant = tenant
        self.start = start
        self.end = end
        self.amounts = amounts
    }
}

/// A sample the ledger cannot take, naming the field.
public struct MeteringError: Error, Sendable, Hashable, CustomStringConvertible {
    public var field: String
    public var message: String

    public var description: String { "\(field): \(message)" }
}

/// Which usage to sum: any combination of request, tenant and node, over a time range.
public struct UsageQuery: Sendable, Hashable, Codable {
    public var requestID: String?
    public var tenant: String?
    public var node: String?
    /// Seconds; a sample partly inside counts in proportion to the part inside.
    public var from: Double
    public var to: Double

    public init(requestID: String? = nil, tenant: String? = nil, node: String? = nil, from: Double = -.infinity, to: Double = .infinity) {
        self.requestID = requestID
        self.tenant = tenant
        self.node = node
        self.from = from
        self.to = to
    }
}

/// Prices per unit of use, configurable per deployment (compute duration, storage capacity, calls).
public struct BillingWeights: Sendable, Hashable, Codable {
    /// Price of one unit of each component (one core-hour, one API call, ...).
    public var perUnit: UsageAmounts

    public init(
        perCoreHour: Double = 0, perGiBMemoryHour: Double = 0, perGPUHour: Double = 0, perStorageGiBHour: Double = 0,
        perMbpsHour: Double = 0, perAPICall: Double = 0
    ) {
        perUnit = UsageAmounts(
            cpuCoreHours: perCoreHour, memoryGiBHours: perGiBMemoryHour, gpuHours: perGPUHour, storageGiBHours: perStorageGiBHour,
            bandwidthMbpsHours: perMbpsHour, apiCalls: perAPICall)
    }

    public func charge(for usage: UsageAmounts) -> Double {
        UsageAmounts.components.reduce(0) { $0 + usage[keyPath: $1.keyPath] * perUnit[keyPath: $1.keyPath] }
    }
}

/// The metering ledger as a value: takes agents' samples exactly once each and sums usage by
/// request, tenant, node and time range. Storage of the ledger is the store's job; this type
/// decides what counts.
public struct MeteringLedger: Sendable, Hashable, Codable {
    public private(set) var samples: [MeteringSample] = []
    /// Per node: every sequence number at or below the mark has been taken...
    private var acknowledgedThrough: [String: UInt64] = [:]
    /// ...and these above it too (samples may arrive out of order after a reconnect).
    private var acknowledgedAbove: [String: Set<UInt64>] = [:]

    public init() {}

    /// Whether a sample of this node and number has been taken.
    public func contains(node: String, sequence: UInt64) -> Bool {
        // Sequence numbers start at 1, so a mark of 0 means none taken in order yet.
        sequence <= (acknowledgedThrough[node] ?? 0) || acknowledgedAbove[node]?.contains(sequence) == true
    }

    /// The highest number such that every sample of the node up to it has been taken: what an
    /// agent may drop from its buffer.
    public func acknowledged(node: String) -> UInt64? { acknowledgedThrough[node] }

    /// Takes a batch of samples; returns how many were new. Samples seen before are ignored, so an
    /// agent can resend a batch after losing the answer. A malformed sample rejects the whole batch.
    @discardableResult
    public mutating func record(_ batch: [MeteringSample]) throws(MeteringError) -> Int {
        for (i, sample) in batch.enumerated() {
            guard !sample.node.isEmpty else { throw MeteringError(field: "samples[\(i)].node", message: "empty") }
            guard !sample.requestID.isEmpty else { throw MeteringError(field: "samples[\(i)].requestID", message: "empty") }
            guard sample.sequence > 0 else { throw MeteringError(field: "samples[\(i)].sequence", message: "sequence numbers start at 1") }
            guard sample.start.isFinite, sample.end.isFinite, sample.end >= sample.start else {
                throw MeteringError(field: "samples[\(i)].end", message: "the interval must be finite and not end before it starts")
            }
            for (name, keyPath) in UsageAmounts.components {
                let value = sample.amounts[keyPath: keyPath]
                guard value.isFinite && value >= 0 else {
                    throw MeteringError(field: "samples[\(i)].amounts.\(name)", message: "must be a finite amount, not negative")
                }
            }
        }
        var taken = 0
        for sample in batch where !contains(node: sample.node, sequence: sample.sequence) {
            samples.append(sample)
            acknowledge(node: sample.node, sequence: sample.sequence)
            taken += 1
        }
        return taken
    }

    private mutating func acknowledge(node: String, sequence: UInt64) {
        var mark = acknowledgedThrough[node] ?? 0
        var above = acknowledgedAbove[node] ?? []
        above.insert(sequence)
        while above.remove(mark + 1) != nil { mark += 1 }
        acknowledgedThrough[node] = mark
        acknowledgedAbove[node] = above
    }

    /// Usage matching the query; samples partly inside the range count in proportion.
    public func usage(_ query: UsageQuery) -> UsageAmounts {
        var total = UsageAmounts()
        for sample in samples
        where (query.requestID.map { $0 == sample.requestID } ?? true) && (query.tenant.map { $0 == sample.tenant } ?? true)
            && (query.node.map { $0 == sample.node } ?? true)
        {
            let start = max(sample.start, query.from), end = min(sample.end, query.to)
            if sample.end == sample.start {
                if sample.start >= query.from && sample.start < query.to { total = total + sample.amounts }
            } else if end > start {
                total = total + sample.amounts * ((end - start) / (sample.end - sample.start))
            }
        }
        return total
    }
}
