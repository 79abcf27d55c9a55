import ArgumentParser
import Foundation
import LibvirtDriver
import Logging
import NodeAgent
import ServiceLifecycle
import SuanliProto
import SystemdDriver
import WorkloadDriver

/// The node agent: registers the host with the scheduler, runs its workloads through libvirt and
/// systemd, reconciles, meters, and keeps going while the scheduler is unreachable.
@main
struct SuanliAgent: AsyncParsableCommand {
    static let version = "0.4.0"
    static let configuration = CommandConfiguration(
        commandName: "suanli-agent",
        abstract: "Runs a node's Suanli workloads (virtual machines through libvirt, services through systemd).",
        discussion: "Flags override the configuration file (JSON, see NodeAgent/agent.example.json).",
        version: version)

    @Option(help: "The configuration file (default /etc/suanli/agent.json when it exists).")
    var config: String?
    @Option(help: "HOST:PORT of the scheduler's gRPC endpoint; several schedulers sharing one store as HOST:PORT,HOST:PORT,... (the agent follows the leader).")
    var scheduler: String?
    @Option(help: "The bootstrap token for the first registration.")
    var token: String?
    @Option(help: "A file holding the bootstrap token.")
    var tokenFile: String?
    @Option(help: "A PEM file of the certificates that sign the scheduler's (TLS).")
    var caFile: String?
    @Option(help: "Where the agent keeps its state (default /var/lib/suanli-agent).")
    var dataDir: String?
    @Option(help: "The node's id in the catalog (default the host name).")
    var nodeID: String?
    @Option(name: .customLong("class"), help: "The node class: general, ai, hpc or edge.")
    var nodeClass: String?
    @Option(help: "The site the node is at.")
    var site: String?
    @Option(help: "The region of the site.")
    var region: String?
    @Option(help: "The partition the node belongs to (default public).")
    var partition: String?
    @Option(help: "The libvirt URI for virtual machines, or none (default qemu:///system).")
    var libvirtURI: String?
    @Option(help: "The D-Bus address of systemd (unix:path=...), system, or none (default system).")
    var systemdBus: String?
    @Option(help: "Seconds between metering samples (default 10).")
    var meteringInterval: Double?
    @Option(help: "Seconds between reconciliation passes (default 5).")
    var reconcileInterval: Double?
    @Option(help: "Seconds a workload asked to stop may take before it is killed (default 30; 0 kills at once).")
    var stopGrace: Double?

    func run() async throws {
        LoggingSystem.bootstrap { StreamLogHandler.standardError(label: $0) }
        var logger = Logger(label: "suanli-agent")
        logger.logLevel = .info
        let settings = try merged()

        let dataDirectory = URL(fileURLWithPath: settings.dataDir ?? "/var/lib/suanli-agent")
        let store = try AgentStore(directory: dataDirectory)
        let gpuSource = NvidiaSMI(command: settings.gpuCommand ?? NvidiaSMI.defaultCommand)
        let inventory = try HostInventory.read(dataDirectory: dataDirectory, gpuSource: gpuSource)

        let reconcile = Trigger()
        let upload = Trigger()
        var drivers: [any WorkloadDriver] = []
        let libvirtURI = settings.libvirtURI ?? "qemu:///system"
        if libvirtURI != "none" {
            drivers.append(try LibvirtDriver(uri: libvirtURI, domainType: settings.libvirtDomainType, hostMemoryMiB: inventory.memoryMiB) { reconcile.fire() })
        }
        let bus = settings.systemdBus ?? "system"
        if bus != "none" {
            drivers.append(try SystemdDriver(busAddress: bus == "system" ? nil : bus, hostMemoryMiB: inventory.memoryMiB))
        }
        logger.info("inventory", metadata: [
            "cpus": "\(inventory.cpus)", "memoryMiB": "\(inventory.memoryMiB)", "diskGiB": "\(inventory.diskGiB)",
            "gpus": "\(inventory.gpus.count)", "drivers": "\(drivers.map(\.name).joined(separator: ","))",
        ])

        let reconciler = Reconciler(
            store: store, drivers: drivers, logger: logger, stopGraceSeconds: settings.stopGraceSeconds ?? 30, onReport: { upload.fire() })
        let schedulers = try Self.endpoints(settings.scheduler)
        let token = try settings.token ?? settings.tokenFile.map { path in
            guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { throw ValidationError("cannot read the token file \(path)") }
            return text.trimmingCharacters(in: .whitespacesAndNewlines)
        }
        let node = Self.nodeInfo(settings, inventory: inventory, dataDirectory: dataDirectory, gpuSource: gpuSource)
        let link = SchedulerLink(
            settings: .init(schedulers: schedulers, bootstrapToken: token, trustRootsFile: settings.caFile, agentVersion: Self.version),
            node: node, store: store, reconcile: reconcile, upload: upload, logger: logger)
        let group = ServiceGroup(
            configuration: .init(
                services: [
                    .init(service: ReconcileLoop(reconciler: reconciler, trigger: reconcile, interval: .seconds(settings.reconcileIntervalSeconds ?? 5), logger: logger)),
                    .init(service: MeterLoop(reconciler: reconciler, store: store, interval: .seconds(settings.meteringIntervalSeconds ?? 10), logger: logger)),
                    .init(service: link),
                ],
                gracefulShutdownSignals: [.sigterm, .sigint],
                logger: logger))
        try await group.run()
    }

    /// The configuration file overlaid with the flags, checked.
    private func merged() throws -> AgentConfiguration {
        var settings = AgentConfiguration()
        if let config {
            settings = try AgentConfiguration.load(path: config)
        } else if FileManager.default.fileExists(atPath: "/etc/suanli/agent.json") {
            settings = try AgentConfiguration.load(path: "/etc/suanli/agent.json")
        }
        settings.scheduler = scheduler ?? settings.scheduler
        settings.token = token ?? settings.token
        settings.tokenFile = tokenFile ?? settings.tokenFile
        settings.caFile = caFile ?? settings.caFile
        settings.dataDir = dataDir ?? settings.dataDir
        settings.nodeID = nodeID ?? settings.nodeID
        settings.nodeClass = nodeClass ?? settings.nodeClass
        settings.site = site ?? settings.site
        settings.region = region ?? settings.region
        settings.partition = partition ?? settings.partition
        settings.libvirtURI = libvirtURI ?? settings.libvirtURI
        settings.systemdBus = systemdBus ?? settings.systemdBus
        settings.meteringIntervalSeconds = meteringInterval ?? settings.meteringIntervalSeconds
        settings.reconcileIntervalSeconds = reconcileInterval ?? settings.reconcileIntervalSeconds
        settings.stopGraceSeconds = stopGrace ?? settings.stopGraceSeconds
        guard let nodeClass = settings.nodeClass, ["general", "ai", "hpc", "edge"].contains(nodeClass) else {
            throw ValidationError("--class (or nodeClass) must be general, ai, hpc or edge, got \(settings.nodeClass.map { "'\($0)'" } ?? "nothing")")
        }
        guard settings.site?.isEmpty == false else { throw ValidationError("--site (or site) is required") }
        for (name, value) in [("--metering-interval", settings.meteringIntervalSeconds), ("--reconcile-interval", settings.reconcileIntervalSeconds)] {
            if let value, !(value > 0) { throw ValidationError("\(name) must be a positive number of seconds, got \(value)") }
        }
        if let grace = settings.stopGraceSeconds, !(grace >= 0) {
            throw ValidationError("--stop-grace (or stopGraceSeconds) must be 0 or more seconds, got \(grace)")
        }
        return settings
    }

    /// The schedulers' endpoints: `HOST:PORT`, several separated by commas.
    static func endpoints(_ text: String?) throws -> [SchedulerLink.Endpoint] {
        let refusal = ValidationError("--scheduler (or scheduler) must be HOST:PORT or HOST:PORT,HOST:PORT,..., got \(text.map { "'\($0)'" } ?? "nothing")")
        guard let text else { throw refusal }
        return try text.split(separator: ",", omittingEmptySubsequences: false).map { part in
            let item = part.trimmingCharacters(in: .whitespaces)
            guard let colon = item.lastIndex(of: ":"), let port = Int(item[item.index(after: colon)...]), (1...65535).contains(port), colon > item.startIndex else {
                throw refusal
            }
            return SchedulerLink.Endpoint(host: String(item[..<colon]), port: port)
        }
    }

    /// The node as it registers: the inventory read again each time (GPUs may come and go), less
    /// what the host keeps for itself.
    static func nodeInfo(_ settings: AgentConfiguration, inventory: HostInventory, dataDirectory: URL, gpuSource: NvidiaSMI)
        -> @Sendable () throws -> Suanli_Agent_V1_NodeInfo {
        { @Sendable in
            let host = (try? HostInventory.read(dataDirectory: dataDirectory, gpuSource: gpuSource)) ?? inventory
            return Suanli_Agent_V1_NodeInfo.with {
                $0.id = settings.nodeID ?? ProcessInfo.processInfo.hostName
                $0.nodeClass = settings.nodeClass ?? "general"
                $0.site = settings.site ?? ""
                $0.region = settings.region ?? ""
                $0.partition = settings.partition ?? ""
                $0.labels = settings.labels ?? [:]
                $0.capacity = .with {
                    $0.cpuMillis = max(0, Int64(host.cpus) * 1000 - (settings.reservedCPUMillis ?? 0))
                    $0.memoryMib = max(0, host.memoryMiB - (settings.reservedMemoryMiB ?? 0))
                    $0.diskGib = settings.diskGiB ?? host.diskGiB
                    $0.bandwidthMbps = settings.bandwidthMbps ?? 1000
                }
                $0.gpus = host.gpus.map { gpu in .with { $0.model = gpu.model; $0.memoryMib = gpu.memoryMiB } }
            }
        }
    }
}
