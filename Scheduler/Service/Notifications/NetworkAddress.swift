import Foundation

/// Whether a webhook's destination is the platform's own network: loopback, private (RFC 1918,
/// unique local), link-local (cloud metadata at 169.254.169.254 among them), shared (CGNAT) or
/// unspecified addresses, and `localhost`. A tenant's webhook must not make the scheduler call
/// those (SSRF), unless the operator allows it (`webhookPrivateAddresses`).
public enum NetworkAddress {
    /// Whether `host` (a name or a literal address, IPv6 in brackets or not) is the local network
    /// by its text alone: `localhost`, or a literal address in those ranges.
    public static func isPrivate(host: String) -> Bool {
        let name = host.lowercased().trimmingCharacters(in: CharacterSet(charactersIn: "[]."))
        if name == "localhost" || name.hasSuffix(".localhost") { return true }
        if let v4 = ipv4(name) { return isPrivate(ipv4: v4) }
        if let v6 = ipv6(name) { return isPrivate(ipv6: v6) }
        return false
    }

    /// The four bytes of a dotted IPv4 address.
    static func ipv4(_ text: String) -> [UInt8]? {
        var address = in_addr()
        guard inet_pton(AF_INET, text, &address) == 1 else { return nil }
        return withUnsafeBytes(of: address) { Array($0) }
    }

    /// The sixteen bytes of an IPv6 address.
    static func ipv6(_ text: String) -> [UInt8]? {
        var address = in6_addr()
        guard inet_pton(AF_INET6, text, &address) == 1 else { return nil }
        return withUnsafeBytes(of: address) { Array($0) }
    }

    public static func isPrivate(ipv4 b: [UInt8]) -> Bool {
        switch (b[0], b[1]) {
        case (0, _), (10, _), (127, _): true
        case (100, 64...127): true
        case (169, 254): true
        case (172, 16...31): true
        case (192, 168): true
        default: false
        }
    }

    public static func isPrivate(ipv6 b: [UInt8]) -> Bool {
        if b.allSatisfy({ $0 == 0 }) { return true }
        if b[0..<15].allSatisfy({ $0 == 0 }) && b[15] == 1 { return true }
        if b[0..<10].allSatisfy({ $0 == 0 }) && b[10] == 0xff && b[11] == 0xff { return isPrivate(ipv4: Array(b[12..<16])) }
        if b[0] & 0xfe == 0xfc { return true }
        if b[0] == 0xfe && b[1] & 0xc0 == 0x80 { return true }
        return false
    }

    /// The addresses `host` resolves to, for checking where a delivery would go. Blocks on the
    /// system's resolver: call it off Swift's cooperative pool.
    public static func resolve(_ host: String) -> [[UInt8]] {
        var hints = addrinfo()
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var result: UnsafeMutablePointer<addrinfo>?
        guard getaddrinfo(host.trimmingCharacters(in: CharacterSet(charactersIn: "[]")), nil, &hints, &result) == 0 else { return [] }
        defer { freeaddrinfo(result) }
        var addresses: [[UInt8]] = []
        var next = result
        while let info = next?.pointee {
            if info.ai_family == AF_INET, let sockaddr = info.ai_addr {
                sockaddr.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { addresses.append(withUnsafeBytes(of: $0.pointee.sin_addr) { Array($0) }) }
            } else if info.ai_family == AF_INET6, let sockaddr = info.ai_addr {
                sockaddr.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { addresses.append(withUnsafeBytes(of: $0.pointee.sin6_addr) { Array($0) }) }
            }
            next = info.ai_next
        }
        return addresses
    }

    /// Whether any address `host` resolves to is private.
    public static func resolvesPrivate(_ host: String) -> Bool {
        resolve(host).contains { $0.count == 4 ? isPrivate(ipv4: $0) : isPrivate(ipv6: $0) }
    }
}
