import Crypto

/// Bearer tokens: random, shown once, stored only as a SHA-256 hash.
public enum Token {
    /// A new token: a prefix naming its use and 32 random bytes in hex.
    public static func generate<G: RandomNumberGenerator>(prefix: String, using generator: inout G) -> String {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(32)
        for _ in 0..<4 {
            let word = generator.next()
            for shift in stride(from: 0, to: 64, by: 8) { bytes.append(UInt8(truncatingIfNeeded: word >> UInt64(shift))) }
        }
        return prefix + "_" + hex(bytes)
    }

    /// A new token from the system's secure generator.
    public static func generate(prefix: String) -> String {
        var generator = SystemRandomNumberGenerator()
        return generate(prefix: prefix, using: &generator)
    }

    /// The hash under which a token is stored and looked up (hex SHA-256).
    public static func hash(_ token: String) -> String {
        hex(Array(SHA256.hash(data: Array(token.utf8))))
    }

    private static func hex(_ bytes: [UInt8]) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count * 2)
        for byte in bytes {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 0x0f)])
        }
        return String(decoding: out, as: UTF8.self)
    }
}
