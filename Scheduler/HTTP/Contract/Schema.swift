import Placement
import Synchronization

/// A JSON Schema (the subset the API uses): the one statement of what the API accepts. The OpenAPI
/// document is rendered from these values, and every request body and parameter is checked against
/// them before it is decoded, so a value the document allows is never refused as malformed and a
/// value it forbids never gets through. Objects never take fields they do not list.
public indirect enum Schema: Sendable {
    case object(properties: [Property], description: String?)
    /// An object whose keys are free (labels, environment): each key and value follows a schema.
    case map(keys: StringRule, values: Schema, maxProperties: Int, description: String?)
    case array(items: Schema, minItems: Int, maxItems: Int, uniqueItems: Bool, description: String?)
    case string(StringRule)
    case integer(IntegerRule)
    case number(NumberRule)
    case boolean(description: String?)
    /// Exactly one of the choices (the document's `oneOf`).
    case oneOf([Schema], description: String?)
    /// A schema of the document's components, by name.
    case ref(String)

    public struct Property: Sendable {
        public var name: String
        public var schema: Schema
        public var required: Bool
        public var description: String?
    }

    public struct StringRule: Sendable {
        public var minLength = 0
        public var maxLength: Int
        /// A regular expression the whole string must match (written `^...$`).
        public var pattern: String?
        public var values: [String]?
        public var description: String?
    }

    public struct IntegerRule: Sendable {
        public var minimum: Int64
        public var maximum: Int64
        /// Words after the number in messages: "seconds", "MiB".
        public var unit: String?
        public var description: String?
    }

    public struct NumberRule: Sendable {
        public var minimum: Double
        public var maximum: Double
        /// Whether the minimum itself is excluded.
        public var exclusiveMinimum = false
        public var unit: String?
        public var description: String?
    }
}

// MARK: Building

extension Schema {
    /// An object none of whose fields is required: a body of it may be left out.
    var allOptional: Bool {
        if case .object(let properties, _) = self { return properties.allSatisfy { !$0.required } }
        return false
    }

    public static func object(_ properties: [Property], _ description: String? = nil) -> Schema {
        .object(properties: properties, description: description)
    }

    public static func string(maxLength: Int, minLength: Int = 0, pattern: String? = nil, _ description: String? = nil) -> Schema {
        .string(StringRule(minLength: minLength, maxLength: maxLength, pattern: pattern, description: description))
    }

    /// One of a fixed set of strings.
    public static func choice(_ values: [String], _ description: String? = nil) -> Schema {
        .string(StringRule(minLength: 1, maxLength: values.map(\.count).max() ?? 1, values: values, description: description))
    }

    public static func integer(_ range: ClosedRange<Int64>, unit: String? = nil, _ description: String? = nil) -> Schema {
        .integer(IntegerRule(minimum: range.lowerBound, maximum: range.upperBound, unit: unit, description: description))
    }

    public static func number(_ range: ClosedRange<Double>, excludingMinimum: Bool = false, unit: String? = nil, _ description: String? = nil) -> Schema {
        .number(NumberRule(minimum: range.lowerBound, maximum: range.upperBound, exclusiveMinimum: excludingMinimum, unit: unit, description: description))
    }

    public static func list(_ items: Schema, max: Int, min: Int = 0, unique: Bool = false, _ description: String? = nil) -> Schema {
        .array(items: items, minItems: min, maxItems: max, uniqueItems: unique, description: description)
    }

    public static var boolean: Schema { .boolean(description: nil) }
}

extension Schema.Property {
    public static func required(_ name: String, _ schema: Schema, _ description: String? = nil) -> Self {
        Self(name: name, schema: schema, required: true, description: description)
    }

    public static func optional(_ name: String, _ schema: Schema, _ description: String? = nil) -> Self {
        Self(name: name, schema: schema, required: false, description: description)
    }
}

// MARK: Checking

/// The schemas of the document's components, for `ref`.
public struct SchemaRegistry: Sendable {
    public var schemas: [String: Schema]

    public init(_ schemas: [String: Schema]) {
        self.schemas = schemas
    }

    /// Throws naming the first field of `node` that `schema` does not allow.
    public func check(_ node: JSONNode, against schema: Schema, at path: String = "") throws(JSONInputError) {
        func fail(_ message: String) -> JSONInputError { JSONInputError(field: path, line: node.line, message: message) }
        func child(_ name: String) -> String { path.isEmpty ? name : "\(path).\(name)" }
        switch schema {
        case .ref(let name):
            guard let target = schemas[name] else { preconditionFailure("the contract has no schema \(name)") }
            try check(node, against: target, at: path)
        case .object(let properties, _):
            guard case .object(let members) = node.value else { throw fail(mismatch(node, "an object")) }
            // A typo first: `second` for `seconds` is better said as such than as a missing field.
            for member in members where !properties.contains(where: { $0.name == member.key }) {
                throw JSONInputError(field: child(member.key), line: member.value.line, message: unknownField(member.key, known: properties.map(\.name)))
            }
            for property in properties where property.required && !members.contains(where: { $0.key == property.name }) {
                throw JSONInputError(field: child(property.name), line: node.line, message: "is required")
            }
            for member in members {
                try check(member.value, against: properties.first { $0.name == member.key }!.schema, at: child(member.key))
            }
        case .map(let keys, let values, let maxProperties, _):
            guard case .object(let members) = node.value else { throw fail(mismatch(node, "an object")) }
            guard members.count <= maxProperties else { throw fail("has \(members.count) entries; at most \(maxProperties) are allowed") }
            for member in members {
                if let problem = Self.problem(member.key, keys) {
                    throw JSONInputError(field: child(member.key), line: member.value.line, message: "the key '\(member.key)' is refused: \(problem)")
                }
                try check(member.value, against: values, at: child(member.key))
            }
        case .array(let items, let minItems, let maxItems, let unique, _):
            guard case .array(let elements) = node.value else { throw fail(mismatch(node, "a list")) }
            guard elements.count >= minItems else { throw fail("needs at least \(minItems) element\(minItems == 1 ? "" : "s")") }
            guard elements.count <= maxItems else { throw fail("has \(elements.count) elements; at most \(maxItems) are allowed") }
            var seen: Set<String> = []
            for (i, element) in elements.enumerated() {
                try check(element, against: items, at: "\(path)[\(i)]")
                guard unique else { continue }
                // Strings by their text, numbers by their value (`1` and `1.0` are the same; whole
                // numbers exactly, beyond a double's 53 bits).
                let key: String? = switch element.value {
                case .string(let text): "s" + text
                case .number(let text):
                    if case .value(let whole) = JSONNumber.integer(text, as: Int64.self) { "n\(whole)" } else { Double(text).map { "n\($0)" } }
                default: nil
                }
                if let key, !seen.insert(key).inserted {
                    let shown = if case .string(let text) = element.value { "'\(text)'" } else { key.dropFirst().description }
                    throw JSONInputError(field: "\(path)[\(i)]", line: element.line, message: "\(shown) appears twice")
                }
            }
        case .string(let rule):
            guard case .string(let text) = node.value else { throw fail(mismatch(node, "a string")) }
            if let problem = Self.problem(text, rule) { throw fail(problem) }
        case .integer(let rule):
            guard case .number(let text) = node.value else { throw fail(mismatch(node, "a whole number")) }
            let range = "between \(rule.minimum) and \(rule.maximum)\(rule.unit.map { " \($0)" } ?? "")"
            switch JSONNumber.integer(text, as: Int64.self) {
            case .notWhole: throw fail("must be a whole number, got \(text)")
            case .outOfRange: throw fail("must be \(range), got \(text)")
            case .value(let value): guard (rule.minimum...rule.maximum).contains(value) else { throw fail("must be \(range), got \(text)") }
            }
        case .number(let rule):
            guard case .number(let text) = node.value else { throw fail(mismatch(node, "a number")) }
            let value = Double(text) ?? .infinity
            let low = rule.exclusiveMinimum ? value > rule.minimum : value >= rule.minimum
            guard value.isFinite, low, value <= rule.maximum else {
                let lower = rule.exclusiveMinimum ? "more than \(Self.number(rule.minimum))" : "at least \(Self.number(rule.minimum))"
                throw fail("must be \(lower) and at most \(Self.number(rule.maximum))\(rule.unit.map { " \($0)" } ?? ""), got \(text)")
            }
        case .boolean:
            guard case .bool = node.value else { throw fail(mismatch(node, "true or false")) }
        case .oneOf(let choices, _):
            var errors: [JSONInputError] = []
            for choice in choices {
                do {
                    try check(node, against: choice, at: path)
                } catch {
                    errors.append(error)
                }
            }
            let passed = choices.count - errors.count
            if passed == 1 { return }
            if passed > 1 { throw fail("matches more than one of the allowed forms") }
            throw explain(node, choices: choices, errors: errors, at: path)
        }
    }

    /// Why an object matches none of the forms of a `oneOf`, said from the form it was meant to
    /// be: the one whose constant fields (`kind: offering`) and distinguishing required fields
    /// (`vm` rather than `service`) it has. When it has none, or several, that is the error.
    func explain(_ node: JSONNode, choices: [Schema], errors: [JSONInputError], at path: String) -> JSONInputError {
        func child(_ name: String) -> String { path.isEmpty ? name : "\(path).\(name)" }
        let forms: [[Schema.Property]] = choices.map { choice in
            var schema = choice
            while case .ref(let name) = schema, let target = schemas[name] { schema = target }
            if case .object(let properties, _) = schema { return properties }
            return []
        }
        guard case .object(let members) = node.value, forms.allSatisfy({ !$0.isEmpty }) else {
            return errors.max { $0.field.count < $1.field.count }!
        }
        func constant(_ property: Schema.Property) -> String? {
            if case .string(let rule) = property.schema, let values = rule.values, values.count == 1 { return values[0] }
            return nil
        }
        // A field every form fixes to its own value tells the forms apart.
        let constantNames = forms.map { Set($0.filter { constant($0) != nil }.map(\.name)) }
        if let key = constantNames.dropFirst().reduce(constantNames[0], { $0.intersection($1) }).sorted().first {
            let values = forms.map { form in form.first { $0.name == key }.flatMap(constant)! }
            guard let member = members.first(where: { $0.key == key }) else {
                return JSONInputError(field: child(key), line: node.line, message: "is required: one of \(values.joined(separator: ", "))")
            }
            guard case .string(let given) = member.value.value, let form = values.firstIndex(of: given) else {
                return JSONInputError(field: child(key), line: member.value.line, message: "must be one of \(values.joined(separator: ", "))")
            }
            return errors[form]
        }
        // Otherwise the required fields only one form has.
        let required = forms.map { Set($0.filter(\.required).map(\.name)) }
        let distinguishing = required.enumerated().map { i, names in names.subtracting(required.enumerated().filter { $0.offset != i }.flatMap(\.element)) }
        let present = Set(members.map(\.key))
        let candidates = distinguishing.indices.filter { !distinguishing[$0].isEmpty && distinguishing[$0].isSubset(of: present) }
        let names = distinguishing.flatMap { $0.sorted() }
        switch candidates.count {
        case 1: return errors[candidates[0]]
        case 0: return JSONInputError(field: path.isEmpty ? names.first ?? "" : path, line: node.line, message: "needs one of: \(names.joined(separator: ", "))")
        default: return JSONInputError(field: path.isEmpty ? names.first ?? "" : path, line: node.line, message: "give only one of: \(names.joined(separator: ", "))")
        }
    }

    func mismatch(_ node: JSONNode, _ expected: String) -> String {
        if case .null = node.value { return "must be \(expected), not null" }
        return "must be \(expected), got \(node.kindDescription)"
    }

    func unknownField(_ name: String, known: [String]) -> String {
        if let near = Suggestion.nearest(name, among: known) {
            return "unknown field '\(name)'; did you mean '\(near)'?"
        }
        return "unknown field '\(name)'; known: \(known.sorted().joined(separator: ", "))"
    }

    /// What is wrong with `text` under `rule`, or nil.
    static func problem(_ text: String, _ rule: Schema.StringRule) -> String? {
        let length = text.unicodeScalars.count
        if let values = rule.values {
            return values.contains(text) ? nil : "unknown value '\(shortened(text))'; known: \(values.joined(separator: ", "))"
        }
        if length < rule.minLength { return rule.minLength == 1 ? "must not be empty" : "must be at least \(rule.minLength) characters long" }
        if length > rule.maxLength { return "must be at most \(rule.maxLength) characters long, got \(length)" }
        if let pattern = rule.pattern, !PatternCache.matches(text, pattern) {
            return "'\(shortened(text))' does not match \(rule.description.map { "the rule: \($0)" } ?? "the pattern \(pattern)")"
        }
        return nil
    }

    static func shortened(_ text: String) -> String {
        let visible = String(String.UnicodeScalarView(text.unicodeScalars.map { $0.value < 32 || $0.value == 127 ? "?" : $0 }))
        return visible.count > 60 ? String(visible.prefix(60)) + "…" : visible
    }

    static func number(_ value: Double) -> String {
        value == value.rounded() && abs(value) < 1e15 ? String(Int64(value)) : String(value)
    }
}

/// Compiled patterns, matched as ECMAScript does: on Unicode scalars, the whole string.
enum PatternCache {
    private static let compiled = Mutex<[String: Regex<AnyRegexOutput>]>([:])

    static func matches(_ text: String, _ pattern: String) -> Bool {
        let regex = compiled.withLock { cache in
            if let regex = cache[pattern] { return regex }
            var body = Substring(pattern)
            if body.hasPrefix("^") { body = body.dropFirst() }
            if body.hasSuffix("$") { body = body.dropLast() }
            let regex = try! Regex(String(body)).matchingSemantics(.unicodeScalar)
            cache[pattern] = regex
            return regex
        }
        // Matched outside the lock: calls on other threads check their patterns meanwhile.
        return (try? regex.wholeMatch(in: text)) != nil
    }
}
