/// What a node agent asks a runtime to run: one replica of a request, independent of the wire
/// format it arrived in. Stored by the agent as its desired state.
public struct WorkloadDefinition: Sendable, Codable, Equatable {
    /// `REQUEST/REPLICA`, unique in the cluster; drivers tag what they start with it.
    public var id: String
    public var tenant: String
    public var cpuMillis: Int64
    public var memoryMiB: Int64
    public var diskGiB: Int64
    public var bandwidthMbps: Int64
    /// Thousandths of a GPU per device index.
    public var gpuMillis: [Int32: Int32]
    public var runtime: Runtime
    public var restart: RestartPolicy
    /// Seconds since the Unix epoch when the lease ends; nil for none.
    public var leaseEndsAt: Double?

    public enum Runtime: Sendable, Codable, Equatable {
        case virtualMachine(VirtualMachine)
        case service(Service)
    }

    public struct VirtualMachine: Sendable, Codable, Equatable {
        /// Absolute path of the disk image on the node (qcow2 or raw, told by its header); empty
        /// when the disk is a volume.
        public var image: String
        /// The disk as a libvirt storage volume, `POOL/VOLUME`; nil when it is an image.
        public var volume: String?
        /// A libvirt network name; empty for no network interface.
        public var network: String
        public var kernel: String
        public var initrd: String
        public var kernelArguments: String

        public init(image: String, volume: String? = nil, network: String = "", kernel: String = "", initrd: String = "", kernelArguments: String = "") {
            self.image = image
            self.volume = volume
            self.network = network
            self.kernel = kernel
            self.initrd = initrd
            self.kernelArguments = kernelArguments
        }
    }

    public struct Service: Sendable, Codable, Equatable {
        /// The program first, then its arguments.
        public var command: [String]
        /// The user the unit runs as; empty for root.
        public var user: String
        public var environment: [String: String]
        /// Upper bound on the unit's tasks; 0 for the agent's default.
        public var tasksMax: Int64

        public init(command: [String], user: String = "", environment: [String: String] = [:], tasksMax: Int64 = 0) {
            self.command = command
            self.user = user
            self.environment = environment
            self.tasksMax = tasksMax
        }
    }

    public init(
        id: String, tenant: String, cpuMillis: Int64, memoryMiB: Int64, diskGiB: Int64 = 0, bandwidthMbps: Int64 = 0,
        gpuMillis: [Int32: Int32] = [:], runtime: Runtime, restart: RestartPolicy = .never, leaseEndsAt: Double? = nil
    ) {
        self.id = id
        self.tenant = tenant
        self.cpuMillis = cpuMillis
        self.memoryMiB = memoryMiB
        self.diskGiB = diskGiB
        self.bandwidthMbps = bandwidthMbps
        self.gpuMillis = gpuMillis
        self.runtime = runtime
        self.restart = restart
        self.leaseEndsAt = leaseEndsAt
    }
}

/// What the agent does when a workload exits on its own.
public enum RestartPolicy: String, Sendable, Codable, CaseIterable {
    case never
    case onFailure = "on-failure"
    case always
}

/// A workload as its runtime reports it.
public struct ObservedWorkload: Sendable, Equatable {
    public var id: String
    public var state: State

    public enum State: Sendable, Equatable {
        /// Being started (a unit activating, a domain booting).
        case starting
        case running
        /// It ended on its own; `failed` with the runtime's message, or cleanly.
        case exited(failed: Bool, message: String)
    }

    public init(id: String, state: State) {
        self.id = id
        self.state = state
    }
}

/// Cumulative counters of one workload since it started, as its runtime keeps them.
public struct UsageCounters: Sendable, Equatable, Codable {
    public var cpuNanoseconds: UInt64
    /// Memory in use now.
    public var memoryBytes: UInt64
    /// Network bytes received and sent.
    public var networkBytes: UInt64
    /// Block device bytes read and written.
    public var blockBytes: UInt64

    public init(cpuNanoseconds: UInt64, memoryBytes: UInt64, networkBytes: UInt64 = 0, blockBytes: UInt64 = 0) {
        self.cpuNanoseconds = cpuNanoseconds
        self.memoryBytes = memoryBytes
        self.networkBytes = networkBytes
        self.blockBytes = blockBytes
    }
}

/// A runtime the agent drives: libvirt for virtual machines, systemd for services. Every method
/// is idempotent, so that the reconciler can call it again after a crash or a lost answer.
public protocol WorkloadDriver: Sendable {
    /// A short name for logs and reasons: "libvirt", "systemd".
    var name: String { get }

    /// Whether this driver runs `runtime`.
    func runs(_ runtime: WorkloadDefinition.Runtime) -> Bool

    /// Every workload this driver started for Suanli and still knows, adopted or not.
    func list() throws(DriverError) -> [ObservedWorkload]

    /// Starts the workload unless it already runs. Rejects a bad spec with a reason.
    func start(_ workload: WorkloadDefinition) throws(DriverError)

    /// Asks the workload to end cleanly (the power button of a virtual machine, SIGTERM to a
    /// service) and returns at once; nothing to do when it does not run.
    func stop(id: String) throws(DriverError)

    /// Ends the workload at once if it still runs (power off, SIGKILL) and removes every trace
    /// of it; nothing to do when it is gone.
    func remove(id: String) throws(DriverError)

    /// The workload's counters, or nil when it does not run.
    func usage(id: String) throws(DriverError) -> UsageCounters?
}

/// Why a driver could not do what it was asked, in the runtime's words.
public struct DriverError: Error, Sendable, CustomStringConvertible, Equatable {
    public enum Kind: String, Sendable {
        /// The spec cannot run here (a missing image, memory above the host, a bad unit name).
        case rejected
        /// The runtime refused or failed.
        case runtime
        /// The runtime cannot be reached.
        case unavailable
    }

    public var kind: Kind
    public var message: String

    public init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }

    public var description: String { message }
}
