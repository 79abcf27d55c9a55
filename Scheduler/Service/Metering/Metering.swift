import Placement

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

    /// Every kind of use, named as in the API (and as the ledger's columns), in the order of
    /// `values`.
    public static var components: [(name: String, keyPath: WritableKeyPath<UsageAmounts, Double>)] {
        [
            ("cpuCoreHours", \.cpuCoreHours), ("memoryGiBHours", \.memoryGiBHours), ("gpuHours", \.gpuHours),
            ("storageGiBHours", \.storageGiBHours), ("bandwidthMbpsHours", \.bandwidthMbpsHours), ("apiCalls", \.apiCalls),
        ]
    }

    /// Each component of `a` and `b` combined. Written out field by field: sums run for every
    /// sample the ledger takes, and key paths cost more than the arithmetic.
    static func combining(_ a: UsageAmounts, _ b: UsageAmounts, _ combine: (Double, Double) -> Double) -> UsageAmounts {
        UsageAmounts(
            cpuCoreHours: combine(a.cpuCoreHours, b.cpuCoreHours), memoryGiBHours: combine(a.memoryGiBHours, b.memoryGiBHours),
            gpuHours: combine(a.gpuHours, b.gpuHours), storageGiBHours: combine(a.storageGiBHours, b.storageGiBHours),
            bandwidthMbpsHours: combine(a.bandwidthMbpsHours, b.bandwidthMbpsHours), apiCalls: combine(a.apiCalls, b.apiCalls))
    }

    public static func + (a: UsageAmounts, b: UsageAmounts) -> UsageAmounts { combining(a, b, +) }

    public static func * (a: UsageAmounts, share: Double) -> UsageAmounts { combining(a, a) { x, _ in x * share } }

    /// The components in the order of `components`.
    public var values: [Double] { [cpuCoreHours, memoryGiBHours, gpuHours, storageGiBHours, bandwidthMbpsHours, apiCalls] }

    /// The sum of the components: a charge's total when the components are charges.
    public var total: Double { values.reduce(0, +) }

    /// What one replica of `request` holds over an hour: what the allocated basis charges, and
    /// the most a sample of its use may show.
    public static func allocatedHour(of request: PlacementRequest) -> UsageAmounts {
        allocatedHour(of: request.resources, gpuMilli: request.gpuMilliPerReplica, volumesGiB: request.volumes.reduce(0) { $0 + $1.sizeGiB })
    }

    /// An hour of holding these resources, GPU thousandths and volumes.
    public static func allocatedHour(of resources: Resources, gpuMilli: Int64, volumesGiB: Int64 = 0) -> UsageAmounts {
        UsageAmounts(
            cpuCoreHours: CPU.cores(resources.cpuMillis), memoryGiBHours: Double(resources.memoryMiB) / 1024, gpuHours: Double(gpuMilli) / 1000,
            storageGiBHours: Double(resources.diskGiB) + Double(volumesGiB), bandwidthMbpsHours: Double(resources.bandwidthMbps))
    }
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

    /// The part of the sample inside `[from, to)`: a sample partly inside counts in proportion,
    /// one of no duration if it lies inside.
    public func share(from: Double, to: Double) -> Double { Self.share(start: start, end: end, from: from, to: to) }

    /// The part of `[start, end)` inside `[from, to)`.
    public static func share(start: Double, end: Double, from: Double, to: Double) -> Double {
        guard end > start else { return start >= from && start < to ? 1 : 0 }
        return max(0, min(end, to) - max(start, from)) / (end - start)
    }

    /// Slack for the clocks of a sample: its interval is the agent's, its counters are read a
    /// moment apart from it.
    static let slack = (share: 0.10, seconds: 2.0)

    /// Why this sample shows more than an allocation of `replicaHour` (per hour) could have used
    /// over its interval, beyond the slack; nil when it could be right. Bandwidth is not bounded:
    /// a reservation of it is not a cap on traffic.
    public func excess(over replicaHour: UsageAmounts) -> String? {
        let hours = (end - start) / 3600
        // Field by field, not by key path: this runs for every sample an agent sends.
        let bounded = [
            ("cpuCoreHours", replicaHour.cpuCoreHours, amounts.cpuCoreHours, "cores"),
            ("memoryGiBHours", replicaHour.memoryGiBHours, amounts.memoryGiBHours, "GiB of memory"),
            ("gpuHours", replicaHour.gpuHours, amounts.gpuHours, "GPUs"),
            ("storageGiBHours", replicaHour.storageGiBHours, amounts.storageGiBHours, "GiB of storage"),
        ]
        for (name, held, shown, unit) in bounded {
            let most = held * (hours * (1 + Self.slack.share) + Self.slack.seconds / 3600)
            if shown > most {
                return "\(name) \(shown) in \(end - start) s is more than \(held) \(unit) could use (at most \(most))"
            }
        }
        return nil
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

/// What the scheduler takes from agents, before the ledger (the store) keeps it: each sample
/// checked, and each counted once however often it is sent (the ledger drops a resent sample
/// too; this spares it the work and tells the caller what was new).
public struct MeteringIntake: Sendable, Hashable {
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

    /// Throws naming the first malformed sample's field: a malformed sample rejects its batch.
    public static func validate(_ batch: [MeteringSample]) throws(MeteringError) {
        for (i, sample) in batch.enumerated() {
            guard !sample.node.isEmpty else { throw MeteringError(field: "samples[\(i)].node", message: "empty") }
            guard !sample.requestID.isEmpty else { throw MeteringError(field: "samples[\(i)].requestID", message: "empty") }
            guard sample.sequence > 0 else { throw MeteringError(field: "samples[\(i)].sequence", message: "sequence numbers start at 1") }
            guard sample.start.isFinite, sample.end.isFinite, sample.end >= sample.start else {
                throw MeteringError(field: "samples[\(i)].end", message: "the interval must be finite and not end before it starts")
            }
            for (component, value) in zip(UsageAmounts.components, sample.amounts.values) where !(value.isFinite && value >= 0) {
                throw MeteringError(field: "samples[\(i)].amounts.\(component.name)", message: "must be a finite amount, not negative")
            }
        }
    }

    /// Takes a batch of samples; returns those that are new. Samples seen before are left out, so
    /// an agent can resend a batch after losing the answer. A malformed sample rejects the whole
    /// batch.
    public mutating func take(_ batch: [MeteringSample]) throws(MeteringError) -> [MeteringSample] {
        try Self.validate(batch)
        var taken: [MeteringSample] = []
        for sample in batch where !contains(node: sample.node, sequence: sample.sequence) {
            acknowledge(node: sample.node, sequence: sample.sequence)
            taken.append(sample)
        }
        return taken
    }

    /// Takes a sample as seen without counting it: one refused as impossible, so that a resend is
    /// not refused twice.
    public mutating func refuse(_ sample: MeteringSample) {
        acknowledge(node: sample.node, sequence: sample.sequence)
    }

    private mutating func acknowledge(node: String, sequence: UInt64) {
        var mark = acknowledgedThrough[node] ?? 0
        var above = acknowledgedAbove[node] ?? []
        above.insert(sequence)
        while above.remove(mark + 1) != nil { mark += 1 }
        acknowledgedThrough[node] = mark
        acknowledgedAbove[node] = above
    }
}

/// What a charge is based on: what a request held (allocated), or what its agents measured (used).
public enum MeteringBasis: String, Sendable, Hashable, Codable, CaseIterable {
    case allocated
    case used
}
