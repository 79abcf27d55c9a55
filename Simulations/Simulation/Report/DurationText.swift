/// Durations as people read them: `850 ms`, `45 s`, `12 min`, `3.5 h`, `2.1 d`.
public enum DurationText {
    public static func text(_ seconds: Double) -> String {
        guard seconds.isFinite else { return "never" }
        let magnitude = abs(seconds)
        func figure(_ value: Double, _ unit: String) -> String {
            let rounded = value >= 10 ? "\(Int(value.rounded()))" : "\(Double(Int((value * 10).rounded())) / 10)"
            return (seconds < 0 ? "-" : "") + (rounded.hasSuffix(".0") ? String(rounded.dropLast(2)) : rounded) + " " + unit
        }
        if magnitude == 0 { return "0 s" }
        if magnitude < 1 { return figure(magnitude * 1_000, "ms") }
        if magnitude < 60 { return figure(magnitude, "s") }
        if magnitude < 3_600 { return figure(magnitude / 60, "min") }
        if magnitude < 86_400 * 2 { return figure(magnitude / 3_600, "h") }
        return figure(magnitude / 86_400, "d")
    }
}
