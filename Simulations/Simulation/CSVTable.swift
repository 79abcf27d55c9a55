import Foundation

/// A malformed input file: names the file, the line (1-based, 0 for the whole file) and the field.
public struct TraceError: Error, Sendable, Hashable, CustomStringConvertible {
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

/// A CSV file with a header row, read strictly: every row has every column, no quoting.
struct CSVTable {
    let file: String
    let header: [String]
    /// Rows with their 1-based line numbers.
    let rows: [(line: Int, fields: [Substring])]

    init(contentsOf path: String, requiring columns: [String]) throws(TraceError) {
        file = path
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw TraceError(file: path, line: 0, message: "cannot read the file: \(error.localizedDescription)")
        }
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false).enumerated().map { ($0.offset + 1, $0.element) }
        while let last = lines.last, last.1.trimmingCharacters(in: .whitespaces).isEmpty { lines.removeLast() }
        guard let first = lines.first else { throw TraceError(file: path, line: 1, message: "the file is empty") }
        header = first.1.split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }
        for column in columns where !header.contains(column) {
            throw TraceError(file: path, line: 1, field: column, message: "missing column; the header is \(header.joined(separator: ","))")
        }
        var rows: [(Int, [Substring])] = []
        for (number, line) in lines.dropFirst() {
            let trimmed = line.hasSuffix("\r") ? line.dropLast() : line[...]
            let fields = trimmed.split(separator: ",", omittingEmptySubsequences: false)
            guard fields.count == header.count else {
                throw TraceError(file: path, line: number, message: "expected \(header.count) fields, found \(fields.count)")
            }
            rows.append((number, fields))
        }
        self.rows = rows
    }

    func column(_ name: String) -> Int { header.firstIndex(of: name)! }

    /// An integer field in `range`.
    func integer(_ row: (line: Int, fields: [Substring]), _ name: String, in range: ClosedRange<Int64>) throws(TraceError) -> Int64 {
        let raw = row.fields[column(name)]
        guard let value = Int64(raw.trimmingCharacters(in: .whitespaces)) else {
            throw TraceError(file: file, line: row.line, field: name, message: "'\(raw)' is not an integer")
        }
        guard range.contains(value) else {
            throw TraceError(file: file, line: row.line, field: name, message: "\(value) is outside \(range.lowerBound)...\(range.upperBound)")
        }
        return value
    }

    func string(_ row: (line: Int, fields: [Substring]), _ name: String) -> String {
        row.fields[column(name)].trimmingCharacters(in: .whitespaces)
    }

    /// A non-empty field whose value no earlier row had (`seen` collects them).
    func uniqueName(_ row: (line: Int, fields: [Substring]), _ name: String, seen: inout Set<String>) throws(TraceError) -> String {
        let value = string(row, name)
        guard !value.isEmpty else { throw TraceError(file: file, line: row.line, field: name, message: "empty") }
        guard seen.insert(value).inserted else { throw TraceError(file: file, line: row.line, field: name, message: "duplicate '\(value)'") }
        return value
    }
}
