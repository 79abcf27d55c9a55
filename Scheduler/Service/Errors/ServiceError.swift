import Placement

/// An error the scheduler returns to a caller: a stable code, a message for people, and the field
/// of the input it is about. Mapped to an HTTP status or a gRPC code only at the edge.
public struct ServiceError: Error, Sendable, Hashable, Codable, CustomStringConvertible {
    /// What kind of failure it is; extensible, and stable in the API.
    public struct Code: RawRepresentable, Sendable, Hashable, Codable {
        public var rawValue: String
        public init(rawValue: String) { self.rawValue = rawValue }

        /// The input is malformed or out of range.
        public static let invalid = Code(rawValue: "invalid")
        public static let notFound = Code(rawValue: "not_found")
        /// The request conflicts with the current state (an invalid transition, a taken name).
        public static let conflict = Code(rawValue: "conflict")
        /// No or an unknown credential.
        public static let unauthenticated = Code(rawValue: "unauthenticated")
        /// A known caller that may not do this.
        public static let forbidden = Code(rawValue: "forbidden")
        /// Over a quota or a size limit.
        public static let limitExceeded = Code(rawValue: "limit_exceeded")
        /// The store failed; nothing was changed.
        public static let unavailable = Code(rawValue: "unavailable")
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

    public init(_ error: ValidationError, fieldPrefix: String = "") {
        self.init(.invalid, error.message, field: fieldPrefix + error.field)
    }

    public var description: String { field.map { "\($0): \(message)" } ?? message }

    public static func invalid(_ field: String, _ message: String) -> ServiceError { ServiceError(.invalid, message, field: field) }
    public static func notFound(_ what: String) -> ServiceError { ServiceError(.notFound, "\(what) does not exist") }
    public static func forbidden(_ message: String) -> ServiceError { ServiceError(.forbidden, message) }
    public static func conflict(_ message: String, field: String? = nil) -> ServiceError { ServiceError(.conflict, message, field: field) }
}
