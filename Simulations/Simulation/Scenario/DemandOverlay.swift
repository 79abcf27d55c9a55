/// A what-if on a scenario's demand: the arrival rate of some generators (and the calls of some
/// services) times a factor. `SELECTOR=FACTOR`, the selector a generator or service name, a
/// workload kind (`ai-training`, `service`, ...) or `all`.
public struct DemandOverlay: Sendable, Hashable {
    public var selector: String
    public var factor: Double

    public init(selector: String, factor: Double) {
        self.selector = selector
        self.factor = factor
    }

    /// Reads `SELECTOR=FACTOR`; nil with the reason when it is malformed.
    public static func parse(_ text: String) -> Result<DemandOverlay, DemandOverlayError> {
        let parts = text.split(separator: "=", maxSplits: 1).map(String.init)
        guard parts.count == 2, !parts[0].isEmpty, let factor = Double(parts[1]), factor.isFinite, factor >= 0, factor <= 1_000 else {
            return .failure(DemandOverlayError(message: "'\(text)' is not SELECTOR=FACTOR with a factor from 0 to 1000 (ai-training=1.3, all=1.2)"))
        }
        return .success(DemandOverlay(selector: parts[0], factor: factor))
    }
}

public struct DemandOverlayError: Error, Sendable, CustomStringConvertible {
    public var message: String
    public var description: String { message }
}

extension Scenario {
    /// The scenario with `overlay` applied. Throws when it selects nothing (traces are replayed
    /// as recorded and are never scaled).
    public func applying(_ overlay: DemandOverlay) throws(DemandOverlayError) -> Scenario {
        var scenario = self
        var matched = 0
        for i in scenario.generators.indices
        where ["all", scenario.generators[i].name, scenario.generators[i].kind.rawValue].contains(overlay.selector) {
            scenario.generators[i].arrivals.perHour *= overlay.factor
            matched += 1
        }
        for i in scenario.services.indices where ["all", "service", scenario.services[i].name].contains(overlay.selector) {
            scenario.services[i].callsPerSecond *= overlay.factor
            matched += 1
        }
        guard matched > 0 else {
            let names = (scenario.generators.map(\.name) + scenario.services.map(\.name)).joined(separator: ", ")
            throw DemandOverlayError(message: "'\(overlay.selector)' selects no generator or service of \(name) (\(names.isEmpty ? "it has none" : names); or a workload kind, or all)")
        }
        return scenario
    }
}
