/// A request that can never be placed as written, naming the offending field.
public struct ValidationError: Error, Sendable, Hashable, Codable, CustomStringConvertible {
    /// Why the field is wrong; stable strings that the API returns as `code`.
    public struct Code: RawRepresentable, Sendable, Hashable, Codable {
        public var rawValue: String
        public init(rawValue: String) { self.rawValue = rawValue }

        public static let invalid = Code(rawValue: "invalid")
        public static let outOfRange = Code(rawValue: "out_of_range")
        public static let unknown = Code(rawValue: "unknown")
        public static let contradictory = Code(rawValue: "contradictory")
        public static let exceedsCluster = Code(rawValue: "exceeds_cluster")
    }

    /// Path of the field in the request, e.g. `resources.memoryMiB` or `gpu.models[1]`.
    public var field: String
    public var code: Code
    public var message: String

    public init(field: String, code: Code, message: String) {
        self.field = field
        self.code = code
        self.message = message
    }

    public var description: String { "\(field): \(message)" }
}
