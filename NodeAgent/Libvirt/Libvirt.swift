import CLibvirt
import Foundation
import Synchronization
import WorkloadDriver

/// A thin, thread-safe wrapper over one libvirt connection (libvirt's client API is thread-safe).
/// Reopens the connection when the daemon went away.
final class LibvirtConnection: @unchecked Sendable {
    let uri: String
    private let state = Mutex<OpaquePointer?>(nil)
    private let onLifecycleEvent: (@Sendable () -> Void)?

    /// Opens `uri`; `onLifecycleEvent` is called on libvirt's event thread for every domain
    /// lifecycle event (started, stopped, crashed...).
    init(uri: String, onLifecycleEvent: (@Sendable () -> Void)? = nil) throws(DriverError) {
        self.uri = uri
        self.onLifecycleEvent = onLifecycleEvent
        LibvirtEventLoop.start()
        _ = try pointer()
    }

    deinit {
        state.withLock { connection in
            if let connection { virConnectClose(connection) }
        }
    }

    /// The open connection, reopened if the daemon restarted.
    func pointer() throws(DriverError) -> OpaquePointer {
        let result: Result<OpaquePointer, DriverError> = state.withLock { connection in
            if let open = connection {
                if virConnectIsAlive(open) == 1 { return .success(open) }
                virConnectClose(open)
                connection = nil
            }
            guard let opened = virConnectOpen(uri) else {
                return .failure(DriverError(.unavailable, "cannot connect to libvirt at \(uri): \(Self.lastError())"))
            }
            if let onLifecycleEvent {
                let box = Unmanaged.passRetained(EventBox(onLifecycleEvent)).toOpaque()
                let callback: @convention(c) (OpaquePointer?, OpaquePointer?, Int32, Int32, UnsafeMutableRawPointer?) -> Void = { _, _, _, _, opaque in
                    guard let opaque else { return }
                    Unmanaged<EventBox>.fromOpaque(opaque).takeUnretainedValue().handler()
                }
                let release: @convention(c) (UnsafeMutableRawPointer?) -> Void = { opaque in
                    if let opaque { Unmanaged<EventBox>.fromOpaque(opaque).release() }
                }
                if virConnectDomainEventRegisterAny(
                    opened, nil, Int32(VIR_DOMAIN_EVENT_ID_LIFECYCLE.rawValue),
                    unsafeBitCast(callback, to: virConnectDomainEventGenericCallback.self), box, release) < 0 {
                    Unmanaged<EventBox>.fromOpaque(box).release()
                }
            }
            connection = opened
            return .success(opened)
        }
        return try result.get()
    }

    /// Every domain the daemon knows, running or only defined.
    func domains() throws(DriverError) -> [Domain] {
        let connection = try pointer()
        var list: UnsafeMutablePointer<OpaquePointer?>?
        let count = virConnectListAllDomains(connection, &list, 0)
        guard count >= 0, let list else { throw DriverError(.runtime, "cannot list domains: \(Self.lastError())") }
        defer { free(list) }
        return (0..<Int(count)).compactMap { list[$0].map(Domain.init) }
    }

    func domain(named name: String) throws(DriverError) -> Domain? {
        guard let pointer = virDomainLookupByName(try pointer(), name) else { return nil }
        return Domain(pointer)
    }

    func define(xml: String) throws(DriverError) -> Domain {
        guard let pointer = virDomainDefineXML(try pointer(), xml) else {
            throw DriverError(.rejected, "libvirt refused the domain: \(Self.lastError())")
        }
        return Domain(pointer)
    }

    /// The description (XML) of volume `name` in storage pool `pool`, or nil when the pool (or
    /// the volume in it) does not exist or is not active.
    func volumeXML(pool: String, name: String) throws(DriverError) -> String? {
        guard let storagePool = virStoragePoolLookupByName(try pointer(), pool) else { return nil }
        defer { virStoragePoolFree(storagePool) }
        guard let volume = virStorageVolLookupByName(storagePool, name) else { return nil }
        defer { virStorageVolFree(volume) }
        guard let xml = virStorageVolGetXMLDesc(volume, 0) else {
            throw DriverError(.runtime, "cannot describe volume \(pool)/\(name): \(Self.lastError())")
        }
        defer { free(xml) }
        return String(cString: xml)
    }

    /// The host's CPUs and memory as libvirt sees them.
    func nodeInfo() throws(DriverError) -> (cpus: Int, memoryKiB: UInt64, model: String) {
        var info = virNodeInfo()
        guard virNodeGetInfo(try pointer(), &info) == 0 else { throw DriverError(.runtime, "cannot read the node info: \(Self.lastError())") }
        let model = withUnsafeBytes(of: info.model) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
        return (Int(info.cpus), UInt64(info.memory), model)
    }

    static func lastError() -> String {
        guard let message = virGetLastErrorMessage() else { return "unknown error" }
        return String(cString: message)
    }

    private final class EventBox: @unchecked Sendable {
        let handler: @Sendable () -> Void
        init(_ handler: @escaping @Sendable () -> Void) { self.handler = handler }
    }
}

/// One domain handle; freed when dropped.
final class Domain: @unchecked Sendable {
    let pointer: OpaquePointer

    init(_ pointer: OpaquePointer) { self.pointer = pointer }
    deinit { virDomainFree(pointer) }

    var name: String { virDomainGetName(pointer).map { String(cString: $0) } ?? "" }

    /// The text of our metadata element for `namespace`, or nil when the domain has none.
    func metadata(namespace: String) -> String? {
        guard let text = virDomainGetMetadata(pointer, Int32(VIR_DOMAIN_METADATA_ELEMENT.rawValue), namespace, 0) else { return nil }
        defer { free(text) }
        return String(cString: text)
    }

    /// State and reason codes (`virDomainState` and its per-state reason).
    func state() throws(DriverError) -> (state: UInt32, reason: Int32) {
        var state: Int32 = 0
        var reason: Int32 = 0
        guard virDomainGetState(pointer, &state, &reason, 0) == 0 else {
            throw DriverError(.runtime, "cannot read the state of \(name): \(LibvirtConnection.lastError())")
        }
        return (UInt32(state), reason)
    }

    func create() throws(DriverError) {
        guard virDomainCreate(pointer) == 0 else { throw DriverError(.runtime, "cannot start \(name): \(LibvirtConnection.lastError())") }
    }

    /// Asks the guest to shut down (an ACPI power-button press); a domain already off is fine.
    func shutdown() throws(DriverError) {
        guard virDomainIsActive(pointer) == 1 else { return }
        guard virDomainShutdown(pointer) == 0 else { throw DriverError(.runtime, "cannot shut down \(name): \(LibvirtConnection.lastError())") }
    }

    /// Stops the domain at once (power off); a domain already off is fine.
    func destroy() throws(DriverError) {
        guard virDomainIsActive(pointer) == 1 else { return }
        guard virDomainDestroy(pointer) == 0 else { throw DriverError(.runtime, "cannot stop \(name): \(LibvirtConnection.lastError())") }
    }

    func undefine() throws(DriverError) {
        guard virDomainIsPersistent(pointer) == 1 else { return }
        let flags = VIR_DOMAIN_UNDEFINE_MANAGED_SAVE.rawValue | VIR_DOMAIN_UNDEFINE_SNAPSHOTS_METADATA.rawValue | VIR_DOMAIN_UNDEFINE_NVRAM.rawValue
        // Drivers without managed save or NVRAM (the test driver) refuse the flags.
        guard virDomainUndefineFlags(pointer, flags) == 0 || virDomainUndefine(pointer) == 0 else {
            throw DriverError(.runtime, "cannot undefine \(name): \(LibvirtConnection.lastError())")
        }
    }

    /// CPU time and memory from the domain info.
    func info() throws(DriverError) -> (cpuNanoseconds: UInt64, memoryKiB: UInt64) {
        var info = virDomainInfo()
        guard virDomainGetInfo(pointer, &info) == 0 else { throw DriverError(.runtime, "cannot read \(name): \(LibvirtConnection.lastError())") }
        return (UInt64(info.cpuTime), UInt64(info.memory))
    }

    /// The domain's bulk statistics (CPU, balloon, interfaces, block devices) as name/value pairs
    /// such as `cpu.time` or `net.0.rx.bytes`; numeric values only.
    func statistics() -> [String: UInt64] {
        let groups = VIR_DOMAIN_STATS_CPU_TOTAL.rawValue | VIR_DOMAIN_STATS_BALLOON.rawValue
            | VIR_DOMAIN_STATS_INTERFACE.rawValue | VIR_DOMAIN_STATS_BLOCK.rawValue
        var domains: [OpaquePointer?] = [pointer, nil]
        var records: UnsafeMutablePointer<virDomainStatsRecordPtr?>?
        let count = domains.withUnsafeMutableBufferPointer { virDomainListGetStats($0.baseAddress, groups, &records, 0) }
        guard count > 0, let records, let record = records[0] else { return [:] }
        defer { virDomainStatsRecordListFree(records) }
        var values: [String: UInt64] = [:]
        for i in 0..<Int(record.pointee.nparams) {
            let parameter = record.pointee.params[i]
            let field = withUnsafeBytes(of: parameter.field) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            switch Int32(parameter.type) {
            case Int32(VIR_TYPED_PARAM_INT.rawValue): values[field] = UInt64(max(0, parameter.value.i))
            case Int32(VIR_TYPED_PARAM_UINT.rawValue): values[field] = UInt64(parameter.value.ui)
            case Int32(VIR_TYPED_PARAM_LLONG.rawValue): values[field] = UInt64(max(0, parameter.value.l))
            case Int32(VIR_TYPED_PARAM_ULLONG.rawValue): values[field] = parameter.value.ul
            default: continue
            }
        }
        return values
    }
}

/// libvirt's default event loop on one thread of its own, started once per process before the
/// first connection, so that domain events are delivered.
enum LibvirtEventLoop {
    private static let started: Bool = {
        // Errors reach callers as DriverError; libvirt's default handler would also print them.
        virSetErrorFunc(nil) { _, _ in }
        virEventRegisterDefaultImpl()
        let thread = Thread {
            while true { _ = virEventRunDefaultImpl() }
        }
        thread.name = "libvirt-events"
        thread.start()
        return true
    }()

    static func start() { _ = started }
}
