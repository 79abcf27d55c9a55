/// A dimension of capacity that a request can exhaust on a node.
public enum Dimension: String, Sendable, Hashable, Codable, CaseIterable, Comparable {
    case cpu, memory, disk, bandwidth, gpu, storage

    public static func < (lhs: Dimension, rhs: Dimension) -> Bool {
        allCases.firstIndex(of: lhs)! < allCases.firstIndex(of: rhs)!
    }
}

/// The scalar resource vector of a node or of one replica of a request.
///
/// GPUs are not part of this vector: they are tracked device by device (`GPUDevice`, `GPURequest`),
/// because a fractional request must fit on one physical GPU.
public struct Resources: Sendable, Hashable, Codable {
    /// CPU in thousandths of a core.
    public var cpuMillis: Int64
    public var memoryMiB: Int64
    /// Local disk.
    public var diskGiB: Int64
    /// Network bandwidth reserved on the node's uplink.
    public var bandwidthMbps: Int64

    public init(cpuMillis: Int64 = 0, memoryMiB: Int64 = 0, diskGiB: Int64 = 0, bandwidthMbps: Int64 = 0) {
        self.cpuMillis = cpuMillis
        self.memoryMiB = memoryMiB
        self.diskGiB = diskGiB
        self.bandwidthMbps = bandwidthMbps
    }

    public static let zero = Resources()

    /// The scalar dimensions, in the order `value(of:)` reads them.
    public static let dimensions: [Dimension] = [.cpu, .memory, .disk, .bandwidth]

    /// The amount in one scalar dimension (0 for `gpu` and `storage`, which are tracked elsewhere).
    public func value(of dimension: Dimension) -> Int64 {
        switch dimension {
        case .cpu: cpuMillis
        case .memory: memoryMiB
        case .disk: diskGiB
        case .bandwidth: bandwidthMbps
        case .gpu, .storage: 0
        }
    }

    /// The first dimension in which `self` does not fit into `available`, or nil when it fits.
    @inlinable
    public func firstExceeded(in available: Resources) -> Dimension? {
        if cpuMillis > available.cpuMillis { return .cpu }
        if memoryMiB > available.memoryMiB { return .memory }
        if diskGiB > available.diskGiB { return .disk }
        if bandwidthMbps > available.bandwidthMbps { return .bandwidth }
        return nil
    }

    @inlinable
    public func fits(in available: Resources) -> Bool {
        cpuMillis <= available.cpuMillis && memoryMiB <= available.memoryMiB
            && diskGiB <= available.diskGiB && bandwidthMbps <= available.bandwidthMbps
    }

    /// The largest value of each dimension.
    public func componentMax(_ other: Resources) -> Resources {
        Resources(
            cpuMillis: max(cpuMillis, other.cpuMillis), memoryMiB: max(memoryMiB, other.memoryMiB),
            diskGiB: max(diskGiB, other.diskGiB), bandwidthMbps: max(bandwidthMbps, other.bandwidthMbps))
    }

    @inlinable
    public static func + (lhs: Resources, rhs: Resources) -> Resources {
        Resources(
            cpuMillis: lhs.cpuMillis + rhs.cpuMillis, memoryMiB: lhs.memoryMiB + rhs.memoryMiB,
            diskGiB: lhs.diskGiB + rhs.diskGiB, bandwidthMbps: lhs.bandwidthMbps + rhs.bandwidthMbps)
    }

    @inlinable
    public static func - (lhs: Resources, rhs: Resources) -> Resources {
        Resources(
            cpuMillis: lhs.cpuMillis - rhs.cpuMillis, memoryMiB: lhs.memoryMiB - rhs.memoryMiB,
            diskGiB: lhs.diskGiB - rhs.diskGiB, bandwidthMbps: lhs.bandwidthMbps - rhs.bandwidthMbps)
    }

    public static func += (lhs: inout Resources, rhs: Resources) { lhs = lhs + rhs }
    public static func -= (lhs: inout Resources, rhs: Resources) { lhs = lhs - rhs }

    /// Saturating: an absurd request multiplied by its replicas stays comparable instead of trapping.
    public static func * (lhs: Resources, factor: Int64) -> Resources {
        Resources(
            cpuMillis: saturatingProduct(lhs.cpuMillis, factor), memoryMiB: saturatingProduct(lhs.memoryMiB, factor),
            diskGiB: saturatingProduct(lhs.diskGiB, factor), bandwidthMbps: saturatingProduct(lhs.bandwidthMbps, factor))
    }

    /// The largest amount of any dimension a node may have (about a trillion units).
    public static let maximumAmount: Int64 = 1 << 40
}

/// `a * b`, clamped to the range of Int64.
func saturatingProduct(_ a: Int64, _ b: Int64) -> Int64 {
    let (product, overflow) = a.multipliedReportingOverflow(by: b)
    guard overflow else { return product }
    return (a < 0) != (b < 0) ? .min : .max
}
