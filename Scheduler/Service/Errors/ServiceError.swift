import Placement

/// An error the scheduler returns to a caller: a stable code, a message for people, and the field
/// of the input it is about. Mapped to an HTTP status or a gRPC code only at the edge.
public struct ServiceError: Error, Sendable, Hashable, Codable, CustomStringConvertible {
    /// What kind of failure it is; extensible, and stable in the API.
    public struct Code: RawRepresentable, Sendable, Hashable, Codable {
        public var rawValue: String
        public init(rawValue: String) { self.rawValue = rawValue }

        /// The input breaks the documented contract: malformed, out of range, an unknown field.
        public static let invalid = Code(rawValue: "invalid")
        /// The input is well-formed but cannot be honoured: it names something that does not exist
        /// (a tenant, a site, a GPU model) or asks for more than the cluster could ever give.
        public static let unprocessable = Code(rawValue: "unprocessable")
        public static let notFound = Code(rawValue: "not_found")
        /// The request conflicts with the current state (an invalid transition, a taken name).
        public static let conflict = Code(rawValue: "conflict")
        /// No or an unknown credential.
        public static let unauthenticated = Code(rawValue: "unauthenticated")
        /// A known caller that may not do this.
        public static let forbidden = Code(rawValue: "forbidden")
        /// A body over the size limit.
        public static let limitExceeded = Code(rawValue: "limit_exceeded")
        /// A request larger than its tenant's quota for its priority class.
        public static let quotaExceeded = Code(rawValue: "quota_exceeded")
        /// A body in a format other than JSON.
        public static let unsupportedMediaType = Code(rawValue: "unsupported_media_type")
        /// A path the API has, with a method it does not take.
        public static let methodNotAllowed = Code(rawValue: "method_not_allowed")
        /// The store failed; nothing was changed.
        public static let unavailable = Code(rawValue: "unavailable")
        /// This scheduler is a standby, or was deposed: another leads and takes the writes.
        public static let notLeader = Code(rawValue: "not_leader")
    }

    public var code: Code
    public var message: String
    /// The input field, as a dotted path (`requests[3].gpu.count`), when one is to blame.
    public var field: String?

    public init(_ code: Code, _ message: String, field: String? = nil) {
        self.code = code
        self.message = message
        self.field = field
    }

    /// A placement core's refusal in the API's terms: its field names (`cpu`, not
    /// `resources.cpuMillis`) and units (cores, MiB, GiB, Mbps). A value out of its documented
    /// range is `invalid`; a name the cluster does not know, a contradiction or more than the
    /// cluster could give is `unprocessable`.
    public init(_ error: ValidationError, fieldPrefix: String = "") {
        let field = Self.apiFields[error.field] ?? error.field
        var message = error.message
        if let amount = error.amount {
            let asked = amount.dimension.amountInAPIUnits(amount.asked), limit = amount.dimension.amountInAPIUnits(amount.limit)
            switch (error.code, amount.total) {
            case (.exceedsCluster, false):
                let which = amount.classes.map { "the largest \(RequestValidator.classNames($0)) node" } ?? "the largest node"
                message = "asks for \(asked) per replica, more than \(which) has (\(limit))"
            case (.exceedsCluster, true): message = "the gang needs \(asked) in all, more than its eligible nodes have (\(limit))"
            default: message = "must not be negative, got \(asked)"
            }
        }
        let code: Code = [.unknown, .exceedsCluster, .contradictory, .nothingRequested, .tooPrecise].contains(error.code) ? .unprocessable : .invalid
        self.init(code, message, field: fieldPrefix + field)
    }

    /// The API's names of the placement core's request fields where they differ.
    static let apiFields = [
        "resources.cpuMillis": "cpu", "resources.memoryMiB": "memoryMiB", "resources.diskGiB": "diskGiB",
        "resources.bandwidthMbps": "bandwidthMbps", "resources": "cpu", "queueDeadline": "queueDeadlineSeconds",
    ]

    public var description: String { field.map { "\($0): \(message)" } ?? message }

    public static func invalid(_ field: String, _ message: String) -> ServiceError { ServiceError(.invalid, message, field: field) }
    public static func unprocessable(_ field: String, _ message: String) -> ServiceError { ServiceError(.unprocessable, message, field: field) }
    public static func notFound(_ what: String) -> ServiceError { ServiceError(.notFound, "\(what) does not exist") }
    public static func forbidden(_ message: String) -> ServiceError { ServiceError(.forbidden, message) }
    public static func conflict(_ message: String, field: String? = nil) -> ServiceError { ServiceError(.conflict, message, field: field) }
}

extension Dimension {
    /// The API's field for this dimension of a request.
    public var apiField: String {
        switch self {
        case .cpu: "cpu"
        case .memory: "memoryMiB"
        case .disk: "diskGiB"
        case .bandwidth: "bandwidthMbps"
        case .gpu: "gpu"
        case .storage: "volumes"
        }
    }

    /// An amount in the core's units (thousandths of a core for CPU) as the API states it.
    public func amountInAPIUnits(_ value: Int64) -> String {
        switch self {
        case .cpu:
            let cores = CPU.cores(value)
            return (cores == cores.rounded() ? String(value / 1000) : String(cores)) + (value == 1000 ? " core" : " cores")
        case .memory: return "\(value) MiB"
        case .disk: return "\(value) GiB"
        case .bandwidth: return "\(value) Mbps"
        case .gpu: return "\(Double(value) / 1000) GPUs"
        case .storage: return "\(value) GiB of volumes"
        }
    }
}
