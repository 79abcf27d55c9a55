import Foundation

/// Where the scheduler reads the time: seconds since 1970. Injected so tests control leases,
/// deadlines and health.
public protocol WallClock: Sendable {
    func now() -> Double
}

/// The machine's clock.
public struct SystemWallClock: WallClock {
    public init() {}
    public func now() -> Double { Date().timeIntervalSince1970 }
}
