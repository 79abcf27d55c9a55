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
                type: "qemu", diskFormat: "qcow2")
            #expect(xml.contains("<domain type='qemu'>"))
            #expect(xml.contains("<name>suanli-r&lt;1&gt;.0</name>"))
            #expect(xml.contains("<memory unit='MiB'>2048</memory>"))
            #expect(xml.contains("<vcpu>2</vcpu>"))
            #expect(xml.contains("<driver name='qemu' type='qcow2'/>"))
            #expect(xml.contains("<source file='/images/a b.qcow2'/>"))
            #expect(xml.contains("<source network='default'/>"))
            #expect(xml.contains("<kernel>/boot/vmlinuz</kernel>") && xml.contains("<initrd>/boot/initrd</initrd>"))
            #expect(xml.contains("<cmdline>console=ttyS0 a=&apos;b&apos;</cmdline>"))
            #expect(!xml.contains("type='volume'"))

            // A storage volume instead of an image file, with the format the pool gives it.
            let onVolume = DomainXML.domain(for: workload, vm: .init(image: "", volume: "images/vm&1.qcow2"), type: "kvm", diskFormat: "qcow2")
            #expect(onVolume.contains("<disk type='volume' device='disk'>\n      <source pool='images' volume='vm&amp;1.qcow2'/>\n      <driver name='qemu' type='qcow2'/>"))
            #expect(!onVolume.contains("<source file="))
            #expect(DomainXML.volume("images/a.qcow2")! == ("images", "a.qcow2"))
            #expect(DomainXML.volume("a.qcow2") == nil && DomainXML.volume("images/") == nil && DomainXML.volume("a/b/c") == nil)
            #expect(DomainXML.format(ofVolume: "<volume><name>a</name><target><path>/p/a</path><format type='qcow2'/></target><backingStore><format type='raw'/></backingStore></volume>") == "qcow2")
            #expect(DomainXML.format(ofVolume: "<volume><name>a</name><target><path>/p/a</path></target><backingStore><format type='qcow2'/></backingStore></volume>") == "raw")
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
            #expect(rejection(vm("bad/3", image: "")) == "a virtual machine needs a disk image, a volume or a kernel")
            #expect(try driver.list().contains { $0.id.hasPrefix("bad/") } == false)
        }

        @Test("a disk from a storage volume: runs when the volume exists, rejected when it does not or when an image is also given")
        func volumes() throws {
            let driver = try LibvirtDriver(uri: try privateTestHost(), hostMemoryMiB: 4096)
            func onVolume(_ id: String, _ volume: String, image: String = "") -> WorkloadDefinition {
                WorkloadDefinition(id: id, tenant: "water", cpuMillis: 1000, memoryMiB: 128, runtime: .virtualMachine(.init(image: image, volume: volume)))
            }
            try driver.start(onVolume("vol/0", "images/disk.qcow2"))
            #expect(try driver.list() == [ObservedWorkload(id: "vol/0", state: .running)])
            try driver.remove(id: "vol/0")
            for (workload, reason) in [
                (onVolume("vol/1", "images/missing.qcow2"), "volume 'images/missing.qcow2' does not exist on this node"),
                (onVolume("vol/2", "nopool/disk.qcow2"), "volume 'nopool/disk.qcow2' does not exist on this node"),
                (onVolume("vol/3", "disk.qcow2"), "volume 'disk.qcow2' is not POOL/VOLUME"),
                (onVolume("vol/4", "images/disk.qcow2", image: try blankDisk(in: try temporaryDirectory())), "a virtual machine has one disk: an image or a volume, not both"),
            ] {
                #expect(throws: DriverError(.rejected, reason)) { try driver.start(workload) }
            }
            #expect(try driver.list().isEmpty)
        }

        @Test("an unreachable libvirt is reported as unavailable")
        func unreachable() {
            let error = #expect(throws: DriverError.self) { try LibvirtDriver(uri: "qemu:///system?socket=/nonexistent/sock", hostMemoryMiB: 1024) }
            #expect(error?.kind == .unavailable)
        }
    }
}
