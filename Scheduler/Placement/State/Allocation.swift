/// A share of one physical GPU given to a replica.
public struct GPUShare: Sendable, Hashable, Codable {
    /// Index of the device within its node's `gpus`.
    public var device: Int
    public var milli: Int32

    public init(device: Int, milli: Int32) {
        self.device = device
        self.milli = milli
    }
}

/// A volume placed on a storage pool.
public struct VolumeAssignment: Sendable, Hashable, Codable {
    /// Index of the pool in the cluster state.
    public var pool: Int
    public var poolID: String
    public var sizeGiB: Int64

    public init(pool: Int, poolID: String, sizeGiB: Int64) {
        self.pool = pool
        self.poolID = poolID
        self.sizeGiB = sizeGiB
    }
}

/// Where one replica of a request runs and exactly what it holds there.
public struct ReplicaAssignment: Sendable, Hashable, Codable {
    public var replica: Int
    /// Index of the node in the cluster state (stable for the state's lifetime).
    public var node: Int
    public var nodeID: String
    public var resources: Resources
    public var gpus: [GPUShare]
    public var volumes: [VolumeAssignment]

    public init(replica: Int, node: Int, nodeID: String, resources: Resources, gpus: [GPUShare], volumes: [VolumeAssignment]) {
        self.replica = replica
        self.node = node
        self.nodeID = nodeID
        self.resources = resources
        self.gpus = gpus
        self.volumes = volumes
    }

    public var gpuMilli: Int64 { gpus.reduce(0) { $0 + Int64($1.milli) } }
}

/// A committed placement: what a request holds in the cluster.
public struct Allocation: Sendable, Hashable, Codable {
    public var requestID: String
    public var tenant: String
    public var priority: PriorityClass
    /// The numeric band at commit time; preemption only takes strictly lower bands.
    public var band: Int
    /// Commit order: a larger value is younger.
    public var sequence: UInt64
    public var replicas: [ReplicaAssignment]

    public init(requestID: String, tenant: String, priority: PriorityClass, band: Int, sequence: UInt64, replicas: [ReplicaAssignment]) {
        self.requestID = requestID
        self.tenant = tenant
        self.priority = priority
        self.band = band
        self.sequence = sequence
        self.replicas = replicas
    }
}
