import Foundation
import LibvirtDriver
import NodeAgent
import SuanliTestSupport
import SystemdDriver
import Testing
import WorkloadDriver

extension HostTests {
    /// The real scheduler and the real agent binaries, a real QEMU guest and a real systemd unit.
    @Suite("Scheduler and agent end to end", .serialized,
           .enabled(if: Hosts.systemdBus != nil && Hosts.qemuURI != nil, "needs scripts/test-hosts"))
    struct EndToEndTests {
        static func startAgent(schedulerPort: Int, dataDir: URL) throws -> AgentProcess {
            try AgentProcess.start([
                "--scheduler", "127.0.0.1:\(schedulerPort)", "--token", SchedulerProcess.bootstrapToken,
                "--node-id", "e2e-node", "--class", "general", "--site", "center",
                "--libvirt-uri", Hosts.qemuURI!, "--systemd-bus", Hosts.systemdBus!,
                "--metering-interval", "1", "--reconcile-interval", "1", "--stop-grace", "3",
            ], dataDir: dataDir)
        }

        func cpuCoreHours(_ scheduler: SchedulerProcess, _ request: String) async throws -> Double {
            let (_, body) = try await scheduler.call("GET", "/v1/usage?request=water:\(request)")
            return (body["usage"] as? [String: Any])?["cpuCoreHours"] as? Double ?? 0
        }

        @Test("VM and service run, are metered and released; cut off from the scheduler they keep running and their samples arrive exactly once")
        func endToEnd() async throws {
            let directory = try temporaryDirectory()
            let image = try blankDisk(in: directory)
            let libvirt = try LibvirtDriver(uri: Hosts.qemuURI!, hostMemoryMiB: 4096)
            let systemd = try SystemdDriver(busAddress: Hosts.systemdBus, hostMemoryMiB: 4096)
            var scheduler = try SchedulerProcess.start(dataDir: directory.appendingPathComponent("scheduler"))
            let agent = try Self.startAgent(schedulerPort: scheduler.grpcPort, dataDir: directory.appendingPathComponent("agent"))
            let tag = UUID().uuidString.prefix(6).lowercased()
            defer {
                agent.stop()
                scheduler.kill()
                for id in ["water:vm-\(tag)/0", "water:vm2-\(tag)/0"] { try? libvirt.remove(id: id) }
                for id in ["water:svc-\(tag)/0", "water:svc2-\(tag)/0"] { try? systemd.remove(id: id) }
            }
            #expect(try await scheduler.call("POST", "/v1/tenants", body: #"{"id":"water"}"#).0 == 201)
            #expect(try await eventually {
                (try await scheduler.call("GET", "/v1/nodes/e2e-node").1["state"] as? String) == "ready"
            })

            func submit(_ id: String) async throws {
                let body = id.hasPrefix("vm")
                    ? #"{"id":"\#(id)","tenant":"water","kind":"vm","cpu":1,"memoryMiB":128,"workload":{"vm":{"image":"\#(image)"}}}"#
                    : #"{"id":"\#(id)","tenant":"water","kind":"service","cpu":0.5,"memoryMiB":64,"workload":{"service":{"command":["/bin/sh","-c","while :; do :; done"]}}}"#
                #expect(try await scheduler.call("POST", "/v1/requests", body: body).0 == 201)
            }
            func running(_ id: String) throws -> Bool {
                let observed = ObservedWorkload(id: "water:\(id)/0", state: .running)
                return try (id.hasPrefix("vm") ? libvirt.list() : systemd.list()).contains(observed)
            }
            func gone(_ id: String) throws -> Bool {
                try !(id.hasPrefix("vm") ? libvirt.list() : systemd.list()).contains { $0.id == "water:\(id)/0" }
            }

            // Submit through the HTTP API: the domain runs in libvirt, the unit in systemd, both metered.
            let first = ["vm-\(tag)", "svc-\(tag)"]
            for id in first { try await submit(id) }
            for id in first {
                #expect(try await eventually { try running(id) }, "\(id) runs")
                #expect(try await eventually { try await cpuCoreHours(scheduler, id) > 0 }, "\(id) has CPU time in the usage API")
            }
            for id in first { #expect(try await scheduler.call("POST", "/v1/requests/water:\(id)/release").0 == 200) }
            for id in first {
                #expect(try await eventually { try gone(id) }, "\(id) is gone from its runtime")
                #expect(try await eventually { (try await scheduler.call("GET", "/v1/requests/water:\(id)").1["phase"] as? String) == "released" })
            }

            // Cut off: the workloads keep running and their samples wait on disk.
            let second = ["vm2-\(tag)", "svc2-\(tag)"]
            for id in second { try await submit(id) }
            for id in second { #expect(try await eventually { try running(id) }) }
            let grpcPort = scheduler.grpcPort
            scheduler.stop()
            let store = try AgentStore(directory: agent.dataDir)
            #expect(try await eventually { try store.pendingSamples().filter { $0.workloadID.hasPrefix("water:vm2-\(tag)") || $0.workloadID.hasPrefix("water:svc2-\(tag)") }.count >= 6 })
            for id in second { #expect(try running(id), "\(id) keeps running without the scheduler") }

            // Back: every buffered sample is delivered, and counted once.
            scheduler = try SchedulerProcess.start(dataDir: directory.appendingPathComponent("scheduler"), grpcPort: grpcPort)
            #expect(try await eventually(30) { try store.pendingSamples().isEmpty })
            for id in first + second {
                // The second pair still runs and is sampled every second: a sample taken between
                // the two reads is measured before it is delivered, so the two are compared again.
                var measured = 0.0, billed = 0.0
                let agree = try await eventually(10) {
                    measured = try store.samples().filter { $0.workloadID == "water:\(id)/0" }.reduce(0) { $0 + $1.cpuCoreHours }
                    billed = try await cpuCoreHours(scheduler, id)
                    return abs(billed - measured) <= 1e-9 * measured
                }
                #expect(measured > 0)
                #expect(agree, "\(id): billed \(billed) core-hours, measured \(measured)")
            }
        }
    }
}
