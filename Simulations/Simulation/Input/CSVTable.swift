import Foundation

/// A CSV file with a header row, read strictly: every row has every column, no quoting.
struct CSVTable {
    let file: String
    let header: [String]
    /// Rows with their 1-based line numbers.
    let rows: [(line: Int, fields: [Substring])]

    init(contentsOf path: String, requiring columns: [String]) throws(InputFileError) {
        file = path
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw InputFileError(file: path, line: 0, message: "cannot read the file: \(error.localizedDescription)")
        }
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false).enumerated().map { ($0.offset + 1, $0.element) }
        while let last = lines.last, last.1.trimmingCharacters(in: .whitespaces).isEmpty { lines.removeLast() }
        guard let first = lines.first else { throw InputFileError(file: path, line: 1, message: "the file is empty") }
        header = first.1.split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }
        for column in columns where !header.contains(column) {
            throw InputFileError(file: path, line: 1, field: column, message: "missing column; the header is \(header.joined(separator: ","))")
        }
        var rows: [(Int, [Substring])] = []
        for (number, line) in lines.dropFirst() {
            let trimmed = line.hasSuffix("\r") ? line.dropLast() : line[...]
            let fields = trimmed.split(separator: ",", omittingEmptySubsequences: false)
            guard fields.count == header.count else {
                throw InputFileError(file: path, line: number, message: "expected \(header.count) fields, found \(fields.count)")
            }
            rows.append((number, fields))
        }
        self.rows = rows
    }

    func column(_ name: String) -> Int { header.firstIndex(of: name)! }

    /// Whether the header has the column.
    func has(_ name: String) -> Bool { header.contains(name) }

    /// A decimal field in `range`; nil when the column is absent or the field empty and `required` is false.
    func number(_ row: (line: Int, fields: [Substring]), _ name: String, in range: ClosedRange<Double>, required: Bool = true) throws(InputFileError) -> Double? {
        guard let index = header.firstIndex(of: name) else {
            if required { throw InputFileError(file: file, line: 1, field: name, message: "missing column") }
            return nil
        }
        let raw = row.fields[index].trimmingCharacters(in: .whitespaces)
        if raw.isEmpty {
            if required { throw InputFileError(file: file, line: row.line, field: name, message: "empty") }
            return nil
        }
        guard let value = Double(raw), value.isFinite else {
            throw InputFileError(file: file, line: row.line, field: name, message: "'\(raw)' is not a number")
        }
        guard range.contains(value) else {
            throw InputFileError(file: file, line: row.line, field: name, message: "\(raw) is outside \(range.lowerBound)...\(range.upperBound)")
        }
        return value
    }

    /// A field of an optional column; empty when the column is absent.
    func optionalString(_ row: (line: Int, fields: [Substring]), _ name: String) -> String {
        guard let index = header.firstIndex(of: name) else { return "" }
        return row.fields[index].trimmingCharacters(in: .whitespaces)
    }

    /// An integer field in `range`.
    func integer(_ row: (line: Int, fields: [Substring]), _ name: String, in range: ClosedRange<Int64>) throws(InputFileError) -> Int64 {
        let raw = row.fields[column(name)]
        guard let value = Int64(raw.trimmingCharacters(in: .whitespaces)) else {
            throw InputFileError(file: file, line: row.line, field: name, message: "'\(raw)' is not an integer")
        }
        guard range.contains(value) else {
            throw InputFileError(file: file, line: row.line, field: name, message: "\(value) is outside \(range.lowerBound)...\(range.upperBound)")
        }
        return value
    }

    func string(_ row: (line: Int, fields: [Substring]), _ name: String) -> String {
        row.fields[column(name)].trimmingCharacters(in: .whitespaces)
    }

    /// A non-empty field whose value no earlier row had (`seen` collects them).
    func uniqueName(_ row: (line: Int, fields: [Substring]), _ name: String, seen: inout Set<String>) throws(InputFileError) -> String {
        let value = string(row, name)
        guard !value.isEmpty else { throw InputFileError(file: file, line: row.line, field: name, message: "empty") }
        guard seen.insert(value).inserted else { throw InputFileError(file: file, line: row.line, field: name, message: "duplicate '\(value)'") }
        return value
    }
}
