import CSystemd
import Foundation
import WorkloadDriver

/// A thin wrapper over one sd-bus connection. sd-bus objects are not thread-safe: every call
/// holds the lock. Reconnects once when the bus went away.
final class Bus: @unchecked Sendable {
    /// A D-Bus address (`unix:path=...`), or nil for the system bus.
    let address: String?
    private let lock = NSLock()
    private var bus: OpaquePointer?

    init(address: String?) throws(DriverError) {
        self.address = address
        try locked { () throws(DriverError) in try open() }
    }

    deinit {
        if let bus { sd_bus_flush_close_unref(bus) }
    }

    private func locked<T>(_ body: () throws(DriverError) -> T) throws(DriverError) -> T {
        lock.lock()
        defer { lock.unlock() }
        return try body()
    }

    private func open() throws(DriverError) {
        var opened: OpaquePointer?
        var result: Int32
        if let address {
            result = sd_bus_new(&opened)
            if result >= 0 { result = sd_bus_set_address(opened, address) }
            if result >= 0 { result = sd_bus_set_bus_client(opened, 1) }
            if result >= 0 { result = sd_bus_start(opened) }
        } else {
            result = sd_bus_open_system(&opened)
        }
        guard result >= 0, let opened else {
            if let opened { sd_bus_unref(opened) }
            throw DriverError(.unavailable, "cannot connect to the bus \(address ?? "system"): \(String(cString: strerror(-result)))")
        }
        bus = opened
    }

    /// Calls a method on systemd's manager or one of its objects; `arguments` appends the input.
    func call(
        path: String, interface: String, member: String, destination: String = "org.freedesktop.systemd1",
        arguments: (Message) throws(DriverError) -> Void = { _ throws(DriverError) in }
    ) throws(DriverError) -> Message {
        try locked { () throws(DriverError) -> Message in
            do throws(DriverError) {
                return try attempt(path: path, interface: interface, member: member, destination: destination, arguments: arguments)
            } catch where error.kind == .unavailable {
                if let bus { sd_bus_flush_close_unref(bus) }
                bus = nil
                try open()
                return try attempt(path: path, interface: interface, member: member, destination: destination, arguments: arguments)
            }
        }
    }

    private func attempt(
        path: String, interface: String, member: String, destination: String, arguments: (Message) throws(DriverError) -> Void
    ) throws(DriverError) -> Message {
        guard let bus else { throw DriverError(.unavailable, "the bus is not connected") }
        var pointer: OpaquePointer?
        let created = sd_bus_message_new_method_call(bus, &pointer, destination, path, interface, member)
        guard created >= 0, let pointer else { throw DriverError(.runtime, "cannot build \(member): \(String(cString: strerror(-created)))") }
        let message = Message(pointer)
        try arguments(message)
        var error = sd_bus_error()
        defer { sd_bus_error_free(&error) }
        var reply: OpaquePointer?
        let result = sd_bus_call(bus, message.pointer, 0, &error, &reply)
        guard result >= 0, let reply else {
            if let name = error.name {
                throw BusError(name: String(cString: name), message: error.message.map { String(cString: $0) } ?? "").driverError(member)
            }
            let kind: DriverError.Kind = [ENOTCONN, ECONNRESET, ECONNREFUSED, ENOENT, EPIPE].contains(-result) ? .unavailable : .runtime
            throw DriverError(kind, "\(member) failed: \(String(cString: strerror(-result)))")
        }
        return Message(reply)
    }
}

/// A D-Bus error name and message from the peer.
struct BusError {
    var name: String
    var message: String

    func driverError(_ member: String) -> DriverError {
        let kind: DriverError.Kind = name.hasSuffix(".InvalidArgs") || name.hasSuffix(".UnitExists") ? .rejected : .runtime
        return DriverError(kind, "\(member): \(message.isEmpty ? name : message) (\(name))")
    }
}

/// One sd-bus message: appended to while building a call, read from as a reply.
final class Message {
    let pointer: OpaquePointer
    init(_ pointer: OpaquePointer) { self.pointer = pointer }
    deinit { sd_bus_message_unref(pointer) }

    private func check(_ result: Int32, _ what: String) throws(DriverError) {
        guard result >= 0 else { throw DriverError(.runtime, "D-Bus message \(what): \(String(cString: strerror(-result)))") }
    }

    private static func code(_ type: Character) -> CChar { CChar(type.asciiValue!) }

    func append(_ value: String) throws(DriverError) {
        try check(sd_bus_message_append_basic(pointer, Self.code("s"), value), "string")
    }

    func append(_ value: Bool) throws(DriverError) {
        var flag: Int32 = value ? 1 : 0
        try check(sd_bus_message_append_basic(pointer, Self.code("b"), &flag), "boolean")
    }

    func append(_ value: Int32) throws(DriverError) {
        var number = value
        try check(sd_bus_message_append_basic(pointer, Self.code("i"), &number), "int32")
    }

    func append(_ value: UInt64) throws(DriverError) {
        var number = value
        try check(sd_bus_message_append_basic(pointer, Self.code("t"), &number), "uint64")
    }

    func append(strings: [String]) throws(DriverError) {
        try container("a", "s") { () throws(DriverError) in
            for string in strings { try append(string) }
        }
    }

    /// Appends a container (`a` array, `r` struct, `v` variant) of `contents` filled by `body`.
    func container(_ type: Character, _ contents: String, _ body: () throws(DriverError) -> Void) throws(DriverError) {
        try check(sd_bus_message_open_container(pointer, Self.code(type), contents), "open \(contents)")
        try body()
        try check(sd_bus_message_close_container(pointer), "close \(contents)")
    }

    /// Appends one `(sv)` property.
    func property(_ name: String, _ signature: String, _ value: () throws(DriverError) -> Void) throws(DriverError) {
        try container("r", "sv") { () throws(DriverError) in
            try append(name)
            try container("v", signature, value)
        }
    }

    func readString(_ type: Character = "s") throws(DriverError) -> String {
        var value: UnsafePointer<CChar>?
        try check(sd_bus_message_read_basic(pointer, Self.code(type), &value), "read \(type)")
        return value.map { String(cString: $0) } ?? ""
    }

    func readUInt32() throws(DriverError) -> UInt32 {
        var value: UInt32 = 0
        try check(sd_bus_message_read_basic(pointer, Self.code("u"), &value), "read u")
        return value
    }

    /// Enters a container; false at the end of the enclosing array.
    func enter(_ type: Character, _ contents: String) throws(DriverError) -> Bool {
        let result = sd_bus_message_enter_container(pointer, Self.code(type), contents)
        try check(result, "enter \(contents)")
        return result > 0
    }

    func exit() throws(DriverError) {
        try check(sd_bus_message_exit_container(pointer), "exit")
    }

    /// Reads a variant holding one basic value of `type` and returns it as UInt64 (`t`, `u`, `i`).
    func readVariantNumber(_ type: Character) throws(DriverError) -> UInt64 {
        guard try enter("v", String(type)) else { throw DriverError(.runtime, "D-Bus reply lacks a value") }
        var value: UInt64 = 0
        switch type {
        case "t":
            try check(sd_bus_message_read_basic(pointer, Self.code("t"), &value), "read t")
        case "u":
            var small: UInt32 = 0
            try check(sd_bus_message_read_basic(pointer, Self.code("u"), &small), "read u")
            value = UInt64(small)
        default:
            var signed: Int32 = 0
            try check(sd_bus_message_read_basic(pointer, Self.code("i"), &signed), "read i")
            value = UInt64(bitPattern: Int64(signed))
        }
        try exit()
        return value
    }

    func readVariantString() throws(DriverError) -> String {
        guard try enter("v", "s") else { throw DriverError(.runtime, "D-Bus reply lacks a value") }
        let value = try readString()
        try exit()
        return value
    }
}
