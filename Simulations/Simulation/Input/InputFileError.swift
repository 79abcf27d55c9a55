/// A malformed input file: names the file, the line (1-based, 0 for the whole file) and the field.
public struct InputFileError: Error, Sendable, Hashable, CustomStringConvertible {
    public var file: String
    public var line: Int
    public var field: String?
    public var message: String

    public init(file: String, line: Int, field: String? = nil, message: String) {
        self.file = file
        self.line = line
        self.field = field
        self.message = message
    }

    public var description: String {
        "\(file)\(line > 0 ? ":\(line)" : "")\(field.map { ": field '\($0)'" } ?? ""): \(message)"
    }
}
