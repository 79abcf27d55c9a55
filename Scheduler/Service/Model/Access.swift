/// How widely a catalog entry is shared, in the sense of the government data-sharing catalogues:
/// open to every department, shared on conditions (an approved application), or restricted to
/// those an owner and the platform admit one by one.
public enum Sharing: String, Sendable, Hashable, Codable, CaseIterable {
    /// Any tenant may use it; no grant is needed.
    case open
    /// Usable under a grant, which an application approved by the entry's owner gives.
    case conditional
    /// Usable under a grant, which an application approved by the owner and the platform gives.
    case restricted
}

/// Who a user is, as the city's guidelines tell users apart when they apply for resources.
public enum UserKind: String, Sendable, Hashable, Codable, CaseIterable {
    case government, enterprise, research, `public`
}

/// Protection levels of entries and clearances of users, 1 (lowest) to 4, in the spirit of
/// GB/T 22239's graded protection: a user may apply only for entries at or below its clearance,
/// and entries at `reviewedBySecurity` or above need a security officer's approval.
public enum SecurityLevel {
    public static let range: ClosedRange<Int> = 1...4
    public static let reviewedBySecurity = 3

    static func check(_ level: Int, field: String) throws(ServiceError) {
        guard range.contains(level) else { throw ServiceError.invalid(field, "must be \(range.lowerBound) to \(range.upperBound), got \(level)") }
    }
}
