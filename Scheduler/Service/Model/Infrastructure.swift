import Placement

/// A place of the city's compute estate: a district data center, an AI center, an edge cabinet.
/// Nodes and storage pools are at sites; latency is measured between them.
public struct Site: Sendable, Hashable, Codable {
    public var id: String
    public var region: String?
    public var description: String?

    public init(id: String, region: String? = nil, description: String? = nil) {
        self.id = id
        self.region = region
        self.description = description
    }
}

/// The round-trip latency between two sites, the same both ways; stored with `from < to`.
public struct SiteLink: Sendable, Hashable, Codable {
    public var from: String
    public var to: String
    public var latencyMs: Double

    public init(from: String, to: String, latencyMs: Double) {
        (self.from, self.to) = from < to ? (from, to) : (to, from)
        self.latencyMs = latencyMs
    }

    var key: String { "\(from)\u{0}\(to)" }
}

/// The sites, the links between them and the storage pools: the one owner of what the placement
/// core's topology and pools are built from.
struct Infrastructure: Sendable, Hashable {
    var sites: [String: Site] = [:]
    var links: [String: SiteLink] = [:]
    var pools: [String: StoragePool] = [:]

    init(sites: [Site] = [], links: [SiteLink] = [], pools: [StoragePool] = []) {
        for site in sites { self.sites[site.id] = site }
        for link in links { self.links[link.key] = link }
        for pool in pools { self.pools[pool.id] = pool }
    }

    var topology: Topology {
        Topology(
            sites: sites.keys.sorted(),
            links: links.values.sorted { $0.key < $1.key }.map { Topology.Link(from: $0.from, to: $0.to, latencyMs: $0.latencyMs) })
    }

    var storagePools: [StoragePool] { pools.values.sorted { $0.id < $1.id } }
}
