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
    /// A retired pool takes no new volumes; the volumes on it stay until released.
    public var retired: Bool

    public init(id: String, site: String, kind: StorageKind, capacityGiB: Int64, partition: String = "public", retired: Bool = false) {
        self.id = id
        self.site = site
        self.kind = kind
        self.capacityGiB = capacityGiB
        self.partition = partition
        self.retired = retired
    }

    enum CodingKeys: String, CodingKey {
        case id, site, kind, capacityGiB, partition, retired
    }

    /// Pools written before `retired` existed read as live.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(
            id: try c.decode(String.self, forKey: .id), site: try c.decode(String.self, forKey: .site), kind: try c.decode(StorageKind.self, forKey: .kind),
            capacityGiB: try c.decode(Int64.self, forKey: .capacityGiB), partition: try c.decode(String.self, forKey: .partition),
            retired: try c.decodeIfPresent(Bool.self, forKey: .retired) ?? false)
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
