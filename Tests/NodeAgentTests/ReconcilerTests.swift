import Foundation
import LibvirtDriver
import Logging
import NodeAgent
import SuanliTestSupport
import Synchronization
import SystemdDriver
import Testing
import WorkloadDriver

extension HostTests {
    /// The reconciler against real drivers and a real store on disk, with an injected clock.
    @Suite("Reconciler", .serialized)
    struct ReconcilerTests {
        final class Clock: Sendable {
            let time = Mutex(1_800_000_000.0)
            var now: @Sendable () -> Double { { self.time.withLock { $0 } } }
            func advance(_ seconds: Double) { time.withLock { $0 += seconds } }
        }

        func statuses(_ store: AgentStore) throws -> [String] {
            try store.pendingStatuses().map { "\($0.workloadID) \($0.state.rawValue)" }
        }

        @Test("assignments start once, survive an agent restart without duplicates, and stopped ones are removed and reported")
        func convergeAdoptRemove() async throws {
            let directory = try temporaryDirectory()
            let image = try blankDisk(in: directory)
            let store = try AgentStore(directory: directory)
            let clock = Clock()
            let driver = try LibvirtDriver(uri: try privateTestHost(), hostMemoryMiB: 4096)
            let reconciler = Reconciler(store: store, drivers: [driver], logger: Logger(label: "test"), now: clock.now)
            try store.apply(.sync([vm("conv/0", image: image), vm("conv/1", image: "/missing.img")]), at: clock.now())
            try await reconciler.reconcile()
            try await reconciler.reconcile()
            #expect(try driver.list().filter { $0.id.hasPrefix("conv/") }.map(\.id) == ["conv/0"])
            #expect(try statuses(store) == ["conv/0 accepted", "conv/1 accepted", "conv/0 running", "conv/1 failed"])
            #expect(try store.pendingStatuses().last?.reason == "image '/missing.img' does not exist on this node")

            // A new agent: the same store on disk opened again (adoption by a new libvirt
            // connection is the driver's test).
            let restarted = Reconciler(store: try AgentStore(directory: directory), drivers: [driver], logger: Logger(label: "test"), now: clock.now)
            try await restarted.reconcile()
            #expect(try driver.list().filter { $0.id.hasPrefix("conv/") }.count == 1)
            #expect(try store.pendingStatuses().count == 4)

            // Metering: from the baseline read as it started, never from zero (the test driver's
            // CPU time is the wall clock since 1970: counted from zero it was decades of
            // core-hours).
            clock.advance(10)
            try await restarted.meter()
            let sample = try #require(try store.pendingSamples().last)
            // The driver's clock moved by the real time between the readings: a little, never more
            // than one core over the interval.
            #expect(sample.workloadID == "conv/0" && sample.end - sample.start == 10 && sample.cpuCoreHours > 0 && sample.cpuCoreHours < 10.0 / 3600)
            #expect(abs(sample.memoryGiBHours - 0.125 * 10 / 3600) < 1e-9)

            // Stopped: metered up to the moment it is asked to shut down; once it is off, removed,
            // reported and forgotten.
            try store.apply(.stop(id: "conv/0"), at: clock.now())
            clock.advance(4)
            try await restarted.reconcile()
            let last = try #require(try store.pendingSamples().last)
            #expect(last.sequence == sample.sequence + 1 && last.start == sample.end && last.end - last.start == 4)
            #expect(try store.workload("conv/0")?.stopDeadline == clock.now() + 30)
            try await restarted.reconcile()
            #expect(try driver.list().contains { $0.id.hasPrefix("conv/") } == false)
            #expect(try statuses(store).last == "conv/0 stopped")
            #expect(try store.workload("conv/0") == nil)
        }

        @Test("a workload whose lease ended is stopped by the agent itself (no scheduler needed), metered to the end and reported")
        func leaseEnd() async throws {
            let directory = try temporaryDirectory()
            let store = try AgentStore(directory: directory)
            let clock = Clock()
            let driver = try LibvirtDriver(uri: try privateTestHost(), hostMemoryMiB: 4096)
            let reconciler = Reconciler(store: store, drivers: [driver], logger: Logger(label: "test"), now: clock.now)
            var leased = vm("lease/0", image: try blankDisk(in: directory), restart: .always)
            leased.leaseEndsAt = clock.now() + 30
            try store.apply(.start(leased), at: clock.now())
            try await reconciler.reconcile()
            clock.advance(29)
            try await reconciler.reconcile()
            #expect(try driver.list().map(\.id) == ["lease/0"])
            clock.advance(1)
            try await reconciler.reconcile()
            #expect(try driver.list().map(\.state) == [.exited(failed: false, message: "the virtual machine powered off")])
            try await reconciler.reconcile()
            #expect(try driver.list().isEmpty)
            #expect(try store.workload("lease/0")?.phase == .finished)
            #expect(try store.pendingStatuses().last?.reason == "stopped: its lease ended at 2027-01-15T08:00:30Z")
            let samples = try store.pendingSamples()
            #expect(samples.map(\.end) == [clock.now()] && samples.first?.end == leased.leaseEndsAt)
            #expect(samples.first.map { $0.end - $0.start } == 30)
            // Its restart policy does not bring it back; the scheduler's stop then forgets it.
            clock.advance(60)
            try await reconciler.reconcile()
            #expect(try driver.list().isEmpty)
            try store.apply(.stop(id: "lease/0"), at: clock.now())
            try await reconciler.reconcile()
            #expect(try store.workloads().isEmpty)
            #expect(try statuses(store) == ["lease/0 accepted", "lease/0 running", "lease/0 stopped", "lease/0 stopped"])
        }

        @Test("a workload assigned again before the agent stopped it starts afresh")
        func reassignedWhileStopping() async throws {
            let directory = try temporaryDirectory()
            let store = try AgentStore(directory: directory)
            let driver = try LibvirtDriver(uri: try privateTestHost(), hostMemoryMiB: 4096)
            let reconciler = Reconciler(store: store, drivers: [driver], logger: Logger(label: "test"))
            let definition = vm("again/0", image: try blankDisk(in: directory))
            try store.apply(.start(definition), at: 0)
            try await reconciler.reconcile()
            try store.apply(.stop(id: "again/0"), at: 0)
            try store.apply(.sync([definition]), at: 0)
            #expect(try store.workload("again/0")?.phase == .replacing)
            // Shut down, removed, started again.
            for _ in 0..<3 { try await reconciler.reconcile() }
            #expect(try store.workload("again/0")?.phase == .running)
            #expect(try driver.list().map(\.id) == ["again/0"])
        }

        @Test("a stop from the scheduler that arrives during a pass stands")
        func stopDuringPass() throws {
            let store = try AgentStore(directory: try temporaryDirectory())
            try store.apply(.start(service("race/0", ["/bin/true"])), at: 0)
            // The pass read the workload as pending; the scheduler's stop lands before it writes.
            try store.apply(.stop(id: "race/0"), at: 1)
            try store.transition("race/0", to: .running, report: (.running, "started by systemd"), at: 2) { $0.startedAt = 2 }
            #expect(try store.workload("race/0")?.phase == .stopping)
            #expect(try store.workload("race/0")?.startedAt == 2)
        }

        @Test("a domain tagged for Suanli but not assigned is removed")
        func orphans() async throws {
            let directory = try temporaryDirectory()
            let driver = try LibvirtDriver(uri: try privateTestHost(), hostMemoryMiB: 4096)
            try driver.start(vm("orphan/0", image: try blankDisk(in: directory)))
            let store = try AgentStore(directory: directory)
            try await Reconciler(store: store, drivers: [driver], logger: Logger(label: "test")).reconcile()
            #expect(try driver.list().contains { $0.id == "orphan/0" } == false)
            #expect(try statuses(store) == ["orphan/0 stopped"])
        }

        @Test("a workload no driver runs fails with the reason")
        func noDriver() async throws {
            let store = try AgentStore(directory: try temporaryDirectory())
            let driver = try LibvirtDriver(uri: try privateTestHost(), hostMemoryMiB: 4096)
            try store.apply(.start(service("svc/0", ["/bin/true"])), at: 0)
            try await Reconciler(store: store, drivers: [driver], logger: Logger(label: "test")).reconcile()
            #expect(try store.pendingStatuses().last?.reason == "this node runs no service workloads")
        }

        @Test("restart policies with a real systemd: on-failure restarts after the back-off, never reports the failure",
              .enabled(if: Hosts.systemdBus != nil, "needs scripts/test-hosts"))
        func restartPolicies() async throws {
            let store = try AgentStore(directory: try temporaryDirectory())
            let clock = Clock()
            let driver = try SystemdDriver(busAddress: Hosts.systemdBus, hostMemoryMiB: 4096)
            let reconciler = Reconciler(store: store, drivers: [driver], logger: Logger(label: "test"), now: clock.now)
            let tag = UUID().uuidString.prefix(8)
            let flaky = "flaky-\(tag)/0", once = "once-\(tag)/0"
            try store.apply(.start(service(flaky, ["/bin/sh", "-c", "sleep 0.2; exit 1"], restart: .onFailure)), at: clock.now())
            try store.apply(.start(service(once, ["/bin/sh", "-c", "sleep 0.2; exit 1"], restart: .never)), at: clock.now())
            try await reconciler.reconcile()
            #expect(try await eventually { try driver.list().filter { [flaky, once].contains($0.id) && $0.state != .running }.count == 2 })
            try await reconciler.reconcile()
            #expect(try store.workload(flaky)?.phase == .pending)
            #expect(try store.workload(flaky)?.restarts == 1)
            #expect(try store.workload(once)?.phase == .finished)
            #expect(try statuses(store).suffix(1) == ["\(once) failed"])
            #expect(try driver.list().contains { $0.id == once } == false)
            // Before the back-off nothing happens; after it the unit runs again.
            try await reconciler.reconcile()
            #expect(try driver.list().contains(ObservedWorkload(id: flaky, state: .running)) == false)
            clock.advance(1)
            try await reconciler.reconcile()
            #expect(try store.workload(flaky)?.phase == .running)
            #expect(try store.workload(flaky)?.restarts == 1)
            try store.apply(.stop(id: flaky), at: clock.now())
            try await reconciler.reconcile()
        }

        @Test("a stopped unit gets SIGTERM; one that ignores it is killed when the grace period ends",
              .enabled(if: Hosts.systemdBus != nil, "needs scripts/test-hosts"))
        func gracefulStop() async throws {
            let store = try AgentStore(directory: try temporaryDirectory())
            let clock = Clock()
            let driver = try SystemdDriver(busAddress: Hosts.systemdBus, hostMemoryMiB: 4096)
            let reconciler = Reconciler(store: store, drivers: [driver], logger: Logger(label: "test"), stopGraceSeconds: 10, now: clock.now)
            let tag = UUID().uuidString.prefix(8)
            let polite = "polite-\(tag)/0", stubborn = "stubborn-\(tag)/0"
            try store.apply(.start(service(polite, ["/bin/sleep", "infinity"])), at: clock.now())
            try store.apply(.start(service(stubborn, ["/bin/sh", "-c", "trap '' TERM; while :; do sleep 0.1; done"])), at: clock.now())
            try await reconciler.reconcile()
            #expect(try await eventually { try driver.list().filter { [polite, stubborn].contains($0.id) && $0.state == .running }.count == 2 })

            try store.apply(.stop(id: polite), at: clock.now())
            try store.apply(.stop(id: stubborn), at: clock.now())
            clock.advance(1)
            try await reconciler.reconcile()
            #expect(try store.pendingSamples().map(\.workloadID).sorted() == [polite, stubborn])
            #expect(try await eventually { try !driver.list().contains { $0.id == polite } })
            try await reconciler.reconcile()
            #expect(try statuses(store).suffix(1) == ["\(polite) stopped"])
            #expect(try store.workload(polite) == nil)

            // Still running within the grace period; killed (and metered again) when it ends.
            clock.advance(9.5)
            try await reconciler.reconcile()
            #expect(try driver.list().contains(ObservedWorkload(id: stubborn, state: .running)))
            clock.advance(0.5)
            try await reconciler.reconcile()
            #expect(try driver.list().contains { $0.id == stubborn } == false)
            #expect(try statuses(store).suffix(1) == ["\(stubborn) stopped"])
            #expect(try store.pendingSamples().filter { $0.workloadID == stubborn }.map { $0.end - $0.start } == [1, 10])
        }
    }
}

@Suite("Inventory and configuration")
struct InventoryTests {
    @Test("CPUs and memory from /proc, disk from statfs, GPUs from an injected nvidia-smi")
    func inventory() throws {
        let directory = try temporaryDirectory()
        try "processor\t: 0\nmodel name\t: x\n\nprocessor\t: 1\n\nprocessor\t: 2\n".write(to: directory.appendingPathComponent("cpuinfo"), atomically: true, encoding: .utf8)
        try "MemTotal:       16384000 kB\nMemFree:        1 kB\n".write(to: directory.appendingPathComponent("meminfo"), atomically: true, encoding: .utf8)
        let script = directory.appendingPathComponent("nvidia-smi")
        try "#!/bin/sh\necho 'NVIDIA A100-SXM4-80GB, 81920'\necho 'NVIDIA A100-SXM4-80GB, 81920'\n".write(to: script, atomically: true, encoding: .utf8)
        chmod(script.path, 0o755)
        let host = try HostInventory.read(procRoot: directory.path, dataDirectory: directory, gpuSource: NvidiaSMI(command: [script.path]))
        #expect(host.cpus == 3)
        #expect(host.memoryMiB == 16_000)
        #expect(host.diskGiB > 0)
        #expect(host.gpus == Array(repeating: DetectedGPU(model: "NVIDIA A100-SXM4-80GB", memoryMiB: 81920), count: 2))
        #expect(try NvidiaSMI(command: ["/nonexistent/nvidia-smi"]).gpus().isEmpty)

        try "#!/bin/sh\necho 'A100, 81920'\necho 'broken'\n".write(to: script, atomically: true, encoding: .utf8)
        chmod(script.path, 0o755)
        #expect(throws: InventoryError("\(script.path) line 2: expected 'name, memory MiB', got 'broken'")) { try NvidiaSMI(command: [script.path]).gpus() }
    }

    @Test("a malformed configuration file, or one with an unknown key, names the file, the line and the field")
    func configuration() throws {
        let directory = try temporaryDirectory()
        let file = directory.appendingPathComponent("agent.json")
        try #"{"nodeClass": "edge", "site": "d7", "labels": {"a": "b"}, "meteringIntervalSeconds": 10}"#.write(to: file, atomically: true, encoding: .utf8)
        let loaded = try AgentConfiguration.load(path: file.path)
        #expect(loaded.nodeClass == "edge" && loaded.labels == ["a": "b"] && loaded.meteringIntervalSeconds == 10)

        try #"{"site": "d7", "meteringIntervalSeconds": "ten"}"#.write(to: file, atomically: true, encoding: .utf8)
        #expect(throws: ConfigurationError("\(file.path): field 'meteringIntervalSeconds': expected Double")) { try AgentConfiguration.load(path: file.path) }
        try "{\n\"site\": \"d7\",\n\"class\" \"edge\"\n}".write(to: file, atomically: true, encoding: .utf8)
        let broken = #expect(throws: ConfigurationError.self) { try AgentConfiguration.load(path: file.path) }
        #expect(broken?.description.hasPrefix("\(file.path): line 3") == true)
        #expect(throws: ConfigurationError.self) { try AgentConfiguration.load(path: directory.appendingPathComponent("none.json").path) }
        try "{\n\"site\": \"d7\",\n\"schedular\": \"center:8421\"\n}".write(to: file, atomically: true, encoding: .utf8)
        #expect(throws: ConfigurationError("\(file.path): line 3: field 'schedular': unknown field; did you mean 'scheduler'?")) {
            try AgentConfiguration.load(path: file.path)
        }
    }
}
