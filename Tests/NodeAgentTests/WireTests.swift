@testable import NodeAgent
import SuanliProto
import Testing
import WorkloadDriver

@Suite("Assignments from the wire")
struct WireTests {
    func workload(_ vm: Suanli_Agent_V1_VirtualMachineSpec) -> Suanli_Agent_V1_Workload {
        .with {
            $0.id = "web/0"
            $0.tenant = "water"
            $0.resources = .with { $0.cpuMillis = 1500; $0.memoryMib = 2048; $0.diskGib = 10 }
            $0.spec = .with { $0.restart = "on-failure"; $0.runtime = .vm(vm) }
            $0.leaseEndsAt = 1_800_000_000
        }
    }

    @Test("a virtual machine on an image or on a storage volume; empty fields are absent")
    func virtualMachine() throws {
        let onImage = try #require(WorkloadDefinition(workload(.with { $0.image = "/images/a.qcow2"; $0.network = "default" })))
        #expect(onImage.runtime == .virtualMachine(.init(image: "/images/a.qcow2", network: "default")))
        #expect(onImage.cpuMillis == 1500 && onImage.memoryMiB == 2048 && onImage.diskGiB == 10)
        #expect(onImage.restart == .onFailure && onImage.leaseEndsAt == 1_800_000_000)
        let onVolume = try #require(WorkloadDefinition(workload(.with { $0.volume = "images/a.qcow2" })))
        #expect(onVolume.runtime == .virtualMachine(.init(image: "", volume: "images/a.qcow2")))
    }

    @Test("a workload with no runtime spec only reserves capacity: nothing to run")
    func reservation() {
        #expect(WorkloadDefinition(Suanli_Agent_V1_Workload.with { $0.id = "hold/0" }) == nil)
    }
}
