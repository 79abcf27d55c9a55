import Foundation

/// The rules for names: identifiers, labels, GPU models and free text, each checked the same way
/// wherever it arrives (the API, an agent, the configuration file) and stated in the API document.

/// The rule for names that identify things and travel in paths, unit names and logs: tenants,
/// users, nodes, sites, regions, partitions, storage pools and the names callers give requests.
public enum Identifier {
    public static let maxLength = 64
    /// As a regular expression (also in the OpenAPI document).
    public static let pattern = "^[A-Za-z0-9]([A-Za-z0-9._-]{0,62}[A-Za-z0-9])?$"
    public static let rule = "must be 1 to 64 letters, digits, '.', '_' or '-', beginning and ending with a letter or digit"

    public static func isValid(_ name: String) -> Bool {
        let bytes = Array(name.utf8)
        guard (1...maxLength).contains(bytes.count), isAlphanumeric(bytes.first!), isAlphanumeric(bytes.last!) else { return false }
        return bytes.allSatisfy { isAlphanumeric($0) || $0 == UInt8(ascii: ".") || $0 == UInt8(ascii: "_") || $0 == UInt8(ascii: "-") }
    }

    /// Throws `invalid` naming `field` unless `name` follows the rule.
    public static func check(_ name: String, field: String) throws(ServiceError) {
        guard isValid(name) else { throw ServiceError.invalid(field, "\(rule), got '\(name.count > 80 ? String(name.prefix(80)) + "…" : name)'") }
    }

    static func isAlphanumeric(_ byte: UInt8) -> Bool {
        (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) || (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte)
            || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte)
    }
}

/// Labels (`key: value`) on nodes, catalog entries and requests' label constraints.
public enum LabelRule {
    public static let maxLength = 63
    public static let keyPattern = "^[A-Za-z0-9]([A-Za-z0-9._/-]{0,61}[A-Za-z0-9])?$"
    public static let valuePattern = "^([A-Za-z0-9]([A-Za-z0-9._-]{0,61}[A-Za-z0-9])?)?$"
    public static let keyRule = "1 to 63 letters, digits, '.', '_', '-' or '/', beginning and ending with a letter or digit"
    public static let valueRule = "up to 63 letters, digits, '.', '_' or '-', beginning and ending with a letter or digit"

    public static func isValidKey(_ key: String) -> Bool { fits(key, extra: [UInt8(ascii: "/")]) && !key.isEmpty }
    public static func isValidValue(_ value: String) -> Bool { value.isEmpty || fits(value, extra: []) }

    static func fits(_ text: String, extra: Set<UInt8>) -> Bool {
        let bytes = Array(text.utf8)
        guard bytes.count <= maxLength else { return false }
        guard let first = bytes.first, let last = bytes.last else { return true }
        guard Identifier.isAlphanumeric(first), Identifier.isAlphanumeric(last) else { return false }
        return bytes.allSatisfy { Identifier.isAlphanumeric($0) || $0 == UInt8(ascii: ".") || $0 == UInt8(ascii: "_") || $0 == UInt8(ascii: "-") || extra.contains($0) }
    }

    /// Throws `invalid` naming the first label that breaks the rule.
    public static func check(_ labels: [String: String], field: String) throws(ServiceError) {
        guard labels.count <= Limits.maxLabels else { throw ServiceError.invalid(field, "at most \(Limits.maxLabels) labels, got \(labels.count)") }
        for (key, value) in labels.sorted(by: { $0.key < $1.key }) {
            guard isValidKey(key) else { throw ServiceError.invalid("\(field).\(key)", "a label key must be \(keyRule)") }
            guard isValidValue(value) else { throw ServiceError.invalid("\(field).\(key)", "a label value must be \(valueRule)") }
        }
    }
}

/// GPU model names as agents and operators report them ("A100-SXM4-80GB", "Tesla T4").
public enum GPUModelName {
    public static let pattern = "^[A-Za-z0-9]([A-Za-z0-9 ._-]{0,62}[A-Za-z0-9])?$"
    public static let rule = "1 to 64 letters, digits, spaces, '.', '_' or '-', beginning and ending with a letter or digit"

    public static func isValid(_ name: String) -> Bool {
        let bytes = Array(name.utf8)
        guard (1...64).contains(bytes.count), Identifier.isAlphanumeric(bytes.first!), Identifier.isAlphanumeric(bytes.last!) else { return false }
        return bytes.allSatisfy { Identifier.isAlphanumeric($0) || [UInt8(ascii: " "), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "-")].contains($0) }
    }
}

/// Free text for people (names, descriptions): any characters but control characters.
public enum DisplayText {
    public static let pattern = "^[^\\u0000-\\u001f\\u007f]*$"

    public static func isValid(_ text: String, maxLength: Int) -> Bool {
        text.unicodeScalars.count <= maxLength && text.unicodeScalars.allSatisfy { $0.value >= 32 && $0.value != 127 }
    }
}

/// Moments in messages people read: UTC, to the second, ISO 8601 (`2026-11-29T17:05:10Z`).
public enum Moment {
    public static func text(_ seconds: Double) -> String {
        guard seconds.isFinite, abs(seconds) < 1e12 else { return "\(seconds) s since 1970" }
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        let c = calendar.dateComponents([.year, .month, .day, .hour, .minute, .second], from: Date(timeIntervalSince1970: seconds.rounded(.down)))
        let two = { (n: Int?) in String(n ?? 0).leftPadded(to: 2) }
        return "\(c.year ?? 0)-\(two(c.month))-\(two(c.day))T\(two(c.hour)):\(two(c.minute)):\(two(c.second))Z"
    }
}
