import Foundation
import LibvirtDriver
import SuanliTestSupport
import SystemdDriver
import Testing
import WorkloadDriver

extension HostTests {
    /// Transient units in a real systemd 252 (PID 1 of its own namespaces, scripts/test-hosts).
    @Suite("systemd driver (real systemd)", .serialized, .enabled(if: Hosts.systemdBus != nil, "needs scripts/test-hosts"))
    struct SystemdDriverTests {
        func driver() throws -> SystemdDriver {
            try SystemdDriver(busAddress: Hosts.systemdBus, hostMemoryMiB: 4096)
        }

        @Test("a transient unit runs with accounting: CPU time, memory and tasks are real; remove unloads it")
        func accounting() async throws {
            let driver = try driver()
            let id = "acct-\(UUID().uuidString.prefix(8))/0"
            try driver.start(service(id, ["/bin/sh", "-c", "while :; do :; done"]))
            try driver.start(service(id, ["/bin/sh", "-c", "while :; do :; done"]))
            #expect(try await eventually { try driver.list().contains(ObservedWorkload(id: id, state: .running)) })
            try await Task.sleep(for: .seconds(1))
            let first = try #require(try driver.usage(id: id))
            try await Task.sleep(for: .seconds(1))
            let second = try #require(try driver.usage(id: id))
            #expect(first.cpuNanoseconds > 100_000_000)
            #expect(second.cpuNanoseconds > first.cpuNanoseconds)
            #expect(second.memoryBytes > 0)
            #expect(try driver.tasks(id: id) == 1)
            try driver.remove(id: id)
            #expect(try driver.list().contains { $0.id == id } == false)
            try driver.remove(id: id)
        }

        @Test("a failing program is listed as failed with systemd's reason; a bad command or memory is rejected")
        func failures() async throws {
            let driver = try driver()
            let id = "fail-\(UUID().uuidString.prefix(8))/0"
            try driver.start(service(id, ["/bin/sh", "-c", "exit 3"]))
            #expect(try await eventually {
                try driver.list().contains { $0.id == id && $0.state == .exited(failed: true, message: "the unit failed: exit-code, exit status 3") }
            })
            try driver.remove(id: id)
            #expect(try driver.list().contains { $0.id == id } == false)
            #expect(throws: DriverError(.rejected, "the command must start with an absolute program path, got 'sleep'")) {
                try driver.start(service("rel/0", ["sleep", "10"]))
            }
            #expect(throws: DriverError(.rejected, "memory 9000 MiB does not fit this host's 4096 MiB")) {
                try driver.start(service("big/0", ["/bin/sleep", "10"], memoryMiB: 9000))
            }
        }

        @Test("MemoryMax is enforced: a unit that allocates past its limit is killed")
        func memoryLimit() async throws {
            let driver = try driver()
            let id = "mem-\(UUID().uuidString.prefix(8))/0"
            // Grows a shell variable far past 16 MiB.
            try driver.start(service(id, ["/bin/sh", "-c", "a=x; while :; do a=$a$a; done"], memoryMiB: 16))
            #expect(try await eventually {
                try driver.list().contains { $0.id == id && { if case .exited(true, _) = $0.state { true } else { false } }($0) }
            })
            try driver.remove(id: id)
        }

        @Test("unit names escape the workload id as systemd-escape does, and refuse what cannot be a name")
        func unitNames() throws {
            #expect(try SystemdDriver.unitName(for: "web-1/0") == "suanli-web\\x2d1-0.service")
            #expect(try SystemdDriver.unitName(for: ".x/2") == "suanli-\\x2ex-2.service")
            #expect(throws: DriverError.self) { try SystemdDriver.unitName(for: "") }
            #expect(throws: DriverError.self) { try SystemdDriver.unitName(for: String(repeating: "é", count: 100)) }
        }
    }
}

extension HostTests {
    /// A real QEMU guest (software emulation) under a private libvirtd (scripts/test-hosts).
    @Suite("libvirt driver (real QEMU)", .serialized, .enabled(if: Hosts.qemuURI != nil, "needs scripts/test-hosts"))
    struct QEMUDriverTests {
        @Test("a guest reports real CPU time that grows, its memory and block I/O; remove destroys and undefines it")
        func metering() async throws {
            let driver = try LibvirtDriver(uri: try #require(Hosts.qemuURI), domainType: "qemu", hostMemoryMiB: 4096)
            let id = "qemu-\(UUID().uuidString.prefix(8))/0"
            try driver.start(vm(id, image: try blankDisk(in: try temporaryDirectory())))
            #expect(try await eventually { try driver.list().contains(ObservedWorkload(id: id, state: .running)) })
            try await Task.sleep(for: .seconds(1))
            let first = try #require(try driver.usage(id: id))
            try await Task.sleep(for: .seconds(1))
            let second = try #require(try driver.usage(id: id))
            #expect(first.cpuNanoseconds > 0)
            #expect(second.cpuNanoseconds > first.cpuNanoseconds)
            #expect(second.memoryBytes == 128 << 20)
            // The firmware read the boot sector of the blank disk.
            #expect(second.blockBytes > 0)
            try driver.remove(id: id)
            #expect(try driver.list().contains { $0.id == id } == false)
        }
    }
}
