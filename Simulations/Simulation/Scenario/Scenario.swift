import Placement

/// What `suanli-sim run` simulates: a cluster, its sites and latencies, the placement policy,
/// tenants with quotas, a workload (synthetic generators and traces) and node events, over a
/// span of simulated time. Read from JSON or YAML by `Scenario.load(file:)`.
public struct Scenario: Sendable {
    /// The most arrivals a scenario's generators may make (their mean over the run), and the most
    /// requests its traces may hold: a run keeps every request's record, so more would exhaust
    /// memory rather than finish.
    public static let maxArrivals = 5_000_000.0

    public var name: String
    /// The file it was read from, for errors found when it runs.
    public var source: String
    public var seed: UInt64
    /// Simulated seconds; arrivals stop and the run ends there.
    public var duration: Double
    /// Simulated seconds between two samples of the time series.
    public var sampleInterval: Double
    /// A policy name or scorer weights (`PolicyRegistry.policy(spec:)`).
    public var policy: String
    public var scan: ScanLimit
    /// No-fit decisions one scheduling pass makes before it waits for the next event, as Slurm's
    /// `default_queue_depth` bounds its main loop.
    public var queueDepth: Int
    public var topology: Topology
    public var pools: [NodePool]
    /// Nodes listed one per line in CSV files.
    public var nodeLists: [NodeListFile]
    public var storagePools: [StoragePool]
    public var tenants: [TenantSpec]
    /// Queue wait each priority class should stay under at the 95th percentile.
    public var waitTargets: [PriorityClass: Double]
    public var generators: [GeneratorSpec]
    public var traces: [TraceSpec]
    /// Long-running services under a daily load, autoscaled or of a fixed size.
    public var services: [ScaledService] = []
    /// The most of its calls an autoscaled service may leave unserved (more calls than its running
    /// replicas serve at full CPU) for the targets to be met: its replicas came too late or not at
    /// all (capacity or quota). A service of fixed size is its owner's choice and is not judged.
    public var unservedTarget = 0.01
    public var failures: [FailureSpec]
    public var maintenance: [MaintenanceWindow]

    public init(
        name: String, source: String = "scenario", seed: UInt64 = 1, duration: Double, sampleInterval: Double = 3_600, policy: String = PolicyRegistry.defaultPolicyName,
        scan: ScanLimit = .standard, queueDepth: Int = 100, topology: Topology = Topology(), pools: [NodePool] = [],
        nodeLists: [NodeListFile] = [], storagePools: [StoragePool] = [], tenants: [TenantSpec] = [],
        waitTargets: [PriorityClass: Double] = [:], generators: [GeneratorSpec] = [], traces: [TraceSpec] = [],
        failures: [FailureSpec] = [], maintenance: [MaintenanceWindow] = []
    ) {
        self.name = name
        self.source = source
        self.seed = seed
        self.duration = duration
        self.sampleInterval = sampleInterval
        self.policy = policy
        self.scan = scan
        self.queueDepth = queueDepth
        self.topology = topology
        self.pools = pools
        self.nodeLists = nodeLists
        self.storagePools = storagePools
        self.tenants = tenants
        self.waitTargets = waitTargets
        self.generators = generators
        self.traces = traces
        self.failures = failures
        self.maintenance = maintenance
    }
}

/// `count` identical nodes of one class at one site and partition.
public struct NodePool: Sendable, Hashable {
    public var name: String
    public var nodeClass: NodeClass
    public var site: String
    public var region: String
    public var partition: String
    public var count: Int
    public var capacity: Resources
    public var gpus: [GPUDevice]
    public var labels: [String: String]
    public var price: PriceRate
    public var energy: EnergyProfile
    /// Power drawn by an idle node, in watts.
    public var idleWatts: Double

    public init(
        name: String, nodeClass: NodeClass, site: String, region: String = "", partition: String = "public", count: Int,
        capacity: Resources, gpus: [GPUDevice] = [], labels: [String: String] = [:], price: PriceRate = PriceRate(),
        energy: EnergyProfile = EnergyProfile(), idleWatts: Double = 0
    ) {
        self.name = name
        self.nodeClass = nodeClass
        self.site = site
        self.region = region
        self.partition = partition
        self.count = count
        self.capacity = capacity
        self.gpus = gpus
        self.labels = labels
        self.price = price
        self.energy = energy
        self.idleWatts = idleWatts
    }

    /// The pool's nodes, named `NAME-1` … `NAME-COUNT`.
    public func nodes() -> [Node] {
        (0..<count).map { i in
            Node(
                id: "\(name)-\(i + 1)", nodeClass: nodeClass, site: site, region: region, partition: partition, labels: labels,
                capacity: capacity, gpus: gpus, energy: energy, price: price)
        }
    }
}

/// A CSV file of nodes: the generic format (`NodeListFile.columns`) or openb's GPU node list.
public struct NodeListFile: Sendable, Hashable {
    public enum Format: String, Sendable, Hashable, CaseIterable { case csv, openb }
    public var path: String
    public var format: Format
    /// The site and class for formats that have no such column (openb).
    public var site: String
    public var nodeClass: NodeClass

    public init(path: String, format: Format = .csv, site: String = "openb", nodeClass: NodeClass = .ai) {
        self.path = path
        self.format = format
        self.site = site
        self.nodeClass = nodeClass
    }
}

/// A department: its weight in fair sharing, the partition its work runs in, its quotas.
public struct TenantSpec: Sendable, Hashable {
    public var name: String
    public var weight: Double
    public var partition: String
    public var quotas: [PriorityClass: Quota]

    public init(name: String, weight: Double = 1, partition: String = "public", quotas: [PriorityClass: Quota] = [:]) {
        self.name = name
        self.weight = weight
        self.partition = partition
        self.quotas = quotas
    }
}

/// Random failures of the nodes of a class (or of one pool): exponential times between failures
/// with mean `mtbf`, and a fixed time to repair.
public struct FailureSpec: Sendable, Hashable {
    public var nodeClass: NodeClass?
    public var pool: String?
    public var mtbf: Double
    public var repair: Double

    public init(nodeClass: NodeClass? = nil, pool: String? = nil, mtbf: Double, repair: Double) {
        self.nodeClass = nodeClass
        self.pool = pool
        self.mtbf = mtbf
        self.repair = repair
    }
}

/// Planned downtime of the nodes of a pool, site or class: from `start` for `length`, repeated
/// every `every` seconds when set. Work on them is moved off when the window opens.
public struct MaintenanceWindow: Sendable, Hashable {
    public var nodeClass: NodeClass?
    public var pool: String?
    public var site: String?
    public var start: Double
    public var length: Double
    public var every: Double?

    public init(nodeClass: NodeClass? = nil, pool: String? = nil, site: String? = nil, start: Double, length: Double, every: Double? = nil) {
        self.nodeClass = nodeClass
        self.pool = pool
        self.site = site
        self.start = start
        self.length = length
        self.every = every
    }
}

/// A trace of recorded requests to replay: the generic CSV (`CSVTrace`) or openb's pod list.
public struct TraceSpec: Sendable, Hashable {
    public enum Format: String, Sendable, Hashable, CaseIterable { case csv, openb }
    public var path: String
    public var format: Format
    /// Arrival times are multiplied by this (0.5 replays twice as fast).
    public var timeScale: Double
    /// Arrival time of the first record once shifted; traces start at 0 by default.
    public var offset: Double

    public init(path: String, format: Format = .csv, timeScale: Double = 1, offset: Double = 0) {
        self.path = path
        self.format = format
        self.timeScale = timeScale
        self.offset = offset
    }
}
