import Foundation
import NodeAgent
import SuanliTestSupport
import Testing

/// The accounts as a department sees them: the real scheduler with a price list in its
/// configuration file, the real agent on libvirt's test driver (whose CPU time is the wall clock,
/// so a one-vCPU guest uses one core exactly), a VM run for a known time and a reservation that no
/// agent runs, then the usage and the bill through the HTTP API.
@Suite("Accounts end to end", .serialized)
struct AccountsEndToEndTests {
    static let prices = (coreHour: 2.0, memoryGiBHour: 0.5)

    @Test("a VM run for a known time is metered within the clocks' slack of it, charged from placement to release at the configured price, a reservation too")
    func knownTimeKnownPrice() async throws {
        let directory = try temporaryDirectory()
        let image = try blankDisk(in: directory)
        let config = #"{"prices": {"currency": "CNY", "coreHour": \#(Self.prices.coreHour), "memoryGiBHour": \#(Self.prices.memoryGiBHour), "nodeClasses": {"ai": {"coreHour": 10}}}}"#
        let scheduler = try SchedulerProcess.start(dataDir: directory.appendingPathComponent("scheduler"), config: config)
        defer { scheduler.kill() }
        let agent = try AgentProcess.start([
            "--scheduler", "127.0.0.1:\(scheduler.grpcPort)", "--token", SchedulerProcess.bootstrapToken, "--node-id", "acct-node",
            "--class", "general", "--site", "center", "--libvirt-uri", "test:///default", "--systemd-bus", "none",
            "--metering-interval", "1", "--reconcile-interval", "1",
        ], dataDir: directory.appendingPathComponent("agent"))
        defer { agent.stop() }
        #expect(try await scheduler.call("POST", "/v1/tenants", body: #"{"id":"water"}"#).0 == 201)
        #expect(try await eventually { (try await scheduler.call("GET", "/v1/nodes/acct-node").1["state"] as? String) == "ready" }, "\(agent.log)")

        let vm = #"{"id":"vm","tenant":"water","kind":"vm","cpu":1,"memoryMiB":512,"workload":{"vm":{"image":"\#(image)"}}}"#
        #expect(try await scheduler.call("POST", "/v1/requests", body: vm).0 == 201)
        #expect(try await scheduler.call("POST", "/v1/requests", body: #"{"id":"hold","tenant":"water","cpu":0.5,"memoryMiB":1024}"#).0 == 201)
        #expect(try await eventually { (try await scheduler.call("GET", "/v1/requests/water:vm").1["phase"] as? String) == "running" })
        try await Task.sleep(for: .seconds(6))
        for id in ["vm", "hold"] { #expect(try await scheduler.call("POST", "/v1/requests/water:\(id)/release").0 == 200) }
        #expect(try await eventually { (try await scheduler.call("GET", "/v1/requests/water:vm").1["phase"] as? String) == "released" })
        // Every sample the agent took has reached the scheduler.
        let store = try AgentStore(directory: agent.dataDir)
        #expect(try await eventually { try store.pendingSamples().isEmpty })

        func held(_ id: String) async throws -> Double {
            let history = (try await scheduler.call("GET", "/v1/requests/water:\(id)").1["history"] as? [[String: Any]]) ?? []
            let at = { (phase: String) in history.first { $0["phase"] as? String == phase }?["at"] as? Double ?? .nan }
            return at("released") - at("placed")
        }
        func usage(_ id: String, _ basis: String) async throws -> [String: Double] {
            (try await scheduler.call("GET", "/v1/usage?request=water:\(id)&basis=\(basis)").1["usage"] as? [String: Double]) ?? [:]
        }
        let vmSeconds = try await held("vm"), holdSeconds = try await held("hold")
        #expect(vmSeconds > 6 && holdSeconds > 6)

        // Allocated: what was reserved, from placement to release, by the scheduler's own clock.
        let vmAllocated = try await usage("vm", "allocated"), holdAllocated = try await usage("hold", "allocated")
        #expect(abs(vmAllocated["cpuCoreHours", default: 0] - vmSeconds / 3600) < 1e-9, "\(vmAllocated) for \(vmSeconds) s")
        #expect(abs(vmAllocated["memoryGiBHours", default: 0] - 0.5 * vmSeconds / 3600) < 1e-9)
        #expect(abs(holdAllocated["cpuCoreHours", default: 0] - 0.5 * holdSeconds / 3600) < 1e-9)

        // Used: what the agent measured. The guest used its one core from the first reading (a
        // baseline, never usage: counted from zero it was 57 years) to the stop: within the
        // metering interval of the time it held the allocation, never more than it.
        let vmUsed = try await usage("vm", "used")
        let usedSeconds = vmUsed["cpuCoreHours", default: 0] * 3600
        #expect(usedSeconds <= vmSeconds * 1.02 && usedSeconds >= vmSeconds - 2.5, "used \(usedSeconds) core-seconds in \(vmSeconds) s")
        #expect(try await usage("hold", "used")["cpuCoreHours"] == 0, "no agent runs a reservation")

        // The bill: both bases at the configured prices, per request and node class.
        let report = try await scheduler.call("GET", "/v1/billing?tenant=water").1
        #expect(report["currency"] as? String == "CNY")
        let bill = try #require((report["bills"] as? [[String: Any]])?.first)
        func total(_ charge: Any?) -> Double { (charge as? [String: Any])?["total"] as? Double ?? .nan }
        let expectedAllocated = Self.prices.coreHour * (vmSeconds + 0.5 * holdSeconds) / 3600 + Self.prices.memoryGiBHour * (0.5 * vmSeconds + 1 * holdSeconds) / 3600
        #expect(abs(total(bill["allocated"]) - expectedAllocated) < 1e-9, "\(bill)")
        let expectedUsed = Self.prices.coreHour * vmUsed["cpuCoreHours", default: 0] + Self.prices.memoryGiBHour * vmUsed["memoryGiBHours", default: 0]
        #expect(abs(total(bill["used"]) - expectedUsed) < 1e-9)
        let lines = (bill["lines"] as? [[String: Any]]) ?? []
        #expect(lines.map { $0["request"] as? String } == ["water:hold", "water:vm"] && lines.allSatisfy { $0["nodeClass"] as? String == "general" })
        #expect(abs((bill["due"] as? Double ?? .nan) - expectedAllocated) < 1e-9, "due on the allocated basis by default")
        let csv = try await scheduler.send("GET", "/v1/billing?tenant=water&format=csv").text
        #expect(csv.split(separator: "\n").count == 5 && csv.contains("water,water:vm,general,used,"), "\(csv)")

        // The list in effect is the configuration file's; a budget and where the tenant stands.
        let prices = try await scheduler.call("GET", "/v1/prices").1
        let current = prices["current"] as? [String: Any]
        #expect((current?["standard"] as? [String: Double])?["coreHour"] == Self.prices.coreHour && current?["publishedBy"] as? String == "config")
        #expect(try await scheduler.call("PUT", "/v1/tenants/water/budget", body: #"{"monthly": 1000}"#).0 == 200)
        let budget = try await scheduler.call("GET", "/v1/tenants/water/budget").1
        #expect(budget["budget"] as? Double == 1000 && budget["currency"] as? String == "CNY" && (budget["due"] as? Double ?? 0) > 0, "\(budget)")
        // The reservation nothing ran on is the least efficient.
        let efficiency = try await scheduler.call("GET", "/v1/efficiency?tenant=water").1
        let requests = (efficiency["requests"] as? [[String: Any]]) ?? []
        #expect(requests.map { $0["subject"] as? String } == ["water:hold", "water:vm"] && requests.first?["cpu"] as? Double == 0, "\(efficiency)")
    }
}
