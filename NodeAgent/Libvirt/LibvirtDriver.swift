import CLibvirt
import Foundation
import WorkloadDriver

/// Runs virtual machine workloads as libvirt domains: defined persistently with Suanli metadata
/// (so that a restarted agent adopts them), started, shut down, destroyed and undefined.
public struct LibvirtDriver: WorkloadDriver {
    public let name = "libvirt"
    private let connection: LibvirtConnection
    private let domainType: String
    private let hostMemoryMiB: Int64

    /// Connects to `uri` (`qemu:///system`, `qemu:///session`, `test:///default`...).
    /// `domainType` defaults to `test` for the test driver, `kvm` where /dev/kvm exists and
    /// `qemu` (software emulation) elsewhere. `onChange` is called for every domain lifecycle
    /// event, on libvirt's event thread.
    public init(uri: String, domainType: String? = nil, hostMemoryMiB: Int64, onChange: (@Sendable () -> Void)? = nil) throws(DriverError) {
        connection = try LibvirtConnection(uri: uri, onLifecycleEvent: onChange)
        if let domainType {
            self.domainType = domainType
        } else if uri.hasPrefix("test:") {
            self.domainType = "test"
        } else {
            self.domainType = FileManager.default.isWritableFile(atPath: "/dev/kvm") ? "kvm" : "qemu"
        }
        self.hostMemoryMiB = hostMemoryMiB
    }

    /// The host as libvirt sees it: CPUs and the CPU model.
    public func nodeInfo() throws(DriverError) -> (cpus: Int, model: String) {
        let info = try connection.nodeInfo()
        return (info.cpus, info.model)
    }

    public func runs(_ runtime: WorkloadDefinition.Runtime) -> Bool {
        if case .virtualMachine = runtime { return true }
        return false
    }

    public func list() throws(DriverError) -> [ObservedWorkload] {
        var observed: [ObservedWorkload] = []
        for domain in try connection.domains() where domain.name.hasPrefix("suanli-") {
            // A domain another client removes between the listing and these reads is skipped.
            guard let element = domain.metadata(namespace: DomainXML.namespace), let id = DomainXML.workloadID(inMetadata: element),
                  let state = try? domain.state() else { continue }
            observed.append(ObservedWorkload(id: id, state: Self.observedState(state)))
        }
        return observed
    }

    public func start(_ workload: WorkloadDefinition) throws(DriverError) {
        guard case .virtualMachine(let vm) = workload.runtime else {
            throw DriverError(.rejected, "libvirt runs virtual machines only")
        }
        let name = DomainXML.name(for: workload.id)
        if let existing = try connection.domain(named: name) {
            let state = try existing.state().state
            if state == VIR_DOMAIN_SHUTOFF.rawValue || state == VIR_DOMAIN_CRASHED.rawValue { try existing.create() }
            return
        }
        let format = try validate(workload, vm)
        let domain = try connection.define(xml: DomainXML.domain(for: workload, vm: vm, type: domainType, diskFormat: format))
        do {
            try domain.create()
        } catch {
            try? domain.undefine()
            throw error
        }
    }

    public func stop(id: String) throws(DriverError) {
        try connection.domain(named: DomainXML.name(for: id))?.shutdown()
    }

    public func remove(id: String) throws(DriverError) {
        guard let domain = try connection.domain(named: DomainXML.name(for: id)) else { return }
        try domain.destroy()
        try domain.undefine()
    }

    public func usage(id: String) throws(DriverError) -> UsageCounters? {
        guard let domain = try connection.domain(named: DomainXML.name(for: id)), try domain.state().state == VIR_DOMAIN_RUNNING.rawValue else { return nil }
        let info = try domain.info()
        let statistics = domain.statistics()
        func sum(_ prefix: String, _ suffixes: [String]) -> UInt64 {
            statistics.reduce(0) { total, entry in
                entry.key.hasPrefix(prefix) && suffixes.contains { entry.key.hasSuffix($0) } ? total &+ entry.value : total
            }
        }
        return UsageCounters(
            cpuNanoseconds: statistics["cpu.time"] ?? info.cpuNanoseconds,
            memoryBytes: (statistics["balloon.current"] ?? info.memoryKiB) * 1024,
            networkBytes: sum("net.", [".rx.bytes", ".tx.bytes"]),
            blockBytes: sum("block.", [".rd.bytes", ".wr.bytes"]))
    }

    /// Rejects what cannot run here before libvirt sees it; returns the disk's format.
    private func validate(_ workload: WorkloadDefinition, _ vm: WorkloadDefinition.VirtualMachine) throws(DriverError) -> String {
        if workload.memoryMiB <= 0 || workload.memoryMiB > hostMemoryMiB {
            throw DriverError(.rejected, "memory \(workload.memoryMiB) MiB does not fit this host's \(hostMemoryMiB) MiB")
        }
        if vm.image.isEmpty && vm.volume == nil && vm.kernel.isEmpty {
            throw DriverError(.rejected, "a virtual machine needs a disk image, a volume or a kernel")
        }
        if !vm.image.isEmpty && vm.volume != nil {
            throw DriverError(.rejected, "a virtual machine has one disk: an image or a volume, not both")
        }
        for (field, path) in [("image", vm.image), ("kernel", vm.kernel), ("initrd", vm.initrd)] where !path.isEmpty {
            guard path.hasPrefix("/") else { throw DriverError(.rejected, "\(field) '\(path)' is not an absolute path") }
            guard FileManager.default.isReadableFile(atPath: path) else { throw DriverError(.rejected, "\(field) '\(path)' does not exist on this node") }
        }
        if let text = vm.volume {
            guard let volume = DomainXML.volume(text) else { throw DriverError(.rejected, "volume '\(text)' is not POOL/VOLUME") }
            guard let xml = try connection.volumeXML(pool: volume.pool, name: volume.name) else {
                throw DriverError(.rejected, "volume '\(text)' does not exist on this node")
            }
            return DomainXML.format(ofVolume: xml)
        }
        guard !vm.image.isEmpty, let file = FileHandle(forReadingAtPath: vm.image) else { return "raw" }
        defer { try? file.close() }
        let magic = (try? file.read(upToCount: 4)) ?? Data()
        return magic == Data([0x51, 0x46, 0x49, 0xFB]) ? "qcow2" : "raw"
    }

    static func observedState(_ state: (state: UInt32, reason: Int32)) -> ObservedWorkload.State {
        switch state.state {
        case VIR_DOMAIN_NOSTATE.rawValue: return .starting
        case VIR_DOMAIN_SHUTOFF.rawValue:
            switch UInt32(state.reason) {
            case VIR_DOMAIN_SHUTOFF_CRASHED.rawValue: return .exited(failed: true, message: "the virtual machine crashed")
            case VIR_DOMAIN_SHUTOFF_FAILED.rawValue: return .exited(failed: true, message: "the virtual machine failed to start")
            default: return .exited(failed: false, message: "the virtual machine powered off")
            }
        case VIR_DOMAIN_CRASHED.rawValue: return .exited(failed: true, message: "the virtual machine crashed")
        default: return .running
        }
    }
}
