/// The kind of compute center a node belongs to.
public enum NodeClass: String, Sendable, Hashable, Codable, CaseIterable, Comparable {
    case general, ai, hpc, edge

    public static func < (lhs: NodeClass, rhs: NodeClass) -> Bool {
        allCases.firstIndex(of: lhs)! < allCases.firstIndex(of: rhs)!
    }
}

/// A node's health and administrative state. Only `ready` nodes take new work.
public enum NodeState: String, Sendable, Hashable, Codable, CaseIterable {
    case ready, cordoned, draining, suspect, lost

    public var acceptsWork: Bool { self == .ready }
}

/// Where a node's power comes from and what it costs in energy.
public struct EnergyProfile: Sendable, Hashable, Codable {
    /// Share of the node's power from renewable sources, 0...1.
    public var greenShare: Double
    /// Power drawn per busy core, watts.
    public var wattsPerBusyCore: Double

    public init(greenShare: Double = 0, wattsPerBusyCore: Double = 10) {
        self.greenShare = greenShare
        self.wattsPerBusyCore = wattsPerBusyCore
    }
}

/// Price of a node's capacity per unit-hour, in the city's accounting currency.
public struct PriceRate: Sendable, Hashable, Codable {
    public var perCoreHour: Double
    public var perGiBMemoryHour: Double
    public var perGPUHour: Double

    public init(perCoreHour: Double = 0, perGiBMemoryHour: Double = 0, perGPUHour: Double = 0) {
        self.perCoreHour = perCoreHour
        self.perGiBMemoryHour = perGiBMemoryHour
        self.perGPUHour = perGPUHour
    }

    /// Hourly price of one replica's resources on a node with this rate.
    public func hourlyCost(of resources: Resources, gpuMilli: Int64) -> Double {
        Double(resources.cpuMillis) / 1000 * perCoreHour
            + Double(resources.memoryMiB) / 1024 * perGiBMemoryHour
            + Double(gpuMilli) / 1000 * perGPUHour
    }
}

/// A host registered in the city's catalog.
public struct Node: Sendable, Hashable, Codable, Identifiable {
    public var id: String
    public var nodeClass: NodeClass
    /// A named place: a district data center or an edge cabinet. Latency is measured between sites.
    public var site: String
    public var region: String
    /// Isolation partition: a request of one partition lands only on nodes of that partition.
    public var partition: String
    public var labels: [String: String]
    public var state: NodeState
    public var capacity: Resources
    public var gpus: [GPUDevice]
    public var energy: EnergyProfile
    public var price: PriceRate

    public init(
        id: String, nodeClass: NodeClass, site: String, region: String = "", partition: String = "public",
        labels: [String: String] = [:], state: NodeState = .ready, capacity: Resources, gpus: [GPUDevice] = [],
        energy: EnergyProfile = EnergyProfile(), price: PriceRate = PriceRate()
    ) {
        self.id = id
        self.nodeClass = nodeClass
        self.site = site
        self.region = region
        self.partition = partition
        self.labels = labels
        self.state = state
        self.capacity = capacity
        self.gpus = gpus
        self.energy = energy
        self.price = price
    }
}
