/// Sites and the site-to-site network latency between them.
///
/// Latency from a site to itself is 0 unless given. A pair with no entry is unreachable (infinite).
public struct Topology: Sendable, Hashable, Codable {
    public struct Link: Sendable, Hashable, Codable {
        public var from: String
        public var to: String
        public var latencyMs: Double

        public init(from: String, to: String, latencyMs: Double) {
            self.from = from
            self.to = to
            self.latencyMs = latencyMs
        }
    }

    public private(set) var sites: [String]
    private var indexBySite: [String: Int]
    /// Row-major `sites.count x sites.count` matrix.
    private var latency: [Double]

    /// Builds a symmetric matrix from links; a link given in both directions keeps the later value.
    public init(sites: [String], links: [Link]) {
        var unique: [String] = []
        var index: [String: Int] = [:]
        for site in sites + links.flatMap({ [$0.from, $0.to] }) where index[site] == nil {
            index[site] = unique.count
            unique.append(site)
        }
        let n = unique.count
        var matrix = [Double](repeating: .infinity, count: n * n)
        for i in 0..<n { matrix[i * n + i] = 0 }
        for link in links {
            let a = index[link.from]!, b = index[link.to]!
            matrix[a * n + b] = link.latencyMs
            matrix[b * n + a] = link.latencyMs
        }
        self.sites = unique
        self.indexBySite = index
        self.latency = matrix
    }

    public init() { self.init(sites: [], links: []) }

    public func index(of site: String) -> Int? { indexBySite[site] }

    /// Latency in milliseconds between two site indices.
    public func latencyMs(_ a: Int, _ b: Int) -> Double { latency[a * sites.count + b] }

    /// Latency in milliseconds between two named sites; infinite when either is unknown.
    public func latencyMs(from a: String, to b: String) -> Double {
        guard let i = index(of: a), let j = index(of: b) else { return .infinity }
        return latencyMs(i, j)
    }

    /// Adds a site that is not yet known, unreachable from every other until links are added.
    public mutating func addSite(_ site: String) {
        guard indexBySite[site] == nil else { return }
        let old = sites.count, n = old + 1
        var matrix = [Double](repeating: .infinity, count: n * n)
        for i in 0..<old { for j in 0..<old { matrix[i * n + j] = latency[i * old + j] } }
        matrix[old * n + old] = 0
        indexBySite[site] = old
        sites.append(site)
        latency = matrix
    }
}
