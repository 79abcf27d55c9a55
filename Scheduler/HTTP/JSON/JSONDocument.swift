/// A JSON text parsed strictly (RFC 8259), keeping what a good error message needs: the line each
/// value starts on and every number as it was written, so that a number too large for its field is
/// reported as such instead of being rounded or called invalid JSON.
///
/// Refused: anything after the value, duplicate keys in one object, strings that are not UTF-8
/// or hold unescaped control characters or lone surrogates, and nesting deeper than `maxDepth`
/// (a hostile `[[[[...` must not exhaust the stack).
public struct JSONNode: Sendable {
    public enum Value: Sendable {
        case null
        case bool(Bool)
        /// The number's literal text, valid JSON number syntax.
        case number(String)
        case string(String)
        case array([JSONNode])
        case object([Member])
    }

    public struct Member: Sendable {
        public var key: String
        public var value: JSONNode
    }

    public var value: Value
    /// 1-based line of the value's first character.
    public var line: Int
    /// Numbers objects in document order, so that a decoder can tell which keys of which object it read.
    var objectID: Int

    /// What the value is, in words, for messages: "a string", "a number", ...
    var kindDescription: String {
        switch value {
        case .null: "null"
        case .bool: "true or false"
        case .number: "a number"
        case .string: "a string"
        case .array: "a list"
        case .object: "an object"
        }
    }

    /// Parses `bytes` as one JSON value.
    public static func parse(_ bytes: [UInt8], maxDepth: Int = 64) throws(JSONInputError) -> JSONNode {
        var parser = JSONParser(bytes: bytes, maxDepth: maxDepth)
        parser.skipWhitespace()
        guard parser.index < bytes.count else {
            throw JSONInputError(field: "", line: 1, message: "is empty: a JSON value is expected")
        }
        let node = try parser.value(depth: 0, path: "")
        parser.skipWhitespace()
        guard parser.index == bytes.count else { throw parser.error("unexpected text after the JSON value") }
        return node
    }
}

/// Input that cannot be read as the value expected: where (a field path such as `requests[3].cpu`,
/// empty for the document itself, and the line) and why, in words for the person who wrote it.
public struct JSONInputError: Error, Sendable, Hashable, CustomStringConvertible {
    public var field: String
    public var line: Int
    public var message: String

    public init(field: String, line: Int, message: String) {
        self.field = field
        self.line = line
        self.message = message
    }

    public var description: String { field.isEmpty ? "line \(line): \(message)" : "line \(line): field '\(field)': \(message)" }
}

/// A recursive-descent parser over UTF-8 bytes.
struct JSONParser {
    let bytes: [UInt8]
    let maxDepth: Int
    var index = 0
    var line = 1
    var lineStart = 0
    var objects = 0

    init(bytes: [UInt8], maxDepth: Int) {
        self.bytes = bytes
        self.maxDepth = maxDepth
    }

    func error(_ message: String) -> JSONInputError {
        JSONInputError(field: "", line: line, message: "column \(index - lineStart + 1): \(message)")
    }

    mutating func skipWhitespace() {
        while index < bytes.count {
            switch bytes[index] {
            case UInt8(ascii: " "), UInt8(ascii: "\t"), UInt8(ascii: "\r"): index += 1
            case UInt8(ascii: "\n"):
                index += 1
                line += 1
                lineStart = index
            default: return
            }
        }
    }

    /// The value at the parser's position; `path` is its field path (`requests[3].gpu`), which
    /// names a field given twice.
    mutating func value(depth: Int, path: String) throws(JSONInputError) -> JSONNode {
        guard depth < maxDepth else { throw error("nested deeper than \(maxDepth) levels") }
        guard index < bytes.count else { throw error("the text ends where a value is expected") }
        let startLine = line
        switch bytes[index] {
        case UInt8(ascii: "{"): return try object(depth: depth, path: path)
        case UInt8(ascii: "["):
            index += 1
            var elements: [JSONNode] = []
            skipWhitespace()
            if index < bytes.count, bytes[index] == UInt8(ascii: "]") {
                index += 1
                return JSONNode(value: .array(elements), line: startLine, objectID: -1)
            }
            while true {
                skipWhitespace()
                elements.append(try value(depth: depth + 1, path: "\(path)[\(elements.count)]"))
                skipWhitespace()
                guard index < bytes.count else { throw error("the text ends inside a list") }
                if bytes[index] == UInt8(ascii: ",") {
                    index += 1
                } else if bytes[index] == UInt8(ascii: "]") {
                    index += 1
                    return JSONNode(value: .array(elements), line: startLine, objectID: -1)
                } else {
                    throw error("expected ',' or ']' in a list")
                }
            }
        case UInt8(ascii: "\""): return JSONNode(value: .string(try string()), line: startLine, objectID: -1)
        case UInt8(ascii: "t"): try literal("true"); return JSONNode(value: .bool(true), line: startLine, objectID: -1)
        case UInt8(ascii: "f"): try literal("false"); return JSONNode(value: .bool(false), line: startLine, objectID: -1)
        case UInt8(ascii: "n"): try literal("null"); return JSONNode(value: .null, line: startLine, objectID: -1)
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return JSONNode(value: .number(try number()), line: startLine, objectID: -1)
        default: throw error("expected a value (an object, a list, a string, a number, true, false or null)")
        }
    }

    mutating func object(depth: Int, path: String) throws(JSONInputError) -> JSONNode {
        let startLine = line
        let id = objects
        objects += 1
        index += 1
        var members: [JSONNode.Member] = []
        var seen: Set<String> = []
        skipWhitespace()
        if index < bytes.count, bytes[index] == UInt8(ascii: "}") {
            index += 1
            return JSONNode(value: .object(members), line: startLine, objectID: id)
        }
        while true {
            skipWhitespace()
            guard index < bytes.count, bytes[index] == UInt8(ascii: "\"") else { throw error("expected a field name in double quotes") }
            let key = try string()
            guard seen.insert(key).inserted else {
                throw JSONInputError(field: path.isEmpty ? key : "\(path).\(key)", line: line, message: "appears twice in the same object")
            }
            skipWhitespace()
            guard index < bytes.count, bytes[index] == UInt8(ascii: ":") else { throw error("expected ':' after the field name \"\(key)\"") }
            index += 1
            skipWhitespace()
            members.append(JSONNode.Member(key: key, value: try value(depth: depth + 1, path: path.isEmpty ? key : "\(path).\(key)")))
            skipWhitespace()
            guard index < bytes.count else { throw error("the text ends inside an object") }
            if bytes[index] == UInt8(ascii: ",") {
                index += 1
            } else if bytes[index] == UInt8(ascii: "}") {
                index += 1
                return JSONNode(value: .object(members), line: startLine, objectID: id)
            } else {
                throw error("expected ',' or '}' after the value of \"\(key)\"")
            }
        }
    }

    mutating func literal(_ word: StaticString) throws(JSONInputError) {
        let expected = UnsafeBufferPointer(start: word.utf8Start, count: word.utf8CodeUnitCount)
        guard bytes.count - index >= expected.count, zip(bytes[index...], expected).allSatisfy({ $0 == $1 }) else {
            throw error("expected a value (an object, a list, a string, a number, true, false or null)")
        }
        index += expected.count
    }

    /// A number's text, checked against JSON's grammar: `-? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?`.
    mutating func number() throws(JSONInputError) -> String {
        let start = index
        func digits(_ index: inout Int, _ bytes: [UInt8]) -> Int {
            let from = index
            while index < bytes.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[index]) { index += 1 }
            return index - from
        }
        if bytes[index] == UInt8(ascii: "-") { index += 1 }
        guard index < bytes.count else { throw error("a number needs digits") }
        if bytes[index] == UInt8(ascii: "0") {
            index += 1
        } else if digits(&index, bytes) == 0 {
            throw error("a number needs digits")
        }
        if index < bytes.count, bytes[index] == UInt8(ascii: ".") {
            index += 1
            guard digits(&index, bytes) > 0 else { throw error("a number needs digits after its decimal point") }
        }
        if index < bytes.count, bytes[index] == UInt8(ascii: "e") || bytes[index] == UInt8(ascii: "E") {
            index += 1
            if index < bytes.count, bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-") { index += 1 }
            guard digits(&index, bytes) > 0 else { throw error("a number needs digits in its exponent") }
        }
        if index < bytes.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[index]) {
            throw error("a number must not start with 0 unless it is 0")
        }
        return String(decoding: bytes[start..<index], as: UTF8.self)
    }

    /// A string at `index` (the opening quote), escapes resolved.
    mutating func string() throws(JSONInputError) -> String {
        index += 1
        var scalars = String.UnicodeScalarView()
        var run = index
        func flush(_ parser: JSONParser, _ run: Int, into scalars: inout String.UnicodeScalarView) throws(JSONInputError) {
            guard run < parser.index else { return }
            guard let text = String(validating: parser.bytes[run..<parser.index], as: UTF8.self) else {
                throw parser.error("a string is not valid UTF-8")
            }
            scalars.append(contentsOf: text.unicodeScalars)
        }
        while true {
            guard index < bytes.count else { throw error("the text ends inside a string") }
            let byte = bytes[index]
            if byte == UInt8(ascii: "\"") {
                try flush(self, run, into: &scalars)
                index += 1
                return String(scalars)
            }
            if byte < 0x20 { throw error("a string holds a control character: write it as an escape such as \\n") }
            guard byte == UInt8(ascii: "\\") else {
                index += 1
                continue
            }
            try flush(self, run, into: &scalars)
            index += 1
            guard index < bytes.count else { throw error("the text ends inside a string") }
            let escape = bytes[index]
            index += 1
            switch escape {
            case UInt8(ascii: "\""): scalars.append("\"")
            case UInt8(ascii: "\\"): scalars.append("\\")
            case UInt8(ascii: "/"): scalars.append("/")
            case UInt8(ascii: "b"): scalars.append("\u{8}")
            case UInt8(ascii: "f"): scalars.append("\u{c}")
            case UInt8(ascii: "n"): scalars.append("\n")
            case UInt8(ascii: "r"): scalars.append("\r")
            case UInt8(ascii: "t"): scalars.append("\t")
            case UInt8(ascii: "u"):
                let unit = try hex4()
                if (0xD800...0xDBFF).contains(unit) {
                    guard bytes.count - index >= 6, bytes[index] == UInt8(ascii: "\\"), bytes[index + 1] == UInt8(ascii: "u") else {
                        throw error("a string holds a lone surrogate \\u\(String(unit, radix: 16))")
                    }
                    index += 2
                    let low = try hex4()
                    guard (0xDC00...0xDFFF).contains(low) else { throw error("a string holds a lone surrogate \\u\(String(unit, radix: 16))") }
                    scalars.append(Unicode.Scalar(0x10000 + ((unit - 0xD800) << 10) + (low - 0xDC00))!)
                } else if let scalar = Unicode.Scalar(unit) {
                    scalars.append(scalar)
                } else {
                    throw error("a string holds a lone surrogate \\u\(String(unit, radix: 16))")
                }
            default:
                throw error("a string holds an unknown escape \\\(Character(Unicode.Scalar(escape)))")
            }
            run = index
        }
    }

    mutating func hex4() throws(JSONInputError) -> UInt32 {
        guard bytes.count - index >= 4 else { throw error("\\u needs four hexadecimal digits") }
        var value: UInt32 = 0
        for byte in bytes[index..<index + 4] {
            let digit: UInt8
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = byte - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = byte - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = byte - UInt8(ascii: "A") + 10
            default: throw error("\\u needs four hexadecimal digits")
            }
            value = value << 4 | UInt32(digit)
        }
        index += 4
        return value
    }
}
