import Foundation
import Placement

/// A CSV file with a header row, read as RFC 4180 says and spreadsheets write: records end with
/// CRLF or LF (a lone CR too), fields may be quoted (`"a, b"`, `"say ""hi"""`, line breaks
/// inside quotes), a UTF-8 byte order mark is skipped. Read strictly: every record has every
/// column, and every error names the file and the line.
struct CSVTable {
    let file: String
    let header: [String]
    /// Records with the 1-based line each starts on.
    let rows: [(line: Int, fields: [Substring])]

    /// `optional` lists the other columns the file may have; nil takes any (formats published by
    /// others, such as openb's, whose extra columns are not ours to judge).
    init(contentsOf path: String, requiring columns: [String], optional: [String]? = nil) throws(InputFileError) {
        file = path
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw InputFileError(file: path, line: 1, message: "cannot read the file as UTF-8 text: \(error.localizedDescription)")
        }
        var records = try Self.records(text, file: path)
        while let last = records.last, last.fields.allSatisfy({ $0.trimmingCharacters(in: .whitespaces).isEmpty }) { records.removeLast() }
        guard let first = records.first else { throw InputFileError(file: path, line: 1, message: "the file is empty: a header line is expected") }
        header = first.fields.map { $0.trimmingCharacters(in: .whitespaces) }
        for column in columns where !header.contains(column) {
            throw InputFileError(file: path, line: first.line, field: column, message: "missing column; the header is \(header.joined(separator: ","))")
        }
        if let optional {
            let known = columns + optional
            for column in header where !known.contains(column) {
                let near = Suggestion.nearest(column, among: known)
                throw InputFileError(
                    file: path, line: first.line, field: column,
                    message: "unknown column" + (near.map { "; did you mean '\($0)'?" } ?? "; known: \(known.joined(separator: ", "))"))
            }
        }
        for record in records.dropFirst() where record.fields.count != header.count {
            throw InputFileError(file: path, line: record.line, message: "expected \(header.count) fields, found \(record.fields.count)")
        }
        rows = Array(records.dropFirst())
    }

    /// The records of `text`, each with the line it starts on.
    static func records(_ text: String, file: String) throws(InputFileError) -> [(line: Int, fields: [Substring])] {
        var records: [(line: Int, fields: [Substring])] = []
        var fields: [Substring] = []
        var field = ""
        var quoted = false, wasQuoted = false
        var line = 1, recordLine = 1, quoteLine = 1
        var scalars = text.unicodeScalars[...]
        if scalars.first == "\u{FEFF}" { scalars = scalars.dropFirst() }
        func endField() {
            fields.append(Substring(field))
            field = ""
            wasQuoted = false
        }
        func endRecord() {
            endField()
            records.append((recordLine, fields))
            fields = []
        }
        var iterator = scalars.makeIterator()
        var pending: Unicode.Scalar? = iterator.next()
        while let scalar = pending {
            pending = iterator.next()
            if quoted {
                switch scalar {
                case "\"":
                    if pending == "\"" {
                        field.unicodeScalars.append("\"")
                        pending = iterator.next()
                    } else {
                        quoted = false
                    }
                case "\n":
                    field.unicodeScalars.append(scalar)
                    line += 1
                case "\r":
                    field.unicodeScalars.append(scalar)
                    if pending != "\n" { line += 1 }
                default:
                    field.unicodeScalars.append(scalar)
                }
                continue
            }
            switch scalar {
            case ",":
                endField()
            case "\r", "\n":
                if scalar == "\r", pending == "\n" { pending = iterator.next() }
                endRecord()
                line += 1
                recordLine = line
            case "\"":
                guard field.trimmingCharacters(in: .whitespaces).isEmpty, !wasQuoted else {
                    throw InputFileError(file: file, line: line, message: "a quote inside an unquoted field: quote the whole field and double the quote (\"\"\")")
                }
                field = ""
                quoted = true
                wasQuoted = true
                quoteLine = line
            default:
                if wasQuoted, !scalar.properties.isWhitespace {
                    throw InputFileError(file: file, line: line, message: "text after a quoted field's closing quote")
                }
                field.unicodeScalars.append(scalar)
            }
        }
        if quoted { throw InputFileError(file: file, line: quoteLine, message: "a quoted field is not closed") }
        if !field.isEmpty || !fields.isEmpty || wasQuoted { endRecord() }
        return records
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
