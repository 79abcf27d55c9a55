import Placement

/// Decodes `Decodable` values from JSON the way an API that refuses what it cannot honour must:
/// every field of the input must be one the type reads (a typo such as `leaseSecond` is refused,
/// naming it and the field it resembles), `null` is refused where a value is expected, numbers
/// must fit their field exactly (`1e20` for a whole-number field is "too large", `1.5` is "not a
/// whole number"), and a value outside an enumeration names the values it may take. Every error
/// names the field by its path in the input (`requests[3].gpu.count`) and its line.
public enum StrictJSON {
    public static func decode<T: Decodable>(_ type: T.Type, from bytes: [UInt8]) throws(JSONInputError) -> T {
        try decode(type, from: try JSONNode.parse(bytes))
    }

    public static func decode<T: Decodable>(_ type: T.Type, from node: JSONNode) throws(JSONInputError) -> T {
        let session = DecodingSession()
        let value: T
        do {
            value = try session.decode(type, from: node, at: [])
        } catch let error as JSONInputError {
            throw error
        } catch let error as DecodingError {
            throw session.inputError(error, in: node)
        } catch {
            throw JSONInputError(field: "", line: node.line, message: "\(error)")
        }
        if let unknown = session.firstUnknownField(in: node, path: "") { throw unknown }
        return value
    }
}

/// A type whose JSON form is one of a fixed set of strings; errors list them.
public protocol KnownValues {
    static var knownValues: [String] { get }
}

extension KnownValues where Self: CaseIterable & RawRepresentable, RawValue == String {
    public static var knownValues: [String] { allCases.map(\.rawValue) }
}

/// The field path of a coding path: `requests[3].gpu.count`.
func fieldPath(_ codingPath: [any CodingKey]) -> String {
    var out = ""
    for key in codingPath {
        if let index = key.intValue, key.stringValue == "Index \(index)" {
            out += "[\(index)]"
        } else {
            out += (out.isEmpty ? "" : ".") + key.stringValue
        }
    }
    return out
}

struct IndexKey: CodingKey {
    var intValue: Int?
    var stringValue: String { "Index \(intValue!)" }
    init(_ index: Int) { intValue = index }
    init?(intValue: Int) { self.intValue = intValue }
    init?(stringValue: String) { nil }
}

/// One decoding: which keys were read from which object.
final class DecodingSession {
    /// Per object (by `JSONNode.objectID`) decoded through a keyed container: the keys asked for.
    var requested: [Int: Set<String>] = [:]

    func error(_ path: [any CodingKey], _ node: JSONNode, _ message: String) -> JSONInputError {
        JSONInputError(field: fieldPath(path), line: node.line, message: message)
    }

    func mismatch(_ path: [any CodingKey], _ node: JSONNode, expected: String) -> JSONInputError {
        if case .null = node.value { return error(path, node, "must be \(expected), not null") }
        var found = node.kindDescription
        switch node.value {
        case .number(let text): found += " (\(text))"
        case .string(let text) where text.count <= 40: found += " (\"\(text)\")"
        default: break
        }
        return error(path, node, "must be \(expected), got \(found)")
    }

    func decode<T: Decodable>(_ type: T.Type, from node: JSONNode, at path: [any CodingKey]) throws -> T {
        if T.self == String.self {
            guard case .string(let text) = node.value else { throw mismatch(path, node, expected: "a string") }
            return text as! T
        }
        if T.self == Bool.self {
            guard case .bool(let flag) = node.value else { throw mismatch(path, node, expected: "true or false") }
            return flag as! T
        }
        if T.self == Double.self { return try floating(Double.self, node, path) as! T }
        if T.self == Float.self { return try floating(Float.self, node, path) as! T }
        if let integer = T.self as? any FixedWidthInteger.Type { return try self.integer(integer, node, path) as! T }
        if let known = T.self as? any KnownValues.Type {
            guard case .string(let text) = node.value else { throw mismatch(path, node, expected: "a string") }
            guard known.knownValues.contains(text) else {
                throw error(path, node, "unknown value '\(text)'; known: \(known.knownValues.joined(separator: ", "))")
            }
        }
        return try T(from: NodeDecoder(node: node, codingPath: path, session: self))
    }

    func floating<F: BinaryFloatingPoint & LosslessStringConvertible>(_ type: F.Type, _ node: JSONNode, _ path: [any CodingKey]) throws -> F {
        guard case .number(let text) = node.value else { throw mismatch(path, node, expected: "a number") }
        guard let value = F(text), value.isFinite else { throw error(path, node, "\(text) is out of range") }
        return value
    }

    func integer<I: FixedWidthInteger>(_ type: I.Type, _ node: JSONNode, _ path: [any CodingKey]) throws -> I {
        guard case .number(let text) = node.value else { throw mismatch(path, node, expected: "a whole number") }
        switch JSONNumber.integer(text, as: I.self) {
        case .value(let value): return value
        case .notWhole: throw error(path, node, "must be a whole number, got \(text)")
        case .outOfRange: throw error(path, node, "\(text) is out of range (\(I.min) to \(I.max))")
        }
    }

    /// The first field, in document order, that no decoded type asked for.
    func firstUnknownField(in node: JSONNode, path: String) -> JSONInputError? {
        switch node.value {
        case .object(let members):
            let known = requested[node.objectID]
            for member in members {
                let memberPath = path.isEmpty ? member.key : "\(path).\(member.key)"
                if let known, !known.contains(member.key) {
                    var message = "unknown field '\(member.key)'"
                    if let near = Suggestion.nearest(member.key, among: known) {
                        message += "; did you mean '\(near)'?"
                    } else if !known.isEmpty {
                        message += "; known: \(known.sorted().joined(separator: ", "))"
                    }
                    return JSONInputError(field: memberPath, line: member.value.line, message: message)
                }
                if let unknown = firstUnknownField(in: member.value, path: memberPath) { return unknown }
            }
        case .array(let elements):
            for (i, element) in elements.enumerated() {
                if let unknown = firstUnknownField(in: element, path: "\(path)[\(i)]") { return unknown }
            }
        default:
            break
        }
        return nil
    }

    /// A `DecodingError` a type threw itself, with the line of the value it is about.
    func inputError(_ error: DecodingError, in root: JSONNode) -> JSONInputError {
        let (context, message): (DecodingError.Context, String)
        switch error {
        case .typeMismatch(let type, let c): (context, message) = (c, "must be of type \(type)")
        case .valueNotFound(let type, let c): (context, message) = (c, "must be a \(type), not null")
        case .keyNotFound(let key, let c): (context, message) = (DecodingError.Context(codingPath: c.codingPath + [key], debugDescription: ""), "is required")
        case .dataCorrupted(let c): (context, message) = (c, c.debugDescription)
        @unknown default: return JSONInputError(field: "", line: root.line, message: "\(error)")
        }
        var node = root
        for key in context.codingPath {
            switch node.value {
            case .object(let members): node = members.first { $0.key == key.stringValue }?.value ?? node
            case .array(let elements): if let i = key.intValue, elements.indices.contains(i) { node = elements[i] }
            default: break
            }
        }
        return JSONInputError(field: fieldPath(context.codingPath), line: node.line, message: message)
    }
}

struct NodeDecoder: Decoder {
    let node: JSONNode
    let codingPath: [any CodingKey]
    let session: DecodingSession
    var userInfo: [CodingUserInfoKey: Any] { [:] }

    func container<Key: CodingKey>(keyedBy type: Key.Type) throws -> KeyedDecodingContainer<Key> {
        guard case .object(let members) = node.value else { throw session.mismatch(codingPath, node, expected: "an object") }
        // Visited, even if no member is read: its unread members are then refused.
        if session.requested[node.objectID] == nil { session.requested[node.objectID] = [] }
        return KeyedDecodingContainer(ObjectContainer<Key>(node: node, members: members, codingPath: codingPath, session: session))
    }

    func unkeyedContainer() throws -> any UnkeyedDecodingContainer {
        guard case .array(let elements) = node.value else { throw session.mismatch(codingPath, node, expected: "a list") }
        return ListContainer(elements: elements, codingPath: codingPath, session: session)
    }

    func singleValueContainer() throws -> any SingleValueDecodingContainer {
        ValueContainer(node: node, codingPath: codingPath, session: session)
    }
}

struct ObjectContainer<Key: CodingKey>: KeyedDecodingContainerProtocol {
    let node: JSONNode
    let members: [JSONNode.Member]
    let codingPath: [any CodingKey]
    let session: DecodingSession

    /// Every key present: a type that reads them all (a dictionary) knows every field.
    var allKeys: [Key] {
        session.requested[node.objectID, default: []].formUnion(members.map(\.key))
        return members.compactMap { Key(stringValue: $0.key) }
    }

    func member(_ key: Key) -> JSONNode? {
        session.requested[node.objectID, default: []].insert(key.stringValue)
        return members.first { $0.key == key.stringValue }?.value
    }

    func contains(_ key: Key) -> Bool { member(key) != nil }

    /// Null is never taken for "absent": a field is given a value or left out.
    func decodeNil(forKey key: Key) throws -> Bool {
        guard let value = member(key) else { return true }
        if case .null = value.value {
            throw session.error(codingPath + [key], value, "must not be null: give a value or leave the field out")
        }
        return false
    }

    func decode<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T {
        guard let value = member(key) else { throw JSONInputError(field: fieldPath(codingPath + [key]), line: node.line, message: "is required") }
        return try session.decode(type, from: value, at: codingPath + [key])
    }

    func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type, forKey key: Key) throws -> KeyedDecodingContainer<NestedKey> {
        try superDecoder(forKey: key).container(keyedBy: type)
    }

    func nestedUnkeyedContainer(forKey key: Key) throws -> any UnkeyedDecodingContainer {
        try superDecoder(forKey: key).unkeyedContainer()
    }

    func superDecoder() throws -> any Decoder { NodeDecoder(node: node, codingPath: codingPath, session: session) }

    func superDecoder(forKey key: Key) throws -> any Decoder {
        guard let value = member(key) else { throw JSONInputError(field: fieldPath(codingPath + [key]), line: node.line, message: "is required") }
        return NodeDecoder(node: value, codingPath: codingPath + [key], session: session)
    }
}

struct ListContainer: UnkeyedDecodingContainer {
    let elements: [JSONNode]
    let codingPath: [any CodingKey]
    let session: DecodingSession
    var currentIndex = 0

    init(elements: [JSONNode], codingPath: [any CodingKey], session: DecodingSession) {
        self.elements = elements
        self.codingPath = codingPath
        self.session = session
    }

    var count: Int? { elements.count }
    var isAtEnd: Bool { currentIndex >= elements.count }

    mutating func next() throws -> (JSONNode, [any CodingKey]) {
        guard !isAtEnd else {
            throw JSONInputError(field: fieldPath(codingPath), line: elements.last?.line ?? 1, message: "has too few elements")
        }
        defer { currentIndex += 1 }
        return (elements[currentIndex], codingPath + [IndexKey(currentIndex)])
    }

    mutating func decodeNil() throws -> Bool {
        guard !isAtEnd, case .null = elements[currentIndex].value else { return false }
        currentIndex += 1
        return true
    }

    mutating func decode<T: Decodable>(_ type: T.Type) throws -> T {
        let (element, path) = try next()
        return try session.decode(type, from: element, at: path)
    }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type) throws -> KeyedDecodingContainer<NestedKey> {
        try superDecoder().container(keyedBy: type)
    }

    mutating func nestedUnkeyedContainer() throws -> any UnkeyedDecodingContainer {
        try superDecoder().unkeyedContainer()
    }

    mutating func superDecoder() throws -> any Decoder {
        let (element, path) = try next()
        return NodeDecoder(node: element, codingPath: path, session: session)
    }
}

struct ValueContainer: SingleValueDecodingContainer {
    let node: JSONNode
    let codingPath: [any CodingKey]
    let session: DecodingSession

    func decodeNil() -> Bool {
        if case .null = node.value { return true }
        return false
    }

    func decode<T: Decodable>(_ type: T.Type) throws -> T {
        try session.decode(type, from: node, at: codingPath)
    }
}

/// JSON number literals read exactly.
enum JSONNumber {
    enum Reading<I> {
        case value(I)
        case notWhole
        case outOfRange
    }

    /// The exact integer a JSON number literal denotes, in any notation (`12`, `12.0`, `1.2e1`).
    static func integer<I: FixedWidthInteger>(_ text: String, as: I.Type) -> Reading<I> {
        var rest = Substring(text)
        let negative = rest.first == "-"
        if negative { rest = rest.dropFirst() }
        let mantissa = rest.prefix { $0 != "e" && $0 != "E" }
        var exponent = 0
        if mantissa.count < rest.count {
            let digits = rest[rest.index(after: mantissa.endIndex)...]
            // More than 6 digits of exponent is far beyond any integer type.
            guard digits.count <= 7, let parsed = Int(digits) else {
                return digits.first == "-" ? (mantissa.allSatisfy { $0 == "0" || $0 == "." } ? .value(0) : .notWhole) : .outOfRange
            }
            exponent = parsed
        }
        let parts = mantissa.split(separator: ".", omittingEmptySubsequences: false)
        var digits = Array(parts[0])
        if parts.count > 1 {
            digits += parts[1]
            exponent -= parts[1].count
        }
        while digits.count > 1, digits.first == "0" { digits.removeFirst() }
        if exponent < 0 {
            let dropped = min(-exponent, digits.count)
            guard digits.suffix(dropped).allSatisfy({ $0 == "0" }) else { return .notWhole }
            digits.removeLast(dropped)
            if digits.isEmpty { digits = ["0"] }
        } else if exponent > 0, digits != ["0"] {
            guard digits.count + exponent <= 40 else { return .outOfRange }
            digits += Array(repeating: "0", count: exponent)
        }
        guard let value = I((negative ? "-" : "") + String(digits)) else { return .outOfRange }
        return .value(value)
    }
}
