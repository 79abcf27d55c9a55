import Foundation
import Hummingbird
import SchedulerService
import SuanliTestSupport
import Synchronization
import Testing

/// Applications as a city's departments use them, through the real binaries: the scheduler, its
/// agent on libvirt's test driver, and a department's own HTTP server receiving its webhook.
@Suite("Applications end to end", .serialized)
struct ApplicationsEndToEndTests {
    /// A department's webhook endpoint: records what it is sent, refuses the first call (the
    /// scheduler must try again).
    final class Receiver: Sendable {
        struct Call: Sendable {
            var delivery: String
            var event: String
            var signature: String
            var body: Data
        }
        let calls = Mutex<[Call]>([])
        let refusedFirst = Mutex(false)

        func serve() async throws -> (port: Int, task: Task<Void, any Error>) {
            let router = Router()
            router.post("/hook") { request, _ -> HTTPResponse.Status in
                let body = try await request.body.collect(upTo: 1 << 20)
                if !self.refusedFirst.withLock({ refused in defer { refused = true }; return refused }) { return .serviceUnavailable }
                let call = Call(
                    delivery: request.headers[.init("Suanli-Delivery")!] ?? "", event: request.headers[.init("Suanli-Event")!] ?? "",
                    signature: request.headers[.init("Suanli-Signature")!] ?? "", body: Data(buffer: body))
                self.calls.withLock { $0.append(call) }
                return .noContent
            }
            let (ports, continuation) = AsyncStream.makeStream(of: Int.self)
            let app = Application(
                router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)),
                onServerRunning: { channel in continuation.yield(channel.localAddress?.port ?? 0) })
            let task = Task { try await app.runService() }
            var iterator = ports.makeAsyncIterator()
            return (await iterator.next() ?? 0, task)
        }
    }

    @Test("a department applies, the owner and an operator approve, the VM runs on the agent; inbox and signed webhook hear each step; a grant revoked early releases it")
    func applyApproveRunRevoke() async throws {
        let directory = try temporaryDirectory()
        let image = try blankDisk(in: directory)
        // The department's receiver listens on loopback: allowed here, refused by default.
        let scheduler = try SchedulerProcess.start(dataDir: directory.appendingPathComponent("scheduler"), config: #"{"webhookPrivateAddresses": true}"#)
        defer { scheduler.kill() }
        let agent = try AgentProcess.start([
            "--scheduler", "127.0.0.1:\(scheduler.grpcPort)", "--token", SchedulerProcess.bootstrapToken, "--node-id", "app-node",
            "--class", "general", "--site", "center", "--libvirt-uri", "test:///default", "--systemd-bus", "none",
            "--metering-interval", "1", "--reconcile-interval", "1",
        ], dataDir: directory.appendingPathComponent("agent"))
        defer { agent.stop() }
        let receiver = Receiver()
        let (hookPort, hookServer) = try await receiver.serve()
        defer { hookServer.cancel() }

        // The city: two departments, their users, an operator, and transport's restricted offering.
        func json(_ text: String) -> Data { Data(text.utf8) }
        func token(_ answer: SchedulerProcess.Answer) -> String { answer.json["token"] as? String ?? "" }
        for tenant in ["water", "transport"] { #expect(try await scheduler.call("POST", "/v1/tenants", body: #"{"id":"\#(tenant)"}"#).0 == 201) }
        let alice = token(try await scheduler.send("POST", "/v1/users", body: json(#"{"id":"alice","role":"tenant","tenant":"water","clearance":2}"#)))
        let tom = token(try await scheduler.send("POST", "/v1/users", body: json(#"{"id":"tom","role":"tenant","tenant":"transport","approver":true}"#)))
        let olga = token(try await scheduler.send("POST", "/v1/users", body: json(#"{"id":"olga","role":"operator"}"#)))
        let entry = try await scheduler.send("POST", "/v1/catalog", body: json(
            #"{"kind":"offering","name":"监控分析机","nodeClass":"general","cpu":1,"memoryMiB":512,"sharing":"restricted","securityLevel":2,"owner":"transport"}"#))
        let code = try #require(entry.json["code"] as? String, "\(entry.text)")
        #expect(try await eventually { (try await scheduler.call("GET", "/v1/nodes/app-node").1["state"] as? String) == "ready" }, "\(agent.log)")
        let hook = try await scheduler.send("POST", "/v1/tenants/water/webhooks", body: json(#"{"url":"http://127.0.0.1:\#(hookPort)/hook"}"#), token: alice)
        #expect(hook.status == 201, "\(hook.text)")
        let secret = try #require(hook.json["secret"] as? String)

        // Alice applies for two hours of the offering, running her VM on it.
        let applied = try await scheduler.send("POST", "/v1/applications", body: json(#"""
            {"purpose":"防汛视频分析","industry":"water","scenario":"flood season","durationSeconds":7200,
             "items":[{"entry":"\#(code)","request":{"kind":"vm","workload":{"vm":{"image":"\#(image)"}}}}]}
            """#), token: alice)
        #expect(applied.status == 201, "\(applied.text)")
        let id = try #require(applied.json["id"] as? String)
        let steps = (applied.json["steps"] as? [[String: Any]]) ?? []
        #expect(steps.map { $0["decider"] as? String } == ["owner", "operator"] && applied.json["state"] as? String == "submitted")
        // Not hers to decide, nor the operator's first.
        #expect(try await scheduler.send("POST", "/v1/applications/\(id)/decision", body: json(#"{"decision":"approve"}"#), token: alice).status == 403)
        #expect(try await scheduler.send("POST", "/v1/applications/\(id)/decision", body: json(#"{"decision":"approve"}"#), token: olga).status == 403)
        let queue = try await scheduler.send("GET", "/v1/applications?awaiting=me", token: tom)
        #expect(((queue.json["applications"] as? [[String: Any]]) ?? []).map { $0["id"] as? String } == [id])
        #expect(try await scheduler.send("POST", "/v1/applications/\(id)/decision", body: json(#"{"decision":"approve","comment":"汛期可用"}"#), token: tom).status == 200)
        let approved = try await scheduler.send("POST", "/v1/applications/\(id)/decision", body: json(#"{"decision":"approve"}"#), token: olga)
        #expect(approved.status == 200 && approved.json["state"] as? String == "approved", "\(approved.text)")

        // Provisioned in alice's name and running on the agent.
        let requestID = "water:\(id)-1"
        let running = try await eventually {
            let application = try await scheduler.send("GET", "/v1/applications/\(id)", token: alice).json
            let requests = ((application["provisioning"] as? [String: Any])?["requests"] as? [[String: Any]]) ?? []
            return requests.first?["phase"] as? String == "running"
        }
        let provisioned = try await scheduler.send("GET", "/v1/applications/\(id)", token: alice).text
        #expect(running, "\(provisioned)")
        let request = try await scheduler.send("GET", "/v1/requests/\(requestID)", token: alice).json
        #expect((request["placement"] as? [[String: Any]])?.first?["node"] as? String == "app-node")

        // Alice's inbox, and her department's webhook, heard of each step.
        let expected = ["application.submitted", "application.step-approved", "application.approved", "provisioning.started", "provisioning.done"]
        func inbox() async throws -> [String] {
            let answer = try await scheduler.send("GET", "/v1/notifications", token: alice)
            return ((answer.json["notifications"] as? [[String: Any]]) ?? []).compactMap { $0["kind"] as? String }.reversed()
        }
        let heard = try await eventually { try await inbox() == expected }
        let kinds = try await inbox()
        #expect(heard, "\(kinds)")
        #expect(try await eventually(20) { Set(receiver.calls.withLock { $0.map(\.event) }).isSuperset(of: expected) }, "\(receiver.calls.withLock { $0.map(\.event) })")
        for call in receiver.calls.withLock({ $0 }) {
            #expect(WebhookSignature.verify(header: call.signature, body: call.body, secret: secret), "\(call.event) is signed with the webhook's secret")
            #expect(!WebhookSignature.verify(header: call.signature, body: call.body, secret: secret + "x"))
            let body = (try? JSONSerialization.jsonObject(with: call.body)) as? [String: Any]
            #expect(body?["delivery"].map { "\($0)" } == call.delivery && body?["tenant"] as? String == "water")
        }
        // The first call was refused and tried again: recorded with its attempts.
        let webhook = try #require(hook.json["id"] as? String)
        let deliveries = (try await scheduler.send("GET", "/v1/tenants/water/webhooks/\(webhook)/deliveries", token: alice).json["deliveries"] as? [[String: Any]]) ?? []
        #expect(deliveries.count >= expected.count && deliveries.allSatisfy { $0["deliveredAt"] != nil && $0["lastStatus"] as? Int == 204 }, "\(deliveries)")
        #expect(deliveries.contains { $0["attempts"] as? Int == 2 }, "the refused one was tried again: \(deliveries)")

        // The operator revokes the grant early: the VM is stopped, its capacity freed, alice told.
        let grants = (try await scheduler.send("GET", "/v1/grants", token: alice).json["grants"] as? [[String: Any]]) ?? []
        let grant = try #require(grants.first { $0["application"] as? String == id }?["id"] as? String)
        let revoked = try await scheduler.send("POST", "/v1/grants/\(grant)/revoke", body: json(#"{"reason":"汛期提前结束"}"#), token: olga)
        #expect(revoked.status == 200, "\(revoked.text)")
        let ended = try await scheduler.send("GET", "/v1/requests/\(requestID)", token: alice).json
        #expect(ended["phase"] as? String == "revoked" && (ended["reason"] as? String)?.contains("汛期提前结束") == true, "\(ended)")
        #expect(try await eventually {
            let node = try await scheduler.call("GET", "/v1/nodes/app-node").1
            return (node["allocated"] as? [String: Any])?["cpu"] as? Double == 0 && node["requests"] as? Int == 0
        })
        let told = try await eventually { try await inbox().suffix(2) == ["request.revoked", "grant.revoked"] }
        let after = try await inbox()
        #expect(told, "\(after)")
        #expect(try await eventually(20) { receiver.calls.withLock { $0.contains { $0.event == "grant.revoked" } } })
    }
}
