import Foundation
import Synchronization
import SuanliTestSupport
import SystemdDriver
import Testing
import WorkloadDriver

extension HostTests {
    /// Two real schedulers on one real PostgreSQL database (`scripts/postgres`), an agent following
    /// them with a real systemd unit, and callers that follow the leader as a client would.
    @Suite("Schedulers on PostgreSQL: takeover", .serialized,
           .enabled(if: Hosts.systemdBus != nil && TestPostgres.url != nil, "needs scripts/test-hosts and scripts/postgres"))
    struct ReplicationTests {
        /// Two schedulers on a new database: the first leads (its agents' port open), the second
        /// stands by.
        static func pair(in directory: URL) async throws -> (SchedulerProcess, SchedulerProcess, grpc: [Int]) {
            let url = try TestPostgres.freshDatabase()
            let ports = [try freePort(), try freePort()]
            let first = try SchedulerProcess.start(
                dataDir: directory.appendingPathComponent("a"), grpcPort: ports[0], arguments: ["--store", url], waitForAgentsPort: false)
            #expect(try await eventually(10) { try await first.send("GET", "/readyz").json["role"] as? String == "leader" })
            let second = try SchedulerProcess.start(
                dataDir: directory.appendingPathComponent("b"), grpcPort: ports[1], arguments: ["--store", url], waitForAgentsPort: false)
            #expect(try await eventually(10) {
                let readiness = try await second.send("GET", "/readyz").json
                return readiness["role"] as? String == "standby" && readiness["leader"] as? String == "http://127.0.0.1:\(first.port)"
            }, "the second stands by, following the first")
            return (first, second, ports)
        }

        /// Calls the first of `schedulers` that takes it, as a client given both addresses does:
        /// on a refused connection or a 503 it tries the other.
        static func call(_ schedulers: [SchedulerProcess.API], _ method: String, _ path: String, body: String? = nil) async -> SchedulerProcess.Answer? {
            for scheduler in schedulers {
                guard let answer = try? await scheduler.send(method, path, body: body.map { Data($0.utf8) }), answer.status != 503 else { continue }
                return answer
            }
            return nil
        }

        @Test("kill -9 of the leader under submit load: the standby takes over, every acknowledged request is kept, no node is double-booked, the agent's unit keeps running")
        func killTheLeader() async throws {
            let directory = try temporaryDirectory()
            let (leader, standby, grpc) = try await Self.pair(in: directory)
            let systemd = try SystemdDriver(busAddress: Hosts.systemdBus, hostMemoryMiB: 4096)
            let tag = UUID().uuidString.prefix(6).lowercased()
            let agent = try AgentProcess.start([
                "--scheduler", "127.0.0.1:\(grpc[0]),127.0.0.1:\(grpc[1])", "--token", SchedulerProcess.bootstrapToken,
                "--node-id", "ha-node-\(tag)", "--class", "general", "--site", "center", "--libvirt-uri", "none", "--systemd-bus", Hosts.systemdBus!,
                "--reconcile-interval", "1", "--stop-grace", "2",
            ], dataDir: directory.appendingPathComponent("agent"))
            defer {
                agent.stop()
                leader.kill()
                standby.kill()
                try? systemd.remove(id: "water:svc-\(tag)/0")
            }
            let both = [leader.api, standby.api]
            // Set up through the standby, which passes every call on to the leader.
            let tenant = try await standby.send("POST", "/v1/tenants", body: Data(#"{"id":"water"}"#.utf8))
            #expect(tenant.status == 201, "\(tenant.status) \(tenant.text)")
            for i in 0..<4 {
                #expect(try await standby.call("POST", "/v1/nodes", body: #"{"id":"n\#(i)","nodeClass":"general","site":"center","cpu":16,"memoryMiB":65536}"#).0 == 201)
            }
            #expect(try await eventually { (try await leader.call("GET", "/v1/nodes/ha-node-\(tag)").1["state"] as? String) == "ready" })
            // The portal through the standby: its sign-in form, posted there with the Origin a browser
            // sends, signs in (the leader checks the Origin against the address the caller used).
            let form = try await standby.send("GET", "/login", token: nil)
            let csrf = try #require(form.text.firstMatch(of: /name="csrf" value="([^"]+)"/)?.1)
            let signIn = try await standby.send(
                "POST", "/login", body: Data("token=\(SchedulerProcess.adminToken)&csrf=\(csrf)&return=%2Foperations".utf8), token: nil,
                headers: ["Content-Type": "application/x-www-form-urlencoded", "Origin": "http://127.0.0.1:\(standby.port)"])
            #expect(signIn.status == 200 && signIn.text.contains("id=\"sign-out\""), "signed in through the standby: \(signIn.status)")
            let service = #"{"id":"svc-\#(tag)","tenant":"water","kind":"service","cpu":0.1,"memoryMiB":64,"workload":{"service":{"command":["/bin/sh","-c","while :; do :; done"]}}}"#
            #expect(try await leader.call("POST", "/v1/requests", body: service).0 == 201)
            let unit = ObservedWorkload(id: "water:svc-\(tag)/0", state: .running)
            #expect(try await eventually { try systemd.list().contains(unit) }, "the service runs")

            // Four callers submit without pause, each following the leader; the leader dies mid-way.
            let load = Load()
            try await withThrowingTaskGroup(of: Void.self) { group in
                for caller in 0..<4 {
                    group.addTask {
                        var n = 0
                        while !load.stop.load(ordering: .relaxed) {
                            n += 1
                            let id = "load-\(caller)-\(n)"
                            let body = #"{"id":"\#(id)","tenant":"water","cpu":1,"memoryMiB":256}"#
                            let sent = Date()
                            guard let answer = await Self.call(both, "POST", "/v1/requests", body: body) else {
                                try await Task.sleep(for: .milliseconds(50))
                                continue
                            }
                            guard answer.status == 201 else { continue }
                            load.acknowledged.withLock { $0.append("water:\(id)") }
                            // The first submission sent after the kill and acknowledged tells the takeover.
                            if let killed = load.killedAt.withLock({ $0 }), sent > killed { load.ackedAfterKill.withLock { if $0 == nil { $0 = Date() } } }
                        }
                    }
                }
                try await Task.sleep(for: .seconds(2))
                load.killedAt.withLock { $0 = Date() }
                leader.kill()
                #expect(try await eventually(20) { load.ackedAfterKill.withLock { $0 } != nil }, "the standby takes submissions")
                try await Task.sleep(for: .seconds(1))
                load.stop.store(true, ordering: .relaxed)
                try await group.waitForAll()
            }
            let takeover = load.ackedAfterKill.withLock { $0 }!.timeIntervalSince(load.killedAt.withLock { $0 }!)
            let ids = load.acknowledged.withLock { $0 }
            print("takeover: \(String(format: "%.2f", takeover)) s from kill -9 to the first acknowledged submission; \(ids.count) submissions acknowledged")
            #expect(takeover < 10, "took over in \(takeover) s")
            #expect(try await standby.send("GET", "/readyz").json["role"] as? String == "leader")

            // Nothing acknowledged is lost.
            var lost: [String] = []
            for id in ids where try await standby.call("GET", "/v1/requests/\(id)").0 != 200 { lost.append(id) }
            #expect(lost.isEmpty, "lost: \(lost)")
            // No node holds more than it has, and what nodes hold is what the requests placed on them say.
            var placedCPU: [String: Double] = [:]
            var cursor: String?
            repeat {
                let (_, page) = try await standby.call("GET", "/v1/requests?tenant=water&limit=500" + (cursor.map { "&cursor=\($0.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? $0)" } ?? ""))
                for request in page["requests"] as? [[String: Any]] ?? [] {
                    for replica in request["placement"] as? [[String: Any]] ?? [] {
                        placedCPU[replica["node"] as? String ?? "?", default: 0] += replica["cpu"] as? Double ?? 0
                    }
                }
                cursor = page["nextCursor"] as? String
            } while cursor != nil
            for i in 0..<4 {
                let node = try await standby.call("GET", "/v1/nodes/n\(i)").1
                let allocated = ((node["allocated"] as? [String: Any])?["cpu"] as? Double) ?? -1
                #expect(allocated <= 16 && allocated == placedCPU["n\(i)", default: 0], "n\(i): allocated \(allocated), placed \(placedCPU["n\(i)", default: 0])")
            }
            #expect(placedCPU.values.reduce(0, +) > 0)

            // The agent follows the new leader; its unit ran throughout.
            #expect(try await eventually { (try await standby.call("GET", "/v1/nodes/ha-node-\(tag)").1["state"] as? String) == "ready" })
            #expect(try systemd.list().contains(unit))
            #expect(agent.log.contains("127.0.0.1:\(grpc[1])"), "the agent connected to the new leader")
        }

        /// What the callers under load saw.
        final class Load: Sendable {
            let acknowledged = Mutex<[String]>([])
            let killedAt = Mutex<Date?>(nil)
            let ackedAfterKill = Mutex<Date?>(nil)
            let stop = Atomic<Bool>(false)
        }

        @Test("a leader frozen past its lease is deposed: its agent moves to the new leader; after it thaws, its writes are refused and it exits")
        func frozenLeader() async throws {
            let directory = try temporaryDirectory()
            let (leader, standby, grpc) = try await Self.pair(in: directory)
            let agent = try AgentProcess.start([
                "--scheduler", "127.0.0.1:\(grpc[0]),127.0.0.1:\(grpc[1])", "--token", SchedulerProcess.bootstrapToken,
                "--node-id", "frozen-\(UUID().uuidString.prefix(6))", "--class", "general", "--site", "center", "--libvirt-uri", "none", "--systemd-bus", "none",
            ], dataDir: directory.appendingPathComponent("agent"))
            defer {
                agent.stop()
                leader.kill()
                standby.kill()
            }
            #expect(try await eventually { agent.log.contains("scheduler=127.0.0.1:\(grpc[0])") }, "the agent connects to the leader")
            #expect(try await leader.call("POST", "/v1/tenants", body: #"{"id":"before"}"#).0 == 201)
            Foundation.kill(leader.process.processIdentifier, SIGSTOP)
            #expect(try await eventually(15) { try await standby.send("GET", "/readyz").json["role"] as? String == "leader" }, "the standby takes the lapsed lease")
            // Its connection to the frozen leader stays up, but heartbeats go unanswered.
            #expect(try await eventually(40) { agent.log.contains("scheduler=127.0.0.1:\(grpc[1])") }, "the agent moves to the new leader while the old one is frozen")
            Foundation.kill(leader.process.processIdentifier, SIGCONT)
            // The thawed leader still believes it leads until it tries to write or renew.
            let late = try? await leader.send("POST", "/v1/tenants", body: Data(#"{"id":"late"}"#.utf8))
            #expect(late.map { $0.status != 201 } ?? true, "a late write is refused: \(late.map { "\($0.status) \($0.text)" } ?? "no answer")")
            let tenants = (try await standby.call("GET", "/v1/tenants").1["tenants"] as? [[String: Any]] ?? []).compactMap { $0["id"] as? String }
            #expect(tenants == ["before"], "the late write is not in the store: \(tenants)")
            #expect(try await eventually(10) { !leader.process.isRunning }, "the deposed leader exits")
            #expect(leader.log.contains("stepping down"))
        }
    }
}
