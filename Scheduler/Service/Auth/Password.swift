import HummingbirdBcrypt

/// Portal passwords: kept only as bcrypt hashes (cost 12, about a quarter of a second to check,
/// which is what makes guessing slow).
public enum Password {
    /// Bcrypt reads at most 72 bytes; a longer password would be cut without a word.
    public static let lengthRange = 10...72

    /// The hash to store, or `invalid` naming `field` for a password too short or too long.
    static func hash(_ password: String, field: String) throws(ServiceError) -> String {
        guard lengthRange.contains(password.utf8.count) else {
            throw ServiceError.invalid(field, "a password has \(lengthRange.lowerBound) to \(lengthRange.upperBound) bytes, got \(password.utf8.count)")
        }
        return Bcrypt.hash(password, cost: 12)
    }

    /// Whether `password` matches `hash`. Without a hash (no such user, or one without a
    /// password) a hash of the same cost is still checked, so that the answer takes as long.
    static func verify(_ password: String, hash: String?) -> Bool {
        guard let hash else {
            _ = Bcrypt.verify(password, hash: absentHash)
            return false
        }
        return Bcrypt.verify(password, hash: hash)
    }

    private static let absentHash = Bcrypt.hash("no user has this password", cost: 12)
}
