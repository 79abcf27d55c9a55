import Foundation
import Hummingbird
import HummingbirdTesting
import Placement
@testable import SchedulerHTTP
import SchedulerService
import Testing

@Suite("HTTP API")
struct HTTPAPITests {
    /// Runs `body` against the API of a scheduler with two tenants, two nodes, and a user of each role.
    func withAPI(_ body: @Sendable (any TestClientProtocol, [String: String]) async throws -> Void) async throws {
        let (scheduler, _, _) = try newScheduler()
        var tokens = ["admin": adminToken]
        for (id, role, tenant) in [("op", Role.operator, nil as String?), ("aud", .auditor, nil), ("w", .tenant, "water"), ("t", .tenant, "transport")] {
            tokens[id] = try scheduler.createUser(id: id, role: role, tenant: tenant, by: admin).token
        }
        let app = Application(router: SchedulerAPI.router(scheduler: scheduler))
        let frozen = tokens
        try await app.test(.router) { client in try await body(client, frozen) }
    }

    static func json(_ buffer: ByteBuffer) -> [String: Any] {
        (try? JSONSerialization.jsonObject(with: Data(buffer.readableBytesView))) as? [String: Any] ?? [:]
    }

    func call(_ client: any TestClientProtocol, _ method: HTTPRequest.Method, _ uri: String, token: String?, body: String? = nil) async throws -> (HTTPResponse.Status, [String: Any]) {
        var headers: HTTPFields = [.contentType: "application/json"]
        if let token { headers[.authorization] = "Bearer \(token)" }
        return try await client.execute(uri: uri, method: method, headers: headers, body: body.map { ByteBuffer(string: $0) }) { response in
            (response.status, Self.json(response.body))
        }
    }

    @Test("submit, get with history, list and release through the API")
    func requestFlow() async throws {
        try await withAPI { client, tokens in
            let (created, request) = try await call(client, .post, "/v1/requests", token: tokens["w"], body: #"{"id":"a","cpu":2,"memoryMiB":512}"#)
            #expect(created == .created)
            #expect(request["phase"] as? String == "queued")
            let (ok, got) = try await call(client, .get, "/v1/requests/a", token: tokens["w"])
            #expect(ok == .ok)
            #expect((got["history"] as? [Any])?.count == 3)
            let (_, list) = try await call(client, .get, "/v1/requests?limit=10", token: tokens["w"])
            #expect((list["requests"] as? [Any])?.count == 1)
            let (released, end) = try await call(client, .post, "/v1/requests/a/release", token: tokens["w"])
            #expect(released == .ok && end["phase"] as? String == "released")
        }
    }

    @Test("bad input is a 4xx with a JSON error naming the field", arguments: [
        (#"{"cpu":"four"}"#, "cpu"),
        (#"{"cpu":1,"priority":"urgent"}"#, "priority"),
        (#"{"cpu":1,"replicas":-1}"#, "replicas"),
        (#"{"cpu":1,"gpu":{"milliPerGPU":5}}"#, "gpu.count"),
        (#"{"cpu":1,"spread":{"key":"planet"}}"#, "spread.key"),
        (#"{"cpu":1"#, "body"),
        (#"{"cpu":1,"tenant":"nobody"}"#, "tenant"),
    ])
    func badInput(body: String, field: String) async throws {
        try await withAPI { client, tokens in
            let (status, error) = try await call(client, .post, "/v1/requests", token: tokens["w"], body: body)
            #expect(status.code >= 400 && status.code < 500, "\(body) gave \(status)")
            #expect(error["field"] as? String == field, "\(body) gave \(error)")
            #expect(error["code"] != nil && error["message"] != nil)
        }
    }

    @Test("a batch over 1000 requests is refused whole, naming the field")
    func oversizeBatch() async throws {
        try await withAPI { client, tokens in
            let body = #"{"requests":["# + Array(repeating: #"{"cpu":1}"#, count: 1001).joined(separator: ",") + "]}"
            let (status, error) = try await call(client, .post, "/v1/requests/batch", token: tokens["w"], body: body)
            #expect(status == .badRequest)
            #expect(error["field"] as? String == "requests")
        }
    }

    /// Role x endpoint x tenant: which calls each caller may make.
    static let matrix: [(method: HTTPRequest.Method, uri: String, body: String?, allowed: Set<String>)] = [
        (.post, "/v1/requests", #"{"tenant":"water","cpu":1}"#, ["admin", "w"]),
        (.get, "/v1/requests?tenant=water", nil, ["admin", "op", "aud", "w"]),
        (.get, "/v1/nodes", nil, ["admin", "op", "aud"]),
        (.post, "/v1/nodes", #"{"id":"e1","nodeClass":"edge","site":"x","cpu":4,"memoryMiB":4096}"#, ["admin", "op"]),
        (.post, "/v1/nodes/n1/cordon", nil, ["admin", "op"]),
        (.post, "/v1/tenants", #"{"id":"health"}"#, ["admin"]),
        (.get, "/v1/users", nil, ["admin", "aud"]),
        (.put, "/v1/tenants/water/quotas/batch", #"{"cpu":10}"#, ["admin", "op"]),
        (.get, "/v1/tenants/water/quotas", nil, ["admin", "op", "aud", "w"]),
        (.get, "/v1/usage?tenant=water", nil, ["admin", "op", "aud", "w"]),
        (.get, "/v1/billing?tenant=water", nil, ["admin", "op", "aud", "w"]),
        (.get, "/v1/efficiency?tenant=water", nil, ["admin", "op", "aud", "w"]),
        (.get, "/v1/prices", nil, ["admin", "op", "aud", "w", "t"]),
        (.post, "/v1/prices", #"{"prices":{"coreHour":0.1}}"#, ["admin", "op"]),
        (.put, "/v1/tenants/water/budget", #"{"monthly":100}"#, ["admin", "op"]),
        (.get, "/v1/tenants/water/budget", nil, ["admin", "op", "aud", "w"]),
        (.get, "/v1/grants?tenant=water", nil, ["admin", "op", "aud", "w"]),
        (.get, "/v1/audit", nil, ["admin", "aud"]),
        (.get, "/v1/alerts", nil, ["admin", "op", "aud", "w", "t"]),
        (.get, "/v1/alerts?tenant=water", nil, ["admin", "op", "aud", "w"]),
        (.post, "/v1/applications", #"{"tenant":"water","purpose":"x","durationSeconds":60,"items":[{"request":{"cpu":1,"memoryMiB":512}}]}"#, ["admin", "w"]),
        (.get, "/v1/applications?tenant=water", nil, ["admin", "op", "aud", "w"]),
        (.get, "/v1/applications?awaiting=me", nil, ["admin", "op", "w", "t"]),
        (.get, "/v1/approval-policies", nil, ["admin", "op", "aud", "w", "t"]),
        (.put, "/v1/approval-policies/partition/public", #"{"steps":[{"decider":"operator"}]}"#, ["admin", "op"]),
        (.get, "/v1/notifications", nil, ["admin", "op", "aud", "w", "t"]),
        (.post, "/v1/notifications/read", #"{"upTo":1}"#, ["admin", "op", "aud", "w", "t"]),
        (.post, "/v1/tenants/water/webhooks", #"{"url":"https://hooks.water.example.org/suanli"}"#, ["admin", "op", "w"]),
        (.get, "/v1/tenants/water/webhooks", nil, ["admin", "op", "w"]),
        (.patch, "/v1/users/op", #"{"clearance":2}"#, ["admin"]),
        (.get, "/v1/me", nil, ["admin", "op", "aud", "w", "t"]),
        (.get, "/v1/search?q=water", nil, ["admin", "op", "aud", "w", "t"]),
        (.get, "/v1/search?q=n1&kind=node", nil, ["admin", "op", "aud"]),
        (.get, "/v1/utilization", nil, ["admin", "op", "aud"]),
        (.post, "/v1/catalog", #"{"kind":"offering","name":"gpu small","nodeClass":"ai","cpu":8,"memoryMiB":32768}"#, ["admin", "op"]),
        (.get, "/v1/catalog?kind=offering", nil, ["admin", "op", "aud", "w", "t"]),
        (.get, "/v1/consolidation", nil, ["admin", "op", "aud"]),
        (.post, "/v1/defragmentation/plan", #"{"freeNodes":1}"#, ["admin", "op"]),
    ]

    @Test("the catalog gives entries standardized codes, filters and searches them, and requests inherit a component's profile")
    func catalog() async throws {
        try await withAPI { client, tokens in
            let component = #"{"kind":"component","name":"Video analytics","version":"2.1","nodeClass":"general","cpu":3,"memoryMiB":4096,"workloadKind":"ai-inference","labels":{"zone":"east"},"requiredLabels":{"camera":"yes"},"description":"camera streams to events"}"#
            let (created, entry) = try await call(client, .post, "/v1/catalog", token: tokens["op"], body: component)
            #expect(created == .created)
            #expect(entry["code"] as? String == "SL-CMP-GENERAL-VIDEO-ANALYTICS-V2-1")
            let (taken, error) = try await call(client, .post, "/v1/catalog", token: tokens["op"], body: component)
            #expect(taken == .conflict && error["field"] as? String == "name")
            let offering = #"{"kind":"offering","name":"A100 x8","nodeClass":"ai","site":"d3","cpu":64,"memoryMiB":524288,"gpu":{"count":8}}"#
            #expect(try await call(client, .post, "/v1/catalog", token: tokens["op"], body: offering).0 == .created)

            let (_, all) = try await call(client, .get, "/v1/catalog", token: tokens["w"])
            #expect((all["entries"] as? [[String: Any]])?.compactMap { $0["code"] as? String } == ["SL-CMP-GENERAL-VIDEO-ANALYTICS-V2-1", "SL-OFR-AI-A100-X8"])
            for (query, count) in [("kind=offering", 1), ("class=general", 1), ("site=d3", 1), ("label=zone=east", 1), ("q=CAMERA", 1), ("q=camera+streams", 1), ("q=camera%20streams", 1), ("q=nothing", 0), ("partition=public", 2)] {
                let (_, found) = try await call(client, .get, "/v1/catalog?\(query)", token: tokens["w"])
                #expect((found["entries"] as? [Any])?.count == count, "\(query)")
            }
            let (got, one) = try await call(client, .get, "/v1/catalog/SL-OFR-AI-A100-X8", token: tokens["aud"])
            #expect(got == .ok && one["name"] as? String == "A100 x8")
            #expect(try await call(client, .get, "/v1/catalog/SL-NOPE", token: tokens["aud"]).0 == .notFound)

            let (submitted, request) = try await call(client, .post, "/v1/requests", token: tokens["w"], body: #"{"id":"cam","component":{"name":"Video analytics"}}"#)
            #expect(submitted == .created)
            let spec = request["spec"] as? [String: Any]
            #expect(request["kind"] as? String == "ai-inference" && request["id"] as? String == "water:cam" && request["name"] as? String == "cam")
            #expect(spec?["cpu"] as? Double == 3)
            // Search labels describe the entry; only its required labels constrain placement.
            #expect((spec?["requiredLabels"] as? [String: String]) == ["camera": "yes"])

            for (body, field) in [
                (#"{"kind":"component","name":"x","cpu":1,"memoryMiB":1}"#, "version"),
                (#"{"kind":"offering","name":"x","cpu":1,"memoryMiB":1}"#, "nodeClass"),
                (#"{"kind":"offering","name":"x","nodeClass":"ai","cpu":0,"memoryMiB":1}"#, "cpu"),
                (#"{"kind":"offering","name":"x","nodeClass":"ai","cpu":1,"memoryMiB":1,"gpu":{"count":0}}"#, "gpu.count"),
                (#"{"kind":"rack","name":"x","cpu":1,"memoryMiB":1}"#, "kind"),
            ] {
                let (status, error) = try await call(client, .post, "/v1/catalog", token: tokens["admin"], body: body)
                #expect(status == .badRequest && error["field"] as? String == field, "\(body): \(status) \(error)")
            }
        }
    }

    @Test("a body whose every field is optional may be left out; an application retried with its idempotency key is written once; the caller reads itself")
    func optionalBodies() async throws {
        try await withAPI { client, tokens in
            let (applied, application) = try await call(
                client, .post, "/v1/applications", token: tokens["w"], body: #"{"purpose":"x","durationSeconds":60,"items":[{"request":{"cpu":1,"memoryMiB":512}}]}"#)
            #expect(applied == .created)
            let id = try #require(application["id"] as? String)
            let (withdrawn, answer) = try await call(client, .post, "/v1/applications/\(id)/withdraw", token: tokens["w"])
            #expect(withdrawn == .ok && answer["state"] as? String == "withdrawn", "\(answer)")
            // A retried application with the same key is the first; another body under it is a conflict.
            let body = #"{"purpose":"retried","durationSeconds":60,"items":[{"request":{"cpu":1,"memoryMiB":512}}]}"#
            var headers: HTTPFields = [.contentType: "application/json", .authorization: "Bearer \(tokens["w"]!)"]
            headers[.init("Idempotency-Key")!] = "apply-1"
            let first = try await client.execute(uri: "/v1/applications", method: .post, headers: headers, body: ByteBuffer(string: body)) { ($0.status, Self.json($0.body)) }
            let again = try await client.execute(uri: "/v1/applications", method: .post, headers: headers, body: ByteBuffer(string: body)) { ($0.status, Self.json($0.body)) }
            #expect(first.0 == .created && again.0 == .ok && first.1["id"] as? String == again.1["id"] as? String)
            let other = try await client.execute(uri: "/v1/applications", method: .post, headers: headers, body: ByteBuffer(string: body.replacingOccurrences(of: "retried", with: "other"))) {
                ($0.status, Self.json($0.body))
            }
            #expect(other.0 == .conflict && other.1["field"] as? String == "Idempotency-Key")
            let (_, me) = try await call(client, .get, "/v1/me", token: tokens["w"])
            #expect(me["id"] as? String == "w" && me["tenant"] as? String == "water" && me["clearance"] as? Int == 1 && me["token"] == nil)
        }
    }

    @Test("authorization matrix: role x endpoint x tenant")
    func authorization() async throws {
        for entry in Self.matrix {
            for caller in ["admin", "op", "aud", "w", "t", "nobody"] {
                try await withAPI { client, tokens in
                    let (status, _) = try await call(client, entry.method, entry.uri, token: tokens[caller] ?? "wrong-token", body: entry.body)
                    if caller == "nobody" {
                        #expect(status == .unauthorized, "\(entry.uri) as \(caller): \(status)")
                    } else if entry.allowed.contains(caller) {
                        #expect(status.code < 300, "\(entry.method) \(entry.uri) as \(caller): \(status)")
                    } else {
                        #expect(status == .forbidden, "\(entry.method) \(entry.uri) as \(caller): \(status)")
                    }
                }
            }
        }
    }

    @Test("every route is in the OpenAPI document and every documented operation is a route")
    func openAPIParity() throws {
        let (scheduler, _, _) = try newScheduler(nodes: 0)
        let routes = Set(SchedulerAPI.router(scheduler: scheduler).routes.map { route in
            let path = route.path.description.split(separator: "/").map { $0.hasPrefix(":") ? "{\($0.dropFirst())}" : String($0) }
            return "\(route.method.rawValue) /" + path.joined(separator: "/")
        })
        let document = try JSONSerialization.jsonObject(with: Data(SchedulerAPI.openAPIDocument)) as! [String: Any]
        #expect(document["openapi"] as? String == "3.1.0")
        let paths = document["paths"] as! [String: [String: Any]]
        let documented = Set(paths.flatMap { path, operations in operations.keys.map { "\($0.uppercased()) \(path)" } })
        #expect(routes.subtracting(documented).isEmpty, "routes missing from the document: \(routes.subtracting(documented).sorted())")
        #expect(documented.subtracting(routes).isEmpty, "documented operations with no route: \(documented.subtracting(routes).sorted())")
    }

    @Test("the committed openapi.json is the document the API serves, and every example in it is valid")
    func committedDocument() throws {
        let file = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Scheduler/HTTP/openapi.json")
        #expect(Array(try Data(contentsOf: file)) == SchedulerAPI.openAPIDocument, "regenerate it: swift run suanli-scheduler openapi > Scheduler/HTTP/openapi.json")
        let contract = SchemaRegistry(Components.all)
        for (name, example) in Components.examples {
            #expect(throws: Never.self, "example of \(name)") { try contract.check(try JSONNode.parse(Array(example.utf8)), against: .ref(name)) }
        }
    }

    @Test("the OpenAPI document, /healthz and /metrics need no token")
    func probes() async throws {
        try await withAPI { client, _ in
            let (status, document) = try await call(client, .get, "/v1/openapi.json", token: nil)
            #expect(status == .ok && document["paths"] != nil)
            try await client.execute(uri: "/metrics", method: .get) { response in
                #expect(String(buffer: response.body).contains("suanli_requests_submitted_total 0"))
            }
            try await client.execute(uri: "/healthz", method: .get) { #expect($0.status == .ok) }
        }
    }
}
