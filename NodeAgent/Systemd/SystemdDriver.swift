import Foundation
import WorkloadDriver

/// Runs service workloads as transient systemd units (`StartTransientUnit` over sd-bus) with
/// limits from the request and accounting on. A unit's description carries the workload id, so
/// that a restarted agent adopts the units it started.
public struct SystemdDriver: WorkloadDriver {
    public let name = "systemd"
    private let bus: Bus
    private let hostMemoryMiB: Int64
    private let defaultTasksMax: Int64
    private let stopTimeout: Duration

    static let descriptionPrefix = "Suanli workload "
    private static let manager = "org.freedesktop.systemd1.Manager"
    private static let managerPath = "/org/freedesktop/systemd1"

    /// Connects to the systemd at `busAddress` (`unix:path=...`), or the system bus when nil.
    public init(busAddress: String?, hostMemoryMiB: Int64, defaultTasksMax: Int64 = 512, stopTimeout: Duration = .seconds(30)) throws(DriverError) {
        bus = try Bus(address: busAddress)
        self.hostMemoryMiB = hostMemoryMiB
        self.defaultTasksMax = defaultTasksMax
        self.stopTimeout = stopTimeout
    }

    public func runs(_ runtime: WorkloadDefinition.Runtime) -> Bool {
        if case .service = runtime { return true }
        return false
    }

    public func list() throws(DriverError) -> [ObservedWorkload] {
        let reply = try bus.call(path: Self.managerPath, interface: Self.manager, member: "ListUnitsByPatterns") { message throws(DriverError) in
            try message.append(strings: [])
            try message.append(strings: ["suanli-*.service"])
        }
        var observed: [ObservedWorkload] = []
        guard try reply.enter("a", "(ssssssouso)") else { return [] }
        while try reply.enter("r", "ssssssouso") {
            let name = try reply.readString()
            let description = try reply.readString()
            _ = try reply.readString()  // load state
            let active = try reply.readString()
            let sub = try reply.readString()
            _ = try reply.readString()  // following
            let path = try reply.readString("o")
            _ = try reply.readUInt32()
            _ = try reply.readString()
            _ = try reply.readString("o")
            try reply.exit()
            guard name.hasPrefix("suanli-"), description.hasPrefix(Self.descriptionPrefix) else { continue }
            let id = String(description.dropFirst(Self.descriptionPrefix.count))
            switch active {
            case "activating", "reloading": observed.append(ObservedWorkload(id: id, state: .starting))
            case "active", "deactivating": observed.append(ObservedWorkload(id: id, state: .running))
            case "failed":
                let result = (try? property(path, "org.freedesktop.systemd1.Service", "Result")) ?? sub
                let status = (try? number(path, "org.freedesktop.systemd1.Service", "ExecMainStatus", "i")).map { Int32(truncatingIfNeeded: $0) } ?? 0
                observed.append(ObservedWorkload(id: id, state: .exited(failed: true, message: "the unit failed: \(result), exit status \(status)")))
            default: observed.append(ObservedWorkload(id: id, state: .exited(failed: false, message: "the unit exited")))
            }
        }
        try reply.exit()
        return observed
    }

    public func start(_ workload: WorkloadDefinition) throws(DriverError) {
        guard case .service(let service) = workload.runtime else {
            throw DriverError(.rejected, "systemd runs services only")
        }
        let unit = try Self.unitName(for: workload.id)
        if let path = try unitPath(unit) {
            switch try property(path, "org.freedesktop.systemd1.Unit", "ActiveState") {
            case "active", "activating", "reloading": return
            default: try unload(unit)
            }
        }
        try validate(workload, service)
        let tasksMax = service.tasksMax > 0 ? service.tasksMax : defaultTasksMax
        _ = try bus.call(path: Self.managerPath, interface: Self.manager, member: "StartTransientUnit") { message throws(DriverError) in
            try message.append(unit)
            try message.append("fail")
            try message.container("a", "(sv)") { () throws(DriverError) in
                try message.property("Description", "s") { () throws(DriverError) in try message.append(Self.descriptionPrefix + workload.id) }
                try message.property("Type", "s") { () throws(DriverError) in try message.append("exec") }
                try message.property("ExecStart", "a(sasb)") { () throws(DriverError) in
                    try message.container("a", "(sasb)") { () throws(DriverError) in
                        try message.container("r", "sasb") { () throws(DriverError) in
                            try message.append(service.command[0])
                            try message.append(strings: service.command)
                            try message.append(false)
                        }
                    }
                }
                if !service.user.isEmpty {
                    try message.property("User", "s") { () throws(DriverError) in try message.append(service.user) }
                }
                if !service.environment.isEmpty {
                    let pairs = service.environment.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }
                    try message.property("Environment", "as") { () throws(DriverError) in try message.append(strings: pairs) }
                }
                try message.property("MemoryMax", "t") { () throws(DriverError) in try message.append(UInt64(workload.memoryMiB) * 1_048_576) }
                // The request's CPU as a hard quota (per second of wall time) and as a weight.
                try message.property("CPUQuotaPerSecUSec", "t") { () throws(DriverError) in try message.append(UInt64(workload.cpuMillis) * 1_000) }
                try message.property("CPUWeight", "t") { () throws(DriverError) in try message.append(UInt64(min(10_000, max(1, workload.cpuMillis / 10)))) }
                try message.property("TasksMax", "t") { () throws(DriverError) in try message.append(UInt64(tasksMax)) }
                for accounting in ["CPUAccounting", "MemoryAccounting", "TasksAccounting"] {
                    try message.property(accounting, "b") { () throws(DriverError) in try message.append(true) }
                }
            }
            try message.container("a", "(sa(sv))") {}
        }
    }

    public func stop(id: String) throws(DriverError) {
        try requestStop(try Self.unitName(for: id))
    }

    public func remove(id: String) throws(DriverError) {
        let unit = try Self.unitName(for: id)
        guard try unitPath(unit) != nil else { return }
        // What still runs is killed first, so that the stop below does not wait for it.
        _ = try? bus.call(path: Self.managerPath, interface: Self.manager, member: "KillUnit") { message throws(DriverError) in
            try message.append(unit)
            try message.append("all")
            try message.append(Int32(SIGKILL))
        }
        try unload(unit)
    }

    public func usage(id: String) throws(DriverError) -> UsageCounters? {
        guard let path = try unitPath(try Self.unitName(for: id)) else { return nil }
        // A unit stopping still runs (and uses) until its processes are gone.
        guard ["active", "deactivating"].contains(try property(path, "org.freedesktop.systemd1.Unit", "ActiveState")) else { return nil }
        let service = "org.freedesktop.systemd1.Service"
        // systemd reports an unknown counter as the largest value.
        func known(_ value: UInt64) -> UInt64 { value == .max ? 0 : value }
        return UsageCounters(
            cpuNanoseconds: known(try number(path, service, "CPUUsageNSec", "t")),
            memoryBytes: known(try number(path, service, "MemoryCurrent", "t")))
    }

    /// The unit's tasks now (processes and threads), for tests and diagnostics.
    public func tasks(id: String) throws(DriverError) -> UInt64? {
        guard let path = try unitPath(try Self.unitName(for: id)) else { return nil }
        let value = try number(path, "org.freedesktop.systemd1.Service", "TasksCurrent", "t")
        return value == .max ? nil : value
    }

    /// The unit name for a workload id: `suanli-` and the id escaped as `systemd-escape` does
    /// (`/` becomes `-`, anything but letters, digits, `:`, `_` and `.` becomes `\xNN`).
    public static func unitName(for id: String) throws(DriverError) -> String {
        var escaped = ""
        for (offset, byte) in id.utf8.enumerated() {
            switch byte {
            case UInt8(ascii: "/"): escaped += "-"
            case UInt8(ascii: "."): escaped += offset == 0 ? "\\x2e" : "."
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                UInt8(ascii: ":"), UInt8(ascii: "_"):
                escaped.append(Character(UnicodeScalar(byte)))
            default: escaped += String(format: "\\x%02x", byte)
            }
        }
        let name = "suanli-\(escaped).service"
        guard !id.isEmpty, name.utf8.count <= 255 else {
            throw DriverError(.rejected, "'\(id)' makes no valid unit name (empty, or longer than 255 bytes escaped)")
        }
        return name
    }

    // MARK: Calls

    private func validate(_ workload: WorkloadDefinition, _ service: WorkloadDefinition.Service) throws(DriverError) {
        guard let program = service.command.first, program.hasPrefix("/") else {
            throw DriverError(.rejected, "the command must start with an absolute program path, got \(service.command.first.map { "'\($0)'" } ?? "nothing")")
        }
        if workload.memoryMiB <= 0 || workload.memoryMiB > hostMemoryMiB {
            throw DriverError(.rejected, "memory \(workload.memoryMiB) MiB does not fit this host's \(hostMemoryMiB) MiB")
        }
    }

    /// The unit's object path, or nil when systemd has no such unit loaded.
    private func unitPath(_ unit: String) throws(DriverError) -> String? {
        do throws(DriverError) {
            let reply = try bus.call(path: Self.managerPath, interface: Self.manager, member: "GetUnit") { message throws(DriverError) in
                try message.append(unit)
            }
            return try reply.readString("o")
        } catch where error.message.contains("NoSuchUnit") {
            return nil
        }
    }

    /// StopUnit: systemd sends the unit SIGTERM, and SIGKILL after its stop timeout (90 s).
    private func requestStop(_ unit: String) throws(DriverError) {
        do throws(DriverError) {
            _ = try bus.call(path: Self.managerPath, interface: Self.manager, member: "StopUnit") { message throws(DriverError) in
                try message.append(unit)
                try message.append("replace")
            }
        } catch where error.message.contains("NoSuchUnit") {
            return
        }
    }

    /// Stops the unit, clears a failed state, and waits until systemd unloaded it.
    private func unload(_ unit: String) throws(DriverError) {
        try requestStop(unit)
        let clock = ContinuousClock()
        let deadline = clock.now + stopTimeout
        while let path = try unitPath(unit) {
            if try property(path, "org.freedesktop.systemd1.Unit", "ActiveState") == "failed" {
                _ = try? bus.call(path: Self.managerPath, interface: Self.manager, member: "ResetFailedUnit") { message throws(DriverError) in
                    try message.append(unit)
                }
            }
            guard clock.now < deadline else { throw DriverError(.runtime, "\(unit) is still stopping after \(stopTimeout)") }
            Thread.sleep(forTimeInterval: 0.05)
        }
    }

    private func property(_ path: String, _ interface: String, _ name: String) throws(DriverError) -> String {
        try get(path, interface, name).readVariantString()
    }

    private func number(_ path: String, _ interface: String, _ name: String, _ type: Character) throws(DriverError) -> UInt64 {
        try get(path, interface, name).readVariantNumber(type)
    }

    /// `org.freedesktop.DBus.Properties.Get`: the reply holds the value as a variant.
    private func get(_ path: String, _ interface: String, _ name: String) throws(DriverError) -> Message {
        try bus.call(path: path, interface: "org.freedesktop.DBus.Properties", member: "Get") { message throws(DriverError) in
            try message.append(interface)
            try message.append(name)
        }
    }
}
