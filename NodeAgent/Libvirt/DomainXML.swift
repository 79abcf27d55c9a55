import Foundation
import WorkloadDriver

/// The libvirt domain XML for a virtual machine workload.
public enum DomainXML {
    /// The namespace of the metadata element that tags a domain as a Suanli workload.
    public static let namespace = "https://suanli.io/xmlns/workload/1"

    /// The domain name for a workload id (`REQUEST/REPLICA` → `suanli-REQUEST.REPLICA`).
    public static func name(for id: String) -> String {
        "suanli-" + id.replacingOccurrences(of: "/", with: ".")
    }

    /// The domain for `workload`. `type` is libvirt's domain type: `kvm`, `qemu` (software
    /// emulation) or `test`; `diskFormat` is the image's or the volume's (`raw`, `qcow2`...).
    public static func domain(for workload: WorkloadDefinition, vm: WorkloadDefinition.VirtualMachine, type: String, diskFormat: String) -> String {
        let vcpus = max(1, (workload.cpuMillis + 999) / 1000)
        var os = "    <type arch='x86_64'>hvm</type>\n"
        if !vm.kernel.isEmpty {
            os += "    <kernel>\(escape(vm.kernel))</kernel>\n"
            if !vm.initrd.isEmpty { os += "    <initrd>\(escape(vm.initrd))</initrd>\n" }
            if !vm.kernelArguments.isEmpty { os += "    <cmdline>\(escape(vm.kernelArguments))</cmdline>\n" }
        } else {
            os += "    <boot dev='hd'/>\n"
        }
        var devices = ""
        let disk: String? =
            if let volume = vm.volume.flatMap(volume) {
                "<disk type='volume' device='disk'>\n      <source pool='\(escape(volume.pool))' volume='\(escape(volume.name))'/>"
            } else if !vm.image.isEmpty {
                "<disk type='file' device='disk'>\n      <source file='\(escape(vm.image))'/>"
            } else {
                nil
            }
        if let disk {
            devices += """
                    \(disk)
                      <driver name='qemu' type='\(escape(diskFormat))'/>
                      <target dev='vda' bus='virtio'/>
                    </disk>

                """
        }
        if !vm.network.isEmpty {
            devices += """
                    <interface type='network'>
                      <source network='\(escape(vm.network))'/>
                      <model type='virtio'/>
                    </interface>

                """
        }
        return """
            <domain type='\(escape(type))'>
              <name>\(escape(name(for: workload.id)))</name>
              <metadata>
                <suanli:workload xmlns:suanli='\(namespace)' id='\(escape(workload.id))' tenant='\(escape(workload.tenant))'/>
              </metadata>
              <memory unit='MiB'>\(workload.memoryMiB)</memory>
              <currentMemory unit='MiB'>\(workload.memoryMiB)</currentMemory>
              <vcpu>\(vcpus)</vcpu>
              <cputune>
                <shares>\(max(2, workload.cpuMillis * 1024 / 1000))</shares>
              </cputune>
              <os>
            \(os)  </os>
              <features><acpi/></features>
              <on_poweroff>destroy</on_poweroff>
              <on_reboot>restart</on_reboot>
              <on_crash>destroy</on_crash>
              <devices>
            \(devices)    <serial type='pty'/>
                <video><model type='none'/></video>
                <memballoon model='virtio'/>
              </devices>
            </domain>
            """
    }

    /// The pool and the volume of `POOL/VOLUME`, or nil when it is not of that form.
    public static func volume(_ text: String) -> (pool: String, name: String)? {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty else { return nil }
        return (String(parts[0]), String(parts[1]))
    }

    /// The format of a storage volume from its description (`virStorageVolGetXMLDesc`): its
    /// target's `<format type=...>`, raw when it has none.
    public static func format(ofVolume xml: String) -> String {
        guard let start = xml.range(of: "<target>"), let end = xml[start.upperBound...].range(of: "</target>"),
              let match = xml[start.upperBound..<end.lowerBound].range(of: #"<format type=['"][^'"]+['"]"#, options: .regularExpression)
        else { return "raw" }
        let format = String(xml[match].dropFirst(14).dropLast())
        return format == "none" ? "raw" : format
    }

    /// The workload id in a domain's metadata element, as `virDomainGetMetadata` returns it.
    public static func workloadID(inMetadata element: String) -> String? {
        guard let range = element.range(of: #"id=['"][^'"]*['"]"#, options: .regularExpression) else { return nil }
        return unescape(String(element[range].dropFirst(4).dropLast()))
    }

    static func escape(_ text: String) -> String {
        var escaped = ""
        for character in text {
            switch character {
            case "&": escaped += "&amp;"
            case "<": escaped += "&lt;"
            case ">": escaped += "&gt;"
            case "'": escaped += "&apos;"
            case "\"": escaped += "&quot;"
            default: escaped.append(character)
            }
        }
        return escaped
    }

    static func unescape(_ text: String) -> String {
        text.replacingOccurrences(of: "&lt;", with: "<").replacingOccurrences(of: "&gt;", with: ">")
            .replacingOccurrences(of: "&apos;", with: "'").replacingOccurrences(of: "&quot;", with: "\"")
            .replacingOccurrences(of: "&amp;", with: "&")
    }
}
