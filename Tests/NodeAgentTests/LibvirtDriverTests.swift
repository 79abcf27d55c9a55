import Foundation
import LibvirtDriver
import SuanliTestSupport
import Synchronization
import Testing
import WorkloadDriver

extension HostTests {
    /// The VM lifecycle against libvirt's test driver (in-process, no daemon).
    @Suite("libvirt driver (test driver)", .serialized)
    struct LibvirtDriverTests {
        @Test("domain XML carries the resources, the disk, the kernel and the Suanli metadata, escaped")
        func domainXML() {
            var workload = vm("r<1>/0", image: "/images/a b.qcow2", memoryMiB: 2048)
            workload.cpuMillis = 1500
            let xml = DomainXML.domain(
                for: workload, vm: .init(image: "/images/a b.qcow2", network: "default", kernel: "/boot/vmlinuz", initrd: "/boot/initrd", kernelArguments: "console=ttyS0 a='b'"),
                type: "qemu", imageFormat: "qcow2")
            #expect(xml.contains("<domain type='qemu'>"))
            #expect(xml.contains("<name>suanli-r&lt;1&gt;.0</name>"))
            #expect(xml.contains("<memory unit='MiB'>2048</memory>"))
            #expect(xml.contains("<vcpu>2</vcpu>"))
            #expect(xml.contains("<driver name='qemu' type='qcow2'/>"))
            #expect(xml.contains("<source file='/images/a b.qcow2'/>"))
            #expect(xml.contains("<source network='default'/>"))
            #expect(xml.contains("<kernel>/boot/vmlinuz</kernel>") && xml.contains("<initrd>/boot/initrd</initrd>"))
            #expect(xml.contains("<cmdline>console=ttyS0 a=&apos;b&apos;</cmdline>"))
            #expect(DomainXML.workloadID(inMetadata: "<workload xmlns='\(DomainXML.namespace)' id='r&lt;1&gt;/0' tenant='water'/>") == "r<1>/0")
        }

        @Test("define and start, idempotent start, adoption by a second driver, shutdown, remove, lifecycle events")
        func lifecycle() throws {
            let directory = try temporaryDirectory()
            let image = try blankDisk(in: directory)
            let events = Mutex(0)
            let driver = try LibvirtDriver(uri: "test:///default", hostMemoryMiB: 4096) { events.withLock { $0 += 1 } }
            let workload = vm("life/0", image: image)
            try driver.start(workload)
            try driver.start(workload)
            #expect(try driver.list().filter { $0.id == "life/0" } == [ObservedWorkload(id: "life/0", state: .running)])

            // A restarted agent opens a new connection and finds the domain by its metadata.
            let adopted = try LibvirtDriver(uri: "test:///default", hostMemoryMiB: 4096)
            #expect(try adopted.list().contains(ObservedWorkload(id: "life/0", state: .running)))
            #expect(try adopted.usage(id: "life/0")?.memoryBytes == 128 << 20)

            // The test driver's guest powers off as soon as it is asked to.
            try adopted.stop(id: "life/0")
            try adopted.stop(id: "life/0")
            #expect(try driver.list().filter { $0.id == "life/0" } == [ObservedWorkload(id: "life/0", state: .exited(failed: false, message: "the virtual machine powered off"))])
            try adopted.remove(id: "life/0")
            try adopted.remove(id: "life/0")
            #expect(try driver.list().contains { $0.id == "life/0" } == false)
            #expect(try driver.usage(id: "life/0") == nil)
            // Started and stopped (undefined): lifecycle events arrive on libvirt's event thread.
            let deadline = Date().addingTimeInterval(5)
            while events.withLock({ $0 }) < 2 && Date() < deadline { Thread.sleep(forTimeInterval: 0.05) }
            #expect(events.withLock { $0 } >= 2)
        }

        @Test("bad specs are rejected with the reason: missing image, relative path, memory above the host, no disk nor kernel")
        func badSpecs() throws {
            let driver = try LibvirtDriver(uri: "test:///default", hostMemoryMiB: 4096)
            let image = try blankDisk(in: try temporaryDirectory())
            func rejection(_ workload: WorkloadDefinition) -> String? {
                do {
                    try driver.start(workload)
                    return nil
                } catch {
                    return error.kind == .rejected ? error.message : "not rejected: \(error)"
                }
            }
            #expect(rejection(vm("bad/0", image: "/nonexistent/disk.qcow2")) == "image '/nonexistent/disk.qcow2' does not exist on this node")
            #expect(rejection(vm("bad/1", image: "disk.qcow2")) == "image 'disk.qcow2' is not an absolute path")
            #expect(rejection(vm("bad/2", image: image, memoryMiB: 8192)) == "memory 8192 MiB does not fit this host's 4096 MiB")
            #expect(rejection(vm("bad/3", image: "")) == "a virtual machine needs a disk image or a kernel")
            #expect(try driver.list().contains { $0.id.hasPrefix("bad/") } == false)
        }

        @Test("an unreachable libvirt is reported as unavailable")
        func unreachable() {
            let error = #expect(throws: DriverError.self) { try LibvirtDriver(uri: "qemu:///system?socket=/nonexistent/sock", hostMemoryMiB: 1024) }
            #expect(error?.kind == .unavailable)
        }
    }
}
