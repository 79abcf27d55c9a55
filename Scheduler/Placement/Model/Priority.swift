/// The priority class a request is submitted in.
public enum PriorityClass: String, Sendable, Hashable, Codable, CaseIterable {
    case critical, emergency, production, standard, batch
    case bestEffort = "best-effort"
}

/// The numeric band of a priority class and whether it may preempt strictly lower bands.
public struct PriorityBand: Sendable, Hashable, Codable {
    public var value: Int
    public var mayPreempt: Bool

    public init(value: Int, mayPreempt: Bool) {
        self.value = value
        self.mayPreempt = mayPreempt
    }
}

/// Maps each priority class to its band. Configurable; the defaults let the three top classes preempt.
public struct PriorityTable: Sendable, Hashable, Codable {
    public var bands: [PriorityClass: PriorityBand]

    public init(bands: [PriorityClass: PriorityBand]) {
        self.bands = bands
    }

    public static let standard = PriorityTable(bands: [
        .critical: PriorityBand(value: 1000, mayPreempt: true),
        .emergency: PriorityBand(value: 900, mayPreempt: true),
        .production: PriorityBand(value: 700, mayPreempt: true),
        .standard: PriorityBand(value: 500, mayPreempt: false),
        .batch: PriorityBand(value: 300, mayPreempt: false),
        .bestEffort: PriorityBand(value: 100, mayPreempt: false),
    ])

    public func band(of priority: PriorityClass) -> PriorityBand {
        bands[priority] ?? PriorityTable.standard.bands[priority]!
    }
}
