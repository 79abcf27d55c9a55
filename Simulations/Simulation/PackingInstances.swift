import Foundation
import Placement

/// A bin packing instance read from a file: BPPLIB one-dimensional (`.txt`: item count,
/// capacity, one weight per line) or VPSolver vector packing (`.vbp`: dimensions, capacities,
/// item type count, then per type its sizes and demand).
public struct PackingInstance: Sendable {
    /// The file name without its extension.
    public var name: String
    /// The folder it came from, e.g. `Falkenauer_U`.
    public var set: String
    public var problem: PackingProblem

    /// Reads `path`; errors name the file, line and field.
    public static func load(_ path: String) throws(InputFileError) -> PackingInstance {
        let url = URL(fileURLWithPath: path)
        let text: String
        do { text = try String(contentsOf: url, encoding: .utf8) } catch {
            throw InputFileError(file: path, line: 0, message: "cannot read the file: \(error.localizedDescription)")
        }
        var reader = NumberLines(file: path, text: text)
        let problem: PackingProblem
        switch url.pathExtension {
        case "txt": problem = try reader.bpplib()
        case "vbp": problem = try reader.vectorPacking()
        default: throw InputFileError(file: path, line: 0, message: "not a .txt (BPPLIB) or .vbp (vector packing) instance")
        }
        return PackingInstance(name: url.deletingPathExtension().lastPathComponent, set: url.deletingLastPathComponent().lastPathComponent, problem: problem)
    }

    /// Instance files under `path` (a file, or a folder searched recursively), in path order.
    /// In folders, `.txt` files that do not start with a number (READMEs, licences) are skipped.
    public static func files(at path: String) throws(InputFileError) -> [String] {
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isFolder) else {
            throw InputFileError(file: path, line: 0, message: "no such file or folder")
        }
        guard isFolder.boolValue else { return [path] }
        var found: [String] = []
        let enumerator = FileManager.default.enumerator(atPath: path)
        while let relative = enumerator?.nextObject() as? String {
            let file = (path as NSString).appendingPathComponent(relative)
            switch (relative as NSString).pathExtension {
            case "vbp": found.append(file)
            case "txt":
                let head = (try? String(contentsOfFile: file, encoding: .utf8))?.prefix(32) ?? ""
                if head.first?.isNumber == true { found.append(file) }
            default: continue
            }
        }
        return found.sorted()
    }
}

/// Whitespace-separated integers, line by line, with errors that name the line.
private struct NumberLines {
    let file: String
    let lines: [(number: Int, fields: [Substring])]
    var next = 0

    init(file: String, text: String) {
        self.file = file
        lines = text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline).enumerated()
            .map { ($0.offset + 1, $0.element.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\r" })) }
            .filter { !$0.1.isEmpty }
    }

    mutating func line(_ field: String, count: Int? = nil) throws(InputFileError) -> (Int, [Int64]) {
        guard next < lines.count else { throw InputFileError(file: file, line: (lines.last?.number ?? 0) + 1, field: field, message: "missing: the file ends early") }
        let (number, fields) = lines[next]
        next += 1
        var values: [Int64] = []
        for text in fields {
            guard let value = Int64(text) else { throw InputFileError(file: file, line: number, field: field, message: "'\(text)' is not an integer") }
            values.append(value)
        }
        if let count, values.count != count {
            throw InputFileError(file: file, line: number, field: field, message: "expected \(count) integers, found \(values.count)")
        }
        return (number, values)
    }

    mutating func bpplib() throws(InputFileError) -> PackingProblem {
        let (countLine, count) = try line("n", count: 1)
        guard count[0] >= 0, count[0] <= 10_000_000 else { throw InputFileError(file: file, line: countLine, field: "n", message: "must be 0 to 10^7") }
        let (capacityLine, capacity) = try line("c", count: 1)
        var items: [[Int64]] = []
        for i in 0..<Int(count[0]) {
            let (number, weight) = try line("weight \(i + 1)", count: 1)
            guard weight[0] >= 0, weight[0] <= capacity[0] else {
                throw InputFileError(file: file, line: number, field: "weight \(i + 1)", message: "\(weight[0]) is outside 0...\(capacity[0])")
            }
            items.append(weight)
        }
        do { return try PackingProblem(capacity: capacity, items: items) } catch {
            throw InputFileError(file: file, line: capacityLine, field: "c", message: error.message)
        }
    }

    mutating func vectorPacking() throws(InputFileError) -> PackingProblem {
        let (dimensionLine, d) = try line("d", count: 1)
        guard (1...64).contains(d[0]) else { throw InputFileError(file: file, line: dimensionLine, field: "d", message: "must be 1 to 64") }
        let dimensions = Int(d[0])
        let (capacityLine, capacity) = try line("capacity", count: dimensions)
        let (typesLine, types) = try line("m", count: 1)
        guard types[0] >= 0 else { throw InputFileError(file: file, line: typesLine, field: "m", message: "must not be negative") }
        var items: [[Int64]] = []
        for t in 0..<Int(types[0]) {
            let (number, values) = try line("item type \(t + 1)", count: dimensions + 1)
            let sizes = Array(values.prefix(dimensions))
            guard let demand = values.last, (0...1_000_000).contains(demand) else {
                throw InputFileError(file: file, line: number, field: "item type \(t + 1) demand", message: "must be 0 to 10^6")
            }
            for (k, size) in sizes.enumerated() where size < 0 || size > capacity[k] {
                throw InputFileError(file: file, line: number, field: "item type \(t + 1) size \(k + 1)", message: "\(size) is outside 0...\(capacity[k])")
            }
            items += Array(repeating: sizes, count: Int(demand))
        }
        do { return try PackingProblem(capacity: capacity, items: items) } catch {
            throw InputFileError(file: file, line: capacityLine, field: "capacity", message: error.message)
        }
    }
}

/// Reference bin counts per instance (optima or best published results) from a tab- or
/// comma-separated file with a header: the instance column is `instance` or `instance_name`.
public struct PackingReference: Sendable {
    public var values: [String: Int]

    public static func load(_ path: String, column: String) throws(InputFileError) -> PackingReference {
        let text: String
        do { text = try String(contentsOfFile: path, encoding: .utf8) } catch {
            throw InputFileError(file: path, line: 0, message: "cannot read the file: \(error.localizedDescription)")
        }
        let lines = text.split(whereSeparator: \.isNewline).map { $0.split(omittingEmptySubsequences: false, whereSeparator: { $0 == "\t" || $0 == "," }).map { $0.trimmingCharacters(in: .whitespacesAndNewlines) } }
        guard let header = lines.first else { throw InputFileError(file: path, line: 1, message: "the file is empty") }
        guard let nameColumn = header.firstIndex(where: { $0 == "instance" || $0 == "instance_name" }) else {
            throw InputFileError(file: path, line: 1, field: "instance", message: "no instance or instance_name column")
        }
        guard let valueColumn = header.firstIndex(of: column) else {
            throw InputFileError(file: path, line: 1, field: column, message: "no such column; the columns are \(header.joined(separator: ", "))")
        }
        var values: [String: Int] = [:]
        for (i, fields) in lines.enumerated().dropFirst() where fields.count > max(nameColumn, valueColumn) {
            guard let value = Int(fields[valueColumn]) else {
                throw InputFileError(file: path, line: i + 1, field: column, message: "'\(fields[valueColumn])' is not an integer")
            }
            if value >= 0 { values[fields[nameColumn]] = value }
        }
        return PackingReference(values: values)
    }
}
