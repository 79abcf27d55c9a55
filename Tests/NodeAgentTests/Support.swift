import Foundation
import NodeAgent
import SuanliTestSupport
import Testing
import WorkloadDriver

/// The real components `scripts/test-hosts` starts; tests that need one are enabled only when
/// its address is set (scripts/test always sets both).
enum Hosts {
    static var systemdBus: String? { ProcessInfo.processInfo.environment["SUANLI_TEST_SYSTEMD_BUS"] }
    static var qemuURI: String? { ProcessInfo.processInfo.environment["SUANLI_TEST_QEMU_URI"] }
}

/// Every suite that drives libvirt or systemd runs inside this one, one test at a time: they
/// share the test driver's default state, one systemd and one libvirtd.
@Suite("Node agent against libvirt and systemd", .serialized)
enum HostTests {}

/// A private libvirt test-driver host (2 CPUs, 8 GiB, a storage pool `images` holding the qcow2
/// volume `disk.qcow2`): its state belongs to one connection.
func privateTestHost() throws -> String {
    let file = try temporaryDirectory().appendingPathComponent("node.xml")
    try """
        <node>
          <cpu><mhz>2000</mhz><model>test</model><active>2</active><nodes>1</nodes><sockets>1</sockets><cores>2</cores><threads>1</threads></cpu>
          <memory>8388608</memory>
          <pool type='dir'>
            <name>images</name>
            <target><path>/var/lib/suanli-test-images</path></target>
            <volume type='file'>
              <name>disk.qcow2</name>
              <capacity unit='MiB'>16</capacity>
              <target><format type='qcow2'/></target>
            </volume>
          </pool>
        </node>
        """.write(to: file, atomically: true, encoding: .utf8)
    return "test://" + file.path
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


/// The agent binary in a child process, its log in `<dataDir>/agent.log`.
struct AgentProcess {
    let process: Process
    let dataDir: URL

    static func start(_ arguments: [String], dataDir: URL) throws -> AgentProcess {
        let process = Process()
        process.executableURL = builtBinary("suanli-agent")
        process.arguments = ["--data-dir", dataDir.path] + arguments
        try FileManager.default.createDirectory(at: dataDir, withIntermediateDirectories: true)
        let log = dataDir.appendingPathComponent("agent.log")
        FileManager.default.createFile(atPath: log.path, contents: nil)
        process.standardError = try FileHandle(forWritingTo: log)
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        return AgentProcess(process: process, dataDir: dataDir)
    }

    /// Its log so far.
    var log: String { (try? String(contentsOf: dataDir.appendingPathComponent("agent.log"), encoding: .utf8)) ?? "" }

    func stop() {
        process.terminate()
        process.waitUntilExit()
    }
}
