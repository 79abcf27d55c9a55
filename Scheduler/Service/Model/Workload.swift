import Placement

/// What a request runs on its nodes: a virtual machine (libvirt) or a service (systemd), and what
/// the agent does when it exits. Requests without one only reserve capacity.
public struct WorkloadSpec: Sendable, Hashable, Codable {
    public var vm: VirtualMachineSpec?
    public var service: ServiceSpec?
    public var restart: RestartPolicy?
    /// A VM may be stopped and started again elsewhere (drain, lost node, defragmentation).
    /// Services and batch work always may.
    public var movable: Bool?

    public init(vm: VirtualMachineSpec? = nil, service: ServiceSpec? = nil, restart: RestartPolicy? = nil, movable: Bool? = nil) {
        self.vm = vm
        self.service = service
        self.restart = restart
        self.movable = movable
    }

    /// Throws naming the field when the spec is not exactly one runtime or a field is malformed.
    func validate(prefix: String) throws(ServiceError) {
        switch (vm, service) {
        case (nil, nil), (.some, .some):
            throw ServiceError.invalid(prefix + "workload", "give exactly one of vm and service")
        case (let vm?, nil):
            switch (vm.image, vm.volume) {
            case (nil, nil), (.some, .some):
                throw ServiceError.invalid(prefix + "workload.vm", "give exactly one of image and volume")
            case (let image?, nil):
                guard image.hasPrefix("/"), !image.contains("\0") else {
                    throw ServiceError.invalid(prefix + "workload.vm.image", "must be an absolute path on the node, got '\(image)'")
                }
            case (nil, let volume?):
                let parts = volume.split(separator: "/", omittingEmptySubsequences: false)
                guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty, !volume.contains("\0") else {
                    throw ServiceError.invalid(prefix + "workload.vm.volume", "must be POOL/VOLUME, got '\(volume)'")
                }
            }
        case (nil, let service?):
            guard let program = service.command.first, !program.isEmpty else {
                throw ServiceError.invalid(prefix + "workload.service.command", "needs at least the program to run")
            }
            if let tasksMax = service.tasksMax, tasksMax < 0 {
                throw ServiceError.invalid(prefix + "workload.service.tasksMax", "must not be negative, got \(tasksMax)")
            }
            for key in (service.environment ?? [:]).keys where key.isEmpty || key.contains("=") {
                throw ServiceError.invalid(prefix + "workload.service.environment", "'\(key)' is not a variable name")
            }
        }
    }
}

/// A virtual machine run through libvirt; its vCPUs and memory are the request's resources.
public struct VirtualMachineSpec: Sendable, Hashable, Codable {
    /// The disk image's absolute path on the node; nil when the disk is a volume.
    public var image: String?
    /// The disk as a libvirt storage volume, `POOL/VOLUME`; nil when it is an image.
    public var volume: String?
    public var network: String?
    public var kernel: String?
    public var initrd: String?
    public var kernelArgs: String?

    public init(image: String? = nil, volume: String? = nil, network: String? = nil, kernel: String? = nil, initrd: String? = nil, kernelArgs: String? = nil) {
        self.image = image
        self.volume = volume
        self.network = network
        self.kernel = kernel
        self.initrd = initrd
        self.kernelArgs = kernelArgs
    }
}

/// A service run as a transient systemd unit; its CPU and memory limits are the request's resources.
public struct ServiceSpec: Sendable, Hashable, Codable {
    /// The command line, the program first.
    public var command: [String]
    public var user: String?
    public var environment: [String: String]?
    public var tasksMax: Int64?

    public init(command: [String], user: String? = nil, environment: [String: String]? = nil, tasksMax: Int64? = nil) {
        self.command = command
        self.user = user
        self.environment = environment
        self.tasksMax = tasksMax
    }
}

/// What an agent does when a workload exits on its own, also while the scheduler is unreachable.
public enum RestartPolicy: String, Sendable, Hashable, Codable, CaseIterable {
    case never
    case onFailure = "on-failure"
    case always
}

/// One replica of a request on one node: what an agent is told to run.
public struct Workload: Sendable, Hashable {
    public var requestID: String
    public var replica: Int
    public var tenant: String
    public var kind: WorkloadKind
    public var assignment: ReplicaAssignment
    public var spec: WorkloadSpec?
    /// When the lease ends and the scheduler releases the request.
    public var leaseEndsAt: Double?

    /// `REQUEST/REPLICA`: unique in the cluster.
    public var id: String { Self.id(request: requestID, replica: replica) }

    public static func id(request: String, replica: Int) -> String { "\(request)/\(replica)" }

    /// The request and replica a workload id names, or nil for a malformed id.
    public static func parse(_ id: String) -> (request: String, replica: Int)? {
        guard let slash = id.lastIndex(of: "/"), let replica = Int(id[id.index(after: slash)...]), replica >= 0 else { return nil }
        let request = String(id[..<slash])
        return request.isEmpty ? nil : (request, replica)
    }
}

extension RequestRecord {
    /// Whether the workload may be stopped and started again elsewhere.
    public var isRestartable: Bool {
        spec.kind != .vm || workload?.movable == true
    }

    /// The replicas of this request on `node`, as workloads: none for a request that only
    /// reserves capacity (no workload).
    func workloads(on node: String) -> [Workload] {
        guard workload != nil else { return [] }
        return (allocation?.replicas ?? []).filter { $0.nodeID == node }.map {
            Workload(requestID: id, replica: $0.replica, tenant: tenant, kind: spec.kind, assignment: $0, spec: workload, leaseEndsAt: leaseEndsAt)
        }
    }
}

/// A change an agent is told about over its assignment stream.
public enum AgentCommand: Sendable, Hashable {
    /// Every workload the node should run; the agent stops anything else it started for Suanli.
    case sync([Workload])
    case start(Workload)
    /// The workload again, with its changed lease or spec.
    case update(Workload)
    case stop(workloadID: String, reason: String)
}

/// A workload state transition an agent reports.
public struct WorkloadReport: Sendable, Hashable {
    public enum State: String, Sendable, Hashable {
        /// The agent took the assignment and is preparing it.
        case accepted
        case running
        /// Gone from the node: after a stop, or because it exited.
        case stopped
        case failed
    }

    public var workloadID: String
    public var state: State
    public var reason: String

    public init(workloadID: String, state: State, reason: String = "") {
        self.workloadID = workloadID
        self.state = state
        self.reason = reason
    }
}
