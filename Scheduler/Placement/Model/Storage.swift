/// The kind of a storage pool and of a volume request.
public enum StorageKind: String, Sendable, Hashable, Codable, CaseIterable {
    case block, file, object
}

/// A pool of storage at a site.
public struct StoragePool: Sendable, Hashable, Codable, Identifiable {
    public var id: String
    public var site: String
    public var kind: StorageKind
    public var capacityGiB: Int64
    /// The isolation partition the pool serves.
    public var partition: String

    public init(id: String, site: String, kind: StorageKind, capacityGiB: Int64, partition: String = "public") {
        self.id = id
        self.site = site
        self.kind = kind
        self.capacityGiB = capacityGiB
        self.partition = partition
    }
}

/// A volume one replica needs, placed on a pool of its kind at the compute's site or the nearest
/// site within the request's latency bound.
public struct VolumeRequest: Sendable, Hashable, Codable {
    public var kind: StorageKind
    public var sizeGiB: Int64

    public init(kind: StorageKind, sizeGiB: Int64) {
        self.kind = kind
        self.sizeGiB = sizeGiB
    }
}
