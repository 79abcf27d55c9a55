import Placement

/// The bounds the API enforces on callers' numbers, each named in the OpenAPI document and the
/// README; arithmetic inside saturates, so no value within them can overflow.
public enum Limits {
    /// A lease, and how far in the future a lease may end after extensions: ten years.
    public static let maxLeaseSeconds: Int64 = 315_360_000
    /// How long a request may wait in the queue before it is rejected: a year.
    public static let maxQueueDeadlineSeconds: Double = 31_536_000
    /// Cores of one node or one replica.
    public static let maxCores: Double = 1_000_000
    /// MiB, GiB or Mbps of one node, replica, volume or pool.
    public static let maxAmount: Int64 = Resources.maximumAmount
    /// A quota's limit in any dimension (MiB, GiB, Mbps, thousandths of GPUs; cores for CPU).
    public static let maxQuotaAmount: Int64 = 1 << 50
    public static let maxReplicas = 10_000
    public static let maxGPUsPerNode = 64
    /// The latest time (seconds since 1970) the API takes: the year 3000.
    public static let latestTime: Double = 32_503_680_000
    /// A latency bound or a link's latency.
    public static let maxLatencyMs: Double = 60_000
    /// Labels on one node, request or catalog entry.
    public static let maxLabels = 64
}

/// CPU as the API states it (cores) and as the placement core counts it (thousandths of a core):
/// every conversion between the two goes through here, with the one range check.
public enum CPU {
    /// `cores` in thousandths of a core; refused naming `field` unless within `minimum...maximum`
    /// cores and a whole number of thousandths (as Kubernetes refuses CPU finer than 1m).
    public static func millicores(_ cores: Double, field: String, minimum: Double = 0, maximum: Double = Limits.maxCores) throws(ValidationError) -> Int64 {
        guard cores.isFinite, cores >= minimum, cores <= maximum else {
            throw ValidationError(field: field, code: .outOfRange, message: "must be between \(shown(minimum)) and \(shown(maximum)) cores, got \(cores)")
        }
        let millicores = (cores * 1000).rounded()
        guard abs(cores * 1000 - millicores) < 1e-6 * max(1, millicores) else {
            throw ValidationError(field: field, code: .tooPrecise, message: "must be a whole number of thousandths of a core (0.001), got \(cores)")
        }
        return Int64(millicores)
    }

    /// Thousandths of a core in cores.
    public static func cores(_ millicores: Int64) -> Double { Double(millicores) / 1000 }

    /// A bound as the API states it: `1000000`, `0.001`.
    static func shown(_ cores: Double) -> String { cores == cores.rounded() && abs(cores) < 1e15 ? String(Int64(cores)) : String(cores) }
}

extension Int64 {
    /// `self + other`, clamped to the range of Int64.
    public func saturatingAdd(_ other: Int64) -> Int64 {
        let (sum, overflow) = addingReportingOverflow(other)
        return overflow ? (other > 0 ? .max : .min) : sum
    }
}

extension Int {
    /// `value` rounded toward zero and clamped to the range of Int; NaN is 0.
    public init(saturating value: Double) {
        if value.isNaN {
            self = 0
        } else if value >= Double(Int.max) {
            self = .max
        } else if value <= Double(Int.min) {
            self = .min
        } else {
            self = Int(value)
        }
    }
}
