import HummingbirdBcrypt

/// Portal passwords: kept only as bcrypt hashes (cost 12, about a quarter of a second to check,
/// which is what makes guessing slow).
public enum Password {
    /// Bcrypt reads at most 72 bytes; a longer password would be cut without a word.
    public static let lengthRange = 10...72

    /// The hash to store; `invalid` naming `field` for a password too short, `unprocessable` for
    /// one within 72 characters but over 72 bytes (what a schema of characters cannot say).
    static func hash(_ password: String, field: String) throws(ServiceError) -> String {
        let bytes = password.utf8.count
        guard bytes >= lengthRange.lowerBound else {
            throw ServiceError.invalid(field, "a password has \(lengthRange.lowerBound) to \(lengthRange.upperBound) bytes, got \(bytes)")
        }
        guard bytes <= lengthRange.upperBound else {
            throw ServiceError.unprocessable(
                field, "a password has at most \(lengthRange.upperBound) bytes (bcrypt reads no more), got \(bytes): characters beyond ASCII take 2 to 4 bytes each")
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
