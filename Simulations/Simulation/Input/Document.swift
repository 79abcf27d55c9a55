import Foundation
import Yams

/// A value in a JSON or YAML document together with where it is: the file, its line and the
/// dotted path of the field (`cluster.pools[2].cpu`), so every error names all three.
struct DocumentValue {
    let node: Yams.Node
    let file: String
    let path: String

    /// Reads a JSON or YAML file (JSON is read as YAML flow style, with the same line numbers).
    static func load(file: String) throws(InputFileError) -> DocumentValue {
        let text: String
        do {
            text = try String(contentsOfFile: file, encoding: .utf8)
        } catch {
            throw InputFileError(file: file, line: 0, message: "cannot read the file: \(error.localizedDescription)")
        }
        let root: Yams.Node?
        do {
            root = try Yams.compose(yaml: text)
        } catch let error as YamlError {
            throw InputFileError(file: file, line: Self.line(of: error), message: Self.problem(of: error))
        } catch {
            throw InputFileError(file: file, line: 0, message: "\(error)")
        }
        guard let root else { throw InputFileError(file: file, line: 1, message: "the document is empty") }
        return DocumentValue(node: root, file: file, path: "")
    }

    private static func line(of error: YamlError) -> Int {
        switch error {
        case .scanner(_, _, let mark, _), .parser(_, _, let mark, _), .composer(_, _, let mark, _): mark.line
        default: 0
        }
    }

    private static func problem(of error: YamlError) -> String {
        switch error {
        case .scanner(let context, let problem, _, _), .parser(let context, let problem, _, _), .composer(let context, let problem, _, _):
            "not valid JSON or YAML: \(problem)\(context.map { " \($0.text)" } ?? "")"
        case .duplicatedKeysInMapping(let duplicates, _): "duplicate keys: \(duplicates.joined(separator: ", "))"
        default: "not valid JSON or YAML: \(error)"
        }
    }

    var line: Int { node.mark?.line ?? 0 }

    /// An error about this value.
    func error(_ message: String) -> InputFileError {
        InputFileError(file: file, line: line, field: path.isEmpty ? nil : path, message: message)
    }

    private func child(_ node: Yams.Node, _ component: String) -> DocumentValue {
        DocumentValue(node: node, file: file, path: path.isEmpty ? component : component.hasPrefix("[") ? path + component : "\(path).\(component)")
    }

    // MARK: Shapes

    /// A mapping whose keys must all be among `allowed`.
    func fields(_ allowed: [String]) throws(InputFileError) -> Fields {
        guard case .mapping(let mapping) = node else { throw error("expected a mapping with fields \(allowed.joined(separator: ", "))") }
        var values: [String: DocumentValue] = [:]
        for (key, value) in mapping {
            guard let name = key.string else { throw error("field names must be strings") }
            let field = child(value, name)
            guard allowed.contains(name) else {
                throw InputFileError(file: file, line: key.mark?.line ?? line, field: field.path, message: "unknown field; expected one of \(allowed.joined(separator: ", "))")
            }
            values[name] = field
        }
        return Fields(owner: self, values: values)
    }

    /// A mapping with any string keys, in document order.
    func entries() throws(InputFileError) -> [(key: String, value: DocumentValue)] {
        guard case .mapping(let mapping) = node else { throw error("expected a mapping") }
        var result: [(String, DocumentValue)] = []
        for (key, value) in mapping {
            guard let name = key.string else { throw error("keys must be strings") }
            result.append((name, child(value, name)))
        }
        return result
    }

    /// A sequence; a single value counts as a sequence of one.
    func list() -> [DocumentValue] {
        guard case .sequence(let sequence) = node else { return [self] }
        return sequence.enumerated().map { child($0.element, "[\($0.offset)]") }
    }

    var isSequence: Bool { if case .sequence = node { true } else { false } }
    var isMapping: Bool { if case .mapping = node { true } else { false } }

    // MARK: Scalars

    func string() throws(InputFileError) -> String {
        guard case .scalar(let scalar) = node else { throw error("expected a string") }
        return scalar.string
    }

    func number(in range: ClosedRange<Double> = -Double.greatestFiniteMagnitude...Double.greatestFiniteMagnitude) throws(InputFileError) -> Double {
        guard case .scalar(let scalar) = node, let value = Double(scalar.string), value.isFinite else {
            throw error("expected a number, found \(describe)")
        }
        guard range.contains(value) else { throw error("\(scalar.string) is outside \(Self.format(range))") }
        return value
    }

    func integer(in range: ClosedRange<Int> = Int.min...Int.max) throws(InputFileError) -> Int {
        guard case .scalar(let scalar) = node, let value = Int(scalar.string) else { throw error("expected an integer, found \(describe)") }
        guard range.contains(value) else { throw error("\(value) is outside \(range.lowerBound)...\(range.upperBound)") }
        return value
    }

    func bool() throws(InputFileError) -> Bool {
        guard case .scalar(let scalar) = node else { throw error("expected true or false") }
        switch scalar.string.lowercased() {
        case "true", "yes", "on": return true
        case "false", "no", "off": return false
        default: throw error("expected true or false, found '\(scalar.string)'")
        }
    }

    /// Seconds: a number, or numbers with units: `90s`, `15m`, `4h`, `7d`, `2w`, `6d2h`.
    func duration(in range: ClosedRange<Double> = 0...Double.greatestFiniteMagnitude) throws(InputFileError) -> Double {
        guard case .scalar(let scalar) = node else { throw error("expected a duration such as 90, 15m, 4h or 7d") }
        let text = scalar.string.trimmingCharacters(in: .whitespaces)
        guard let seconds = Self.seconds(text), seconds.isFinite else { throw error("expected a duration such as 90, 15m, 4h or 7d, found '\(text)'") }
        guard range.contains(seconds) else { throw error("\(text) is outside \(Self.format(range)) seconds") }
        return seconds
    }

    private static func seconds(_ text: String) -> Double? {
        if let value = Double(text) { return value }
        let units: [Character: Double] = ["s": 1, "m": 60, "h": 3_600, "d": 86_400, "w": 604_800]
        var total = 0.0, digits = ""
        for character in text {
            if let factor = units[character] {
                guard let value = Double(digits) else { return nil }
                total += value * factor
                digits = ""
            } else {
                digits.append(character)
            }
        }
        return digits.isEmpty && !text.isEmpty ? total : nil
    }

    /// A value of a string enumeration, by its raw value.
    func choice<T: RawRepresentable & CaseIterable>(_ type: T.Type) throws(InputFileError) -> T where T.RawValue == String {
        let raw = try string()
        guard let value = T(rawValue: raw) else {
            throw error("'\(raw)' is not one of \(T.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        return value
    }

    /// A relative path resolved against the directory of the file it is written in.
    func filePath() throws(InputFileError) -> String {
        let raw = try string()
        if raw.hasPrefix("/") { return raw }
        return URL(fileURLWithPath: file).deletingLastPathComponent().appendingPathComponent(raw).standardizedFileURL.path
    }

    private var describe: String {
        switch node {
        case .scalar(let scalar): "'\(scalar.string)'"
        case .mapping: "a mapping"
        case .sequence: "a list"
        case .alias: "an alias"
        }
    }

    private static func format(_ range: ClosedRange<Double>) -> String {
        func number(_ x: Double) -> String { x == x.rounded() && abs(x) < 1e15 ? String(Int64(x)) : "\(x)" }
        if range.upperBound == .greatestFiniteMagnitude { return ">= \(number(range.lowerBound))" }
        return "\(number(range.lowerBound))...\(number(range.upperBound))"
    }
}

/// The fields of a mapping, checked against the names allowed.
struct Fields {
    let owner: DocumentValue
    let values: [String: DocumentValue]

    subscript(_ name: String) -> DocumentValue? { values[name] }

    func required(_ name: String) throws(InputFileError) -> DocumentValue {
        guard let value = values[name] else {
            throw InputFileError(
                file: owner.file, line: owner.line, field: owner.path.isEmpty ? name : "\(owner.path).\(name)", message: "missing required field")
        }
        return value
    }
}
