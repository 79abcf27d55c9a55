import Foundation
import NodeAgent
import SuanliTestSupport
import WorkloadDriver

/// The real components `scripts/test-hosts` starts; tests that need one are enabled only when
/// its address is set (scripts/test always sets both).
enum Hosts {
    static var systemdBus: String? { ProcessInfo.processInfo.environment["SUANLI_TEST_SYSTEMD_BUS"] }
    static var qemuURI: String? { ProcessInfo.processInfo.environment["SUANLI_TEST_QEMU_URI"] }
}

/// A blank raw disk image: the guest's firmware finds nothing to boot and idles, burning real CPU.
func blankDisk(in directory: URL) throws -> String {
    let path = directory.appendingPathComponent("disk.raw").path
    FileManager.default.createFile(atPath: path, contents: nil)
    let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
    try handle.truncate(atOffset: 16 << 20)
    try handle.close()
    return path
}

func vm(_ id: String, image: String, memoryMiB: Int64 = 128, restart: RestartPolicy = .never) -> WorkloadDefinition {
    WorkloadDefinition(id: id, tenant: "water", cpuMillis: 1000, memoryMiB: memoryMiB, runtime: .virtualMachine(.init(image: image)), restart: restart)
}

func service(_ id: String, _ command: [String], memoryMiB: Int64 = 64, restart: RestartPolicy = .never) -> WorkloadDefinition {
    WorkloadDefinition(id: id, tenant: "water", cpuMillis: 500, memoryMiB: memoryMiB, runtime: .service(.init(command: command)), restart: restart)
}

/// Polls `condition` every 100 ms for up to `seconds`.
func eventually(_ seconds: Double = 20, _ condition: () async throws -> Bool) async throws -> Bool {
    let deadline = Date().addingTimeInterval(seconds)
    while Date() < deadline {
        if try await condition() { return true }
        try await Task.sleep(for: .milliseconds(100))
    }
    return try await condition()
}
