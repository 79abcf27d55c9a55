/// "Did you mean …?" for a name someone typed: the known name one edit away, or two with the same
/// first letter (`leaseSecond` → `leaseSeconds`, `nmae` → `name`, not `gpus` → `cpu`). Shared by
/// every reader of hand-written input: the API, the configuration file, scenarios and traces.
public enum Suggestion {
    public static func nearest(_ typed: String, among names: some Sequence<String>) -> String? {
        let candidates = names.map { ($0, distance($0, typed)) }.filter { name, distance in
            distance <= 1 || (distance == 2 && name.lowercased().first == typed.lowercased().first)
        }
        return candidates.min { ($0.1, $0.0) < ($1.1, $1.0) }?.0
    }

    /// Levenshtein distance, ignoring case.
    public static func distance(_ a: String, _ b: String) -> Int {
        let a = Array(a.lowercased()), b = Array(b.lowercased())
        guard !a.isEmpty, !b.isEmpty else { return max(a.count, b.count) }
        var previous = Array(0...b.count)
        for i in 1...a.count {
            var current = [i] + Array(repeating: 0, count: b.count)
            for j in 1...b.count {
                current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
            }
            previous = current
        }
        return previous[b.count]
    }
}
