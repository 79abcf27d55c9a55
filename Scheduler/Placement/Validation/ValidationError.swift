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
        /// Well-formed, but it asks for nothing at all.
        public static let nothingRequested = Code(rawValue: "nothing_requested")
        /// Finer than the unit the amount is kept in (CPU below a thousandth of a core).
        public static let tooPrecise = Code(rawValue: "too_precise")
    }

    /// Path of the field in the request, e.g. `resources.memoryMiB` or `gpu.models[1]`.
    public var field: String
    public var code: Code
    public var message: String
    /// For an amount of a resource: the dimension, the amount asked for and the bound it broke,
    /// in the core's units, so that a caller can restate them in its own.
    public var amount: Amount?

    public struct Amount: Sendable, Hashable, Codable {
        public var dimension: Dimension
        public var asked: Int64
        public var limit: Int64
        /// Whether `asked` is the whole request (all replicas of a gang) rather than one replica.
        public var total: Bool
        /// The node classes whose largest node `limit` is; nil for every node.
        public var classes: Set<NodeClass>? = nil
    }

    public init(field: String, code: Code, message: String, amount: Amount? = nil) {
        self.field = field
        self.code = code
        self.message = message
        self.amount = amount
    }

    public var description: String { "\(field): \(message)" }
}
