import Placement

/// A synthetic city: district data centers (general, AI and supercomputing nodes) and edge
/// cabinets spread over ~40 km, three isolation partitions, GPUs on AI and some edge nodes,
/// storage pools at every site. Deterministic for a seed.
public struct SyntheticCity: Sendable {
    public let nodes: [Node]
    public let topology: Topology
    public let storagePools: [StoragePool]
    /// Sites of data centers and of edge cabinets.
    public let dataCenters: [String]
    public let edgeSites: [String]

    public static let partitions = ["public", "finance", "health"]
    public static let tenants = [
        "transport", "police", "health", "finance", "education", "water", "energy", "planning",
        "environment", "tax", "emergency", "statistics",
    ]

    /// The partition a tenant's requests run in.
    public static func partition(of tenant: String) -> String {
        switch tenant {
        case "health": "health"
        case "finance", "tax": "finance"
        default: "public"
        }
    }

    public init(nodeCount: Int, dataCenterCount: Int = 12, edgeSiteCount: Int = 8, seed: UInt64 = 1) {
        var rng = SplitMix64(seed: seed)
        dataCenters = (1...dataCenterCount).map { "dc-\($0 < 10 ? "0" : "")\($0)" }
        edgeSites = (1...edgeSiteCount).map { "edge-\($0 < 10 ? "0" : "")\($0)" }
        let sites = dataCenters + edgeSites
        let positions = sites.map { _ in (Double.random(in: 0...40, using: &rng), Double.random(in: 0...40, using: &rng)) }
        var links: [Topology.Link] = []
        for i in sites.indices {
            for j in sites.indices where j > i {
                let dx = positions[i].0 - positions[j].0, dy = positions[i].1 - positions[j].1
                let km = (dx * dx + dy * dy).squareRoot()
                // 0.1 ms plus 0.4 ms per km, to a tenth of a millisecond.
                links.append(Topology.Link(from: sites[i], to: sites[j], latencyMs: (1 + km * 0.4 * 10).rounded() / 10))
            }
        }
        topology = Topology(sites: sites, links: links)
        let greenShare = sites.map { _ in Double.random(in: 0.1...0.9, using: &rng) }

        var nodes: [Node] = []
        nodes.reserveCapacity(nodeCount)
        for n in 0..<nodeCount {
            let roll = Double.random(in: 0..<1, using: &rng)
            let nodeClass: NodeClass = roll < 0.55 ? .general : roll < 0.67 ? .ai : roll < 0.85 ? .hpc : .edge
            let site: Int =
                nodeClass == .edge
                ? dataCenterCount + Int.random(in: 0..<edgeSiteCount, using: &rng)
                : Int.random(in: 0..<dataCenterCount, using: &rng)
            let partitionRoll = Double.random(in: 0..<1, using: &rng)
            let partition = nodeClass == .edge || partitionRoll < 0.8 ? "public" : partitionRoll < 0.9 ? "finance" : "health"
            var labels = ["zone": ["a", "b", "c"][n % 3], "arch": Double.random(in: 0..<1, using: &rng) < 0.1 ? "arm" : "x86"]
            if Double.random(in: 0..<1, using: &rng) < 0.4 { labels["ssd"] = "true" }
            let capacity: Resources
            var gpus: [GPUDevice] = []
            var price: PriceRate
            switch nodeClass {
            case .general:
                let big = Bool.random(using: &rng)
                capacity = Resources(cpuMillis: big ? 64_000 : 32_000, memoryMiB: big ? 262_144 : 131_072, diskGiB: 2_000, bandwidthMbps: 25_000)
                price = PriceRate(perCoreHour: 0.03, perGiBMemoryHour: 0.004)
            case .ai:
                let model = [("A100", 81_920), ("V100M32", 32_768), ("T4", 16_384)][Int.random(in: 0..<3, using: &rng)]
                capacity = Resources(cpuMillis: 96_000, memoryMiB: 786_432, diskGiB: 4_000, bandwidthMbps: 100_000)
                gpus = Array(repeating: GPUDevice(model: model.0, memoryMiB: Int64(model.1)), count: 8)
                price = PriceRate(perCoreHour: 0.04, perGiBMemoryHour: 0.005, perGPUHour: model.0 == "A100" ? 2.5 : model.0 == "T4" ? 0.5 : 1.2)
            case .hpc:
                capacity = Resources(cpuMillis: 128_000, memoryMiB: 524_288, diskGiB: 1_000, bandwidthMbps: 100_000)
                price = PriceRate(perCoreHour: 0.02, perGiBMemoryHour: 0.003)
            case .edge:
                capacity = Resources(cpuMillis: 16_000, memoryMiB: 65_536, diskGiB: 500, bandwidthMbps: 1_000)
                if Bool.random(using: &rng) { gpus = Array(repeating: GPUDevice(model: "T4", memoryMiB: 16_384), count: 2) }
                price = PriceRate(perCoreHour: 0.06, perGiBMemoryHour: 0.008, perGPUHour: 0.8)
            }
            nodes.append(
                Node(
                    id: "\(nodeClass.rawValue)-\(n)", nodeClass: nodeClass, site: sites[site], region: site < dataCenterCount ? "core" : "edge",
                    partition: partition, labels: labels, capacity: capacity, gpus: gpus,
                    energy: EnergyProfile(greenShare: greenShare[site], wattsPerBusyCore: Double.random(in: 5...15, using: &rng)),
                    price: price))
        }
        self.nodes = nodes
        let perSite = max(1, nodeCount / sites.count)
        storagePools = sites.flatMap { site in
            StorageKind.allCases.flatMap { kind in
                SyntheticCity.partitions.map { partition in
                    StoragePool(id: "\(site)-\(kind.rawValue)-\(partition)", site: site, kind: kind, capacityGiB: Int64(perSite) * 2_000, partition: partition)
                }
            }
        }
    }

    public func clusterState() throws -> ClusterState {
        try ClusterState(nodes: nodes, topology: topology, storagePools: storagePools)
    }
}
