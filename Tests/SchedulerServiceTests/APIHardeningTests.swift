import Foundation
import PropertyBased
import SuanliTestSupport
import Testing

/// The API as a careless or hostile caller meets it, through the real `suanli-scheduler` binary:
/// numbers at their extremes, typos, wrong units, odd identifiers, other tenants' names, wrong
/// methods and wrong tokens. Every refusal is a 4xx naming the field; nothing crashes.
@Suite("API hardening against the real binary", .serialized)
struct APIHardeningTests {
    /// A scheduler with tenants water and transport, a user of each role, two nodes and a pool.
    struct World {
        let server: SchedulerProcess
        let tokens: [String: String]

        static func start() async throws -> World {
            let server = try SchedulerProcess.start(dataDir: try temporaryDirectory())
            var tokens = ["admin": SchedulerProcess.adminToken]
            for tenant in ["water", "transport"] {
                #expect(try await server.call("POST", "/v1/tenants", body: #"{"id":"\#(tenant)"}"#).0 == 201)
            }
            for (id, role, tenant) in [("op", "operator", nil), ("aud", "auditor", nil), ("w", "tenant", "water"), ("t", "tenant", "transport")] {
                let body = tenant.map { #"{"id":"\#(id)","role":"\#(role)","tenant":"\#($0)"}"# } ?? #"{"id":"\#(id)","role":"\#(role)"}"#
                let (status, user) = try await server.call("POST", "/v1/users", body: body)
                #expect(status == 201)
                tokens[id] = user["token"] as? String
            }
            for node in 1...2 {
                let body = #"{"id":"n\#(node)","nodeClass":"general","site":"district-1","cpu":16,"memoryMiB":65536}"#
                #expect(try await server.call("POST", "/v1/nodes", body: body).0 == 201)
            }
            return World(server: server, tokens: tokens)
        }

        func send(_ method: String, _ path: String, _ body: String? = nil, as user: String? = "admin", headers: [String: String] = [:]) async throws -> SchedulerProcess.Answer {
            try await server.send(method, path, body: body.map { Data($0.utf8) }, token: user.map { tokens[$0] ?? $0 }, headers: headers)
        }

        /// Alive and answering an authenticated call.
        func healthy() async throws -> Bool {
            let health = try await send("GET", "/healthz", as: nil).status
            let tenants = try await send("GET", "/v1/tenants").status
            return health == 200 && tenants == 200
        }
    }

    @Test("the largest lease extended by a day is refused, before and after a restart; the scheduler stays up")
    func leaseOverflow() async throws {
        let dataDir = try temporaryDirectory()
        var server = try SchedulerProcess.start(dataDir: dataDir)
        #expect(try await server.call("POST", "/v1/tenants", body: #"{"id":"water"}"#).0 == 201)
        #expect(try await server.call("POST", "/v1/nodes", body: #"{"id":"n1","nodeClass":"general","site":"s","cpu":4,"memoryMiB":4096}"#).0 == 201)
        let (refused, error) = try await server.call("POST", "/v1/requests", body: #"{"id":"long","tenant":"water","cpu":1,"leaseSeconds":9223372036854775807}"#)
        #expect(refused == 400 && error["field"] as? String == "leaseSeconds", "\(error)")
        #expect(try await server.call("POST", "/v1/requests", body: #"{"id":"long","tenant":"water","cpu":1,"leaseSeconds":315360000}"#).0 == 201)
        for _ in 0..<2 {
            // A day, not a second: the lease runs from its placement, and on a busy machine more
            // than a second may pass between that and this call.
            let (status, extended) = try await server.call("POST", "/v1/requests/water:long/extend", body: #"{"seconds":86400}"#)
            #expect(status == 409 && extended["field"] as? String == "seconds", "\(extended)")
            let (huge, hugeError) = try await server.call("POST", "/v1/requests/water:long/extend", body: #"{"seconds":9223372036854775807}"#)
            #expect(huge == 400 && hugeError["field"] as? String == "seconds")
            #expect(try await server.call("GET", "/healthz").0 == 200)
            server.kill()
            server = try SchedulerProcess.start(dataDir: dataDir)
        }
        server.kill()
    }

    /// Numbers a caller may type: the edges of every integer type, of doubles, and past them.
    static let extremes = [
        "0", "-1", "1", "-0", "0.5", "1e-300", "4294967296", "9007199254740993", "9223372036854775807", "-9223372036854775808",
        "9223372036854775808", "18446744073709551616", "1e19", "1e308", "-1e308", "1e400", "-1e400", "123456789012345678901234567890",
    ]

    /// Every numeric field of the bodies that take numbers, as a JSON template with `#` for the value.
    static let numericFields: [(method: String, path: String, template: String)] = [
        ("POST", "/v1/requests", #"{"tenant":"water","cpu":#}"#),
        ("POST", "/v1/requests", #"{"tenant":"water","cpu":1,"memoryMiB":#}"#),
        ("POST", "/v1/requests", #"{"tenant":"water","cpu":1,"diskGiB":#}"#),
        ("POST", "/v1/requests", #"{"tenant":"water","cpu":1,"bandwidthMbps":#}"#),
        ("POST", "/v1/requests", #"{"tenant":"water","cpu":1,"replicas":#}"#),
        ("POST", "/v1/requests", #"{"tenant":"water","cpu":1,"leaseSeconds":#}"#),
        ("POST", "/v1/requests", #"{"tenant":"water","cpu":1,"queueDeadlineSeconds":#}"#),
        ("POST", "/v1/requests", #"{"tenant":"water","cpu":1,"originSite":"district-1","maxLatencyMs":#}"#),
        ("POST", "/v1/requests", #"{"tenant":"water","cpu":1,"gpu":{"count":#}}"#),
        ("POST", "/v1/requests", #"{"tenant":"water","cpu":1,"gpu":{"count":1,"milliPerGPU":#}}"#),
        ("POST", "/v1/requests", #"{"tenant":"water","cpu":1,"volumes":[{"kind":"block","sizeGiB":#}]}"#),
        ("POST", "/v1/requests", #"{"tenant":"water","cpu":1,"workload":{"service":{"command":["/bin/true"],"tasksMax":#}}}"#),
        ("POST", "/v1/requests/water:anchor/extend", #"{"seconds":#}"#),
        ("POST", "/v1/nodes", #"{"id":"x#","nodeClass":"general","site":"s","cpu":#,"memoryMiB":1024}"#),
        ("POST", "/v1/nodes", #"{"id":"y","nodeClass":"general","site":"s","cpu":1,"memoryMiB":#}"#),
        ("PUT", "/v1/tenants/water/quotas/standard", #"{"cpu":#}"#),
        ("PUT", "/v1/tenants/water/quotas/batch", #"{"memoryMiB":#,"gpuMilli":#}"#),
        ("POST", "/v1/tenants", #"{"id":"t-x","weight":#}"#),
        ("POST", "/v1/grants", #"{"tenant":"water","partition":"finance","expiresAt":#}"#),
        ("POST", "/v1/catalog", #"{"kind":"offering","name":"o#","nodeClass":"general","cpu":#,"memoryMiB":1024}"#),
        ("POST", "/v1/storage-pools", #"{"id":"p","site":"district-1","kind":"block","capacityGiB":#}"#),
        ("PUT", "/v1/links/district-1/district-2", #"{"latencyMs":#}"#),
        ("POST", "/v1/defragmentation/plan", #"{"freeNodes":#}"#),
        ("GET", "/v1/requests?limit=#", ""),
        ("GET", "/v1/usage?from=#&to=#", ""),
        ("GET", "/v1/audit?after=#&limit=#", ""),
    ]

    @Test("numbers at their extremes in every numeric field: a 2xx or a 4xx naming the field, never a crash")
    func extremeNumbers() async throws {
        let world = try await World.start()
        defer { world.server.kill() }
        #expect(try await world.send("PUT", "/v1/sites/district-2", "{}").status == 201)
        #expect(try await world.send("POST", "/v1/requests", #"{"id":"anchor","tenant":"water","cpu":1,"leaseSeconds":3600}"#).status == 201)
        // Each draw picks a field and an extreme (or an ordinary number) for it.
        await propertyCheck(count: 250, input: Gen.uint64(in: 0...UInt64.max)) { seed in
            var rng = SplitMix(seed: seed)
            let field = Self.numericFields[Int(rng.next() % UInt64(Self.numericFields.count))]
            let value = rng.next() % 4 == 0 ? String(Int64(truncatingIfNeeded: rng.next()) % 100_000) : Self.extremes[Int(rng.next() % UInt64(Self.extremes.count))]
            let body = field.template.replacingOccurrences(of: "#", with: value)
            let answer = try await world.send(field.method, field.method == "GET" ? field.path.replacingOccurrences(of: "#", with: value) : field.path, field.method == "GET" ? nil : body)
            #expect(answer.status < 500, "\(field.method) \(field.path) \(body): \(answer.status) \(answer.text)")
            if answer.status == 400 { #expect(answer.json["field"] != nil, "\(body): \(answer.text)") }
        }
        #expect(try await world.healthy())
    }

    /// What a careless or hostile caller sends, and what the API must answer: the status, and the
    /// field (or a word of the message) it names.
    static let hostile: [(method: String, path: String, body: String?, user: String?, status: Int, field: String?, says: String?)] = [
        // Unknown fields are refused, with the field they resemble.
        ("POST", "/v1/requests", #"{"tenant":"water","cpu":1,"leaseSecond":60}"#, "admin", 400, "leaseSecond", "did you mean 'leaseSeconds'"),
        ("POST", "/v1/requests", #"{"tenant":"water","cpu":1,"gpu":{"count":1,"model":"A100"}}"#, "admin", 400, "gpu.model", "did you mean 'models'"),
        ("POST", "/v1/nodes", #"{"id":"z","nodeClass":"general","site":"s","cpu":1,"memoryMiB":1,"labelz":{}}"#, "admin", 400, "labelz", nil),
        ("POST", "/v1/tenants", #"{"id":"x","nmae":"X"}"#, "admin", 400, "nmae", "did you mean 'name'"),
        // A typo is said as such even when it leaves a required field missing.
        ("POST", "/v1/tenants", #"{"ID":"x"}"#, "admin", 400, "ID", "did you mean 'id'"),
        ("PUT", "/v1/tenants/water/quotas/batch", #"{"gpus":1}"#, "admin", 400, "gpus", "known: bandwidthMbps, cpu, diskGiB, gpuMilli, memoryMiB"),
        // An operation without a body refuses one.
        ("POST", "/v1/nodes/n1/cordon", #"{"reason":"maintenance"}"#, "admin", 400, "body", "takes no body"),
        // A filter naming no tenant is a mistake worth saying.
        ("GET", "/v1/requests?tenant=watr", nil, "admin", 422, "tenant", "there is no tenant 'watr'"),
        ("GET", "/v1/usage?tenant=watr", nil, "admin", 422, "tenant", nil),
        // A valid JSON number out of range is an error about the field, in the API's units.
        ("POST", "/v1/requests", #"{"tenant":"water","cpu":1e400}"#, "admin", 400, "cpu", "cores"),
        ("POST", "/v1/requests", #"{"tenant":"water","cpu":1,"memoryMiB":1e30}"#, "admin", 400, "memoryMiB", "MiB"),
        ("POST", "/v1/requests", #"{"tenant":"water","cpu":256}"#, "admin", 422, "cpu", "256 cores per replica, more than the largest node has (16 cores)"),
        ("POST", "/v1/requests", #"{"tenant":"water","cpu":1,"replicas":3,"gang":true,"memoryMiB":65536,"spread":{"key":"node","required":true}}"#, "admin", 422, "replicas", "the gang needs 196608 MiB in all, more than its eligible nodes have (131072 MiB)"),
        ("POST", "/v1/requests", #"{"tenant":"nobody","cpu":1}"#, "admin", 422, "tenant", "no tenant"),
        ("POST", "/v1/requests", #"{"cpu":1}"#, "admin", 422, "tenant", "required: an admin belongs to no tenant"),
        ("POST", "/v1/requests", #"{"tenant":"water"}"#, "admin", 422, "cpu", "no resources"),
        ("POST", "/v1/requests", #"{"tenant":"water","cpu":1,"priority":"urgent"}"#, "admin", 400, "priority", "critical"),
        ("POST", "/v1/requests", #"{"tenant":"water","cpu":"four"}"#, "admin", 400, "cpu", "must be a number"),
        ("POST", "/v1/requests", #"{"tenant":"water","cpu":null}"#, "admin", 400, "cpu", "null"),
        ("POST", "/v1/requests", #"{"tenant":"water","cpu":1"#, "admin", 400, "body", "not valid JSON"),
        ("POST", "/v1/requests", #"{"tenant":"water","cpu":1,"cpu":2}"#, "admin", 400, "cpu", "twice"),
        ("POST", "/v1/requests", #"{"tenant":"water","cpu":1,"workload":{"vm":{"image":"/i.qcow2"},"service":{"command":["/bin/true"]}}}"#, "admin", 400, "workload", "only one of"),
        // Identifiers follow one rule, at creation.
        ("POST", "/v1/requests", #"{"id":"a/b","tenant":"water","cpu":1}"#, "admin", 400, "id", "letters, digits"),
        ("POST", "/v1/nodes", #"{"id":"n9","nodeClass":"general","site":"../x/y","cpu":1,"memoryMiB":1}"#, "admin", 400, "site", nil),
        ("POST", "/v1/nodes", #"{"id":"n9","nodeClass":"general","site":"a\u0000b","cpu":1,"memoryMiB":1}"#, "admin", 400, "site", nil),
        ("POST", "/v1/nodes", #"{"id":"n9","nodeClass":"general","site":"s","cpu":0.0001,"memoryMiB":1}"#, "admin", 400, "cpu", "0.001"),
        // CPU in whole thousandths of a core, on every body that states cores.
        ("POST", "/v1/requests", #"{"tenant":"water","cpu":0.0005}"#, "admin", 422, "cpu", "whole number of thousandths"),
        ("PUT", "/v1/tenants/water/quotas/standard", #"{"cpu":1.0001}"#, "admin", 422, "cpu", "whole number of thousandths"),
        ("POST", "/v1/nodes", #"{"id":"n9","nodeClass":"general","site":""# + String(repeating: "s", count: 100_000) + #"","cpu":1,"memoryMiB":1}"#, "admin", 400, "site", "at most 64 characters"),
        ("POST", "/v1/nodes", #"{"id":"api","nodeClass":"general","site":"s","cpu":1,"memoryMiB":1}"#, "admin", 409, "id", "reserved"),
        ("POST", "/v1/tenants", #"{"id":"-x"}"#, "admin", 400, "id", nil),
        ("POST", "/v1/users", #"{"id":"u\n","role":"auditor"}"#, "admin", 400, "id", nil),
        // One rule for ?tenant=: a tenant user names only its own.
        ("GET", "/v1/requests?tenant=transport", nil, "w", 403, "tenant", nil),
        ("GET", "/v1/usage?tenant=transport", nil, "w", 403, "tenant", nil),
        ("GET", "/v1/billing?tenant=transport", nil, "w", 403, "tenant", nil),
        ("GET", "/v1/grants?tenant=transport", nil, "w", 403, "tenant", nil),
        ("GET", "/v1/tenants/transport/quotas", nil, "w", 403, nil, "w (tenant) may not read quotas and grants of tenant transport"),
        ("GET", "/v1/usage?tenant=water", nil, "w", 200, nil, nil),
        // Accounts: what cannot be answered is said, not zeros.
        ("GET", "/v1/usage?request=water:nothing-here", nil, "admin", 404, nil, "request water:nothing-here"),
        ("GET", "/v1/usage?request=transport:x", nil, "w", 404, nil, nil),
        ("GET", "/v1/billing?from=100&to=50", nil, "admin", 422, "to", "before it starts"),
        ("GET", "/v1/efficiency?month=2026-11&from=1", nil, "admin", 422, "month", "not both"),
        ("POST", "/v1/prices", #"{"prices":{}}"#, "admin", 422, "prices", "names no price"),
        ("POST", "/v1/prices", #"{"prices":{"nodeClasses":{"gpu":{"coreHour":1}}}}"#, "admin", 400, "prices.nodeClasses.gpu", "the key 'gpu' is refused"),
        ("POST", "/v1/prices", #"{"effectiveFrom":1,"prices":{"coreHour":1}}"#, "admin", 422, "effectiveFrom", "never retroactive"),
        ("POST", "/v1/prices", #"{"prices":{"coreHour":1}}"#, "w", 403, nil, "may not manage quotas, grants, budgets and prices"),
        ("PUT", "/v1/tenants/water/budget", #"{"monthly":-5}"#, "admin", 400, "monthly", nil),
        // Query parameters are checked like bodies.
        ("GET", "/v1/requests?tenat=water", nil, "admin", 400, "tenat", "did you mean 'tenant'"),
        ("GET", "/v1/requests?limit=0", nil, "admin", 400, "limit", "between 1 and 1000"),
        ("GET", "/v1/requests?limit=1&limit=2", nil, "admin", 400, "limit", "more than once"),
        ("GET", "/v1/usage?from=nan", nil, "admin", 400, "from", nil),
        // HTTP conventions.
        ("DELETE", "/v1/requests", nil, "admin", 405, nil, "allowed: GET, POST"),
        ("GET", "/v1/nothing-here", nil, "admin", 404, nil, "no path"),
        ("POST", "/v1/requests", #"{"cpu":"#, "aud", 403, nil, nil),
        ("POST", "/v1/nodes", #"not json"#, "w", 403, nil, nil),
        ("GET", "/v1/users", nil, "aud", 200, nil, nil),
        ("GET", "/v1/tenants", nil, "wrong-token", 401, nil, "unknown bearer token"),
        ("GET", "/v1/tenants", nil, nil, 401, nil, "Bearer"),
        // Catalog names in any script get distinct, readable codes.
        ("POST", "/v1/catalog", #"{"kind":"offering","name":"政务云主机","nodeClass":"general","cpu":4,"memoryMiB":8192}"#, "op", 201, nil, "SL-OFR-GENERAL-ZHENG-WU-YUN-ZHU-JI"),
        ("POST", "/v1/catalog", #"{"kind":"offering","name":"视频分析","nodeClass":"general","cpu":4,"memoryMiB":8192}"#, "op", 201, nil, "SL-OFR-GENERAL-SHI-PIN-FEN-XI"),
        ("POST", "/v1/catalog", #"{"kind":"offering","name":"视频分析","nodeClass":"general","cpu":4,"memoryMiB":8192}"#, "op", 409, "name", "already"),
        ("POST", "/v1/catalog", #"{"kind":"offering","name":"事频分析","nodeClass":"general","cpu":4,"memoryMiB":8192}"#, "op", 201, nil, "SL-OFR-GENERAL-SHI-PIN-FEN-XI-H"),
    ]

    @Test("careless and hostile calls get the status and the field they deserve")
    func hostileCalls() async throws {
        let world = try await World.start()
        defer { world.server.kill() }
        for call in Self.hostile {
            let answer = try await world.send(call.method, call.path, call.body, as: call.user)
            let described = "\(call.method) \(call.path) \(call.body ?? "") as \(call.user ?? "nobody")"
            #expect(answer.status == call.status, "\(described): \(answer.status) \(answer.text)")
            if answer.status >= 400 {
                #expect(answer.headers["content-type"]?.hasPrefix("application/json") == true, "\(described): no JSON error")
                #expect(answer.json["code"] is String && answer.json["message"] is String, "\(described): \(answer.text)")
            }
            if let field = call.field { #expect(answer.json["field"] as? String == field, "\(described): \(answer.text)") }
            if let says = call.says { #expect(answer.text.contains(says) || answer.headers.values.contains { $0.contains(says) }, "\(described): \(answer.text)") }
        }
        #expect(try await world.healthy())
    }

    @Test("405 names the allowed methods in Allow; a lower-case bearer works; readiness is JSON")
    func conventions() async throws {
        let world = try await World.start()
        defer { world.server.kill() }
        let wrong = try await world.send("PUT", "/v1/requests/batch")
        #expect(wrong.status == 405 && wrong.headers["allow"] == "POST")
        let lower = try await world.server.send("GET", "/v1/tenants", token: nil, headers: ["Authorization": "bearer \(SchedulerProcess.adminToken)"])
        #expect(lower.status == 200)
        let ready = try await world.send("GET", "/readyz", as: nil)
        #expect(ready.status == 200 && ready.headers["content-type"]?.hasPrefix("application/json") == true && ready.json["status"] as? String == "ready")
        let text = try await world.server.send("POST", "/v1/tenants", body: Data(#"{"id":"x"}"#.utf8), headers: ["Content-Type": "text/plain"])
        #expect(text.status == 415 && text.json["field"] as? String == "Content-Type")
    }

    @Test("request names belong to their tenant: another tenant's name is neither taken nor visible; paths are decoded once")
    func tenantNames() async throws {
        let world = try await World.start()
        defer { world.server.kill() }
        let mine = try await world.send("POST", "/v1/requests", #"{"id":"job-1","cpu":1}"#, as: "w")
        #expect(mine.status == 201 && mine.json["id"] as? String == "water:job-1" && mine.json["name"] as? String == "job-1")
        // The same name in another tenant is that tenant's own request: no oracle.
        let theirs = try await world.send("POST", "/v1/requests", #"{"id":"job-1","cpu":1}"#, as: "t")
        #expect(theirs.status == 201 && theirs.json["id"] as? String == "transport:job-1")
        #expect(try await world.send("GET", "/v1/requests/water:job-1", as: "t").status == 404)
        #expect(try await world.send("POST", "/v1/requests/water:job-1/release", as: "t").status == 404)
        // Again in its own tenant: taken.
        let again = try await world.send("POST", "/v1/requests", #"{"id":"job-1","cpu":1}"#, as: "w")
        #expect(again.status == 409 && again.json["field"] as? String == "id")
        // Percent-encoded paths are decoded once: job%2D1 is job-1; a tenant user may drop its tenant.
        #expect(try await world.send("GET", "/v1/requests/water%3Ajob%2D1", as: "admin").json["name"] as? String == "job-1")
        #expect(try await world.send("GET", "/v1/requests/job%2D1", as: "w").json["id"] as? String == "water:job-1")
        #expect(try await world.send("POST", "/v1/requests/job-1/release", as: "w").json["phase"] as? String == "released")
        // An ended request's lease cannot move; a request without a lease has none to extend.
        #expect(try await world.send("POST", "/v1/requests/job-1/extend", #"{"seconds":60}"#, as: "w").status == 409)
        let unleased = try await world.send("POST", "/v1/requests/transport:job-1/extend", #"{"seconds":60}"#, as: "t")
        #expect(unleased.status == 409 && unleased.text.contains("no lease"), "\(unleased.text)")
    }

    @Test("an idempotency key names one submission: a retry replays it, another body or endpoint under the same key is a conflict")
    func idempotency() async throws {
        let world = try await World.start()
        defer { world.server.kill() }
        let key = ["Idempotency-Key": "k-1"]
        let first = try await world.send("POST", "/v1/requests", #"{"cpu":1}"#, as: "w", headers: key)
        let again = try await world.send("POST", "/v1/requests", #"{"cpu":1}"#, as: "w", headers: key)
        #expect(first.status == 201 && again.status == 200 && first.json["id"] as? String == again.json["id"] as? String)
        let other = try await world.send("POST", "/v1/requests", #"{"cpu":3}"#, as: "w", headers: key)
        #expect(other.status == 409 && other.json["field"] as? String == "Idempotency-Key", "\(other.text)")
        let batch = try await world.send("POST", "/v1/requests/batch", #"{"requests":[{"cpu":1}]}"#, as: "w", headers: key)
        #expect(batch.status == 409 && batch.json["field"] as? String == "Idempotency-Key", "\(batch.text)")
        // Another tenant's key space is its own.
        #expect(try await world.send("POST", "/v1/requests", #"{"cpu":3}"#, as: "t", headers: key).status == 201)
    }

    @Test("a request larger than its quota is refused with 403 and nothing is stored")
    func quotaRefusal() async throws {
        let world = try await World.start()
        defer { world.server.kill() }
        #expect(try await world.send("PUT", "/v1/tenants/water/quotas/standard", #"{"cpu":4}"#, as: "op").status == 200)
        let refused = try await world.send("POST", "/v1/requests", #"{"id":"big","cpu":8}"#, as: "w")
        #expect(refused.status == 403 && refused.json["code"] as? String == "quota_exceeded" && refused.json["field"] as? String == "cpu")
        #expect(try await world.send("GET", "/v1/requests/big", as: "w").status == 404)
        #expect(try await world.send("POST", "/v1/requests", #"{"id":"fits","cpu":4}"#, as: "w").status == 201)
    }

    @Test("a component's search labels do not constrain its requests; its required labels do; retired entries take no new requests")
    func catalogLifecycle() async throws {
        let world = try await World.start()
        defer { world.server.kill() }
        let component = #"{"kind":"component","name":"视频分析","version":"1","cpu":2,"memoryMiB":1024,"labels":{"domain":"video"}}"#
        let created = try await world.send("POST", "/v1/catalog", component, as: "op")
        #expect(created.status == 201 && created.json["code"] as? String == "SL-CMP-ANY-SHI-PIN-FEN-XI-V1")
        // The nodes carry no `domain` label: the request is placed all the same.
        #expect(try await world.send("POST", "/v1/requests", #"{"id":"cam","component":{"name":"视频分析"}}"#, as: "w").status == 201)
        #expect(try await eventually { try await world.send("GET", "/v1/requests/cam", as: "w").json["phase"] as? String == "running" }, "capacity only: it runs at placement")
        // What a request gives wins; what it leaves out comes from the profile, dimension by dimension.
        let partial = try await world.send("POST", "/v1/requests", #"{"id":"cam-big","cpu":3,"component":{"name":"视频分析"}}"#, as: "w")
        let spec = partial.json["spec"] as? [String: Any]
        #expect(spec?["cpu"] as? Double == 3 && spec?["memoryMiB"] as? Int == 1024, "\(partial.text)")
        #expect(try await world.send("POST", "/v1/requests/cam-big/release", as: "w").status == 200)
        let missing = try await world.send("POST", "/v1/requests", #"{"component":{"name":"视频分析","version":"9"}}"#, as: "w")
        #expect(missing.status == 422 && missing.text.contains("version 9 does not exist; live versions: 1"), "\(missing.text)")
        // Searchable by its label and its transliterated code.
        #expect((try await world.send("GET", "/v1/catalog?label=domain=video", as: "w").json["entries"] as? [Any])?.count == 1)
        for text in ["shi-pin", "shi%20pin", "%E8%A7%86%E9%A2%91"] {
            #expect((try await world.send("GET", "/v1/catalog?q=\(text)", as: "w").json["entries"] as? [Any])?.count == 1, "q=\(text)")
        }
        let edited = try await world.send("PATCH", "/v1/catalog/SL-CMP-ANY-SHI-PIN-FEN-XI-V1", #"{"requiredLabels":{"gpu":"t4"}}"#, as: "op")
        #expect(edited.status == 200 && edited.json["requiredLabels"] as? [String: String] == ["gpu": "t4"])
        let waiting = try await world.send("POST", "/v1/requests", #"{"id":"cam2","component":{"name":"视频分析"}}"#, as: "w")
        #expect(waiting.status == 201 && (waiting.json["spec"] as? [String: Any])?["requiredLabels"] as? [String: String] == ["gpu": "t4"])
        #expect(try await world.send("POST", "/v1/catalog/SL-CMP-ANY-SHI-PIN-FEN-XI-V1/retire", as: "op").json["retired"] as? Bool == true)
        let retired = try await world.send("POST", "/v1/requests", #"{"id":"cam3","component":{"name":"视频分析"}}"#, as: "w")
        #expect(retired.status == 422 && retired.json["field"] as? String == "component", "\(retired.text)")
        // In use: not removable until its requests end.
        #expect(try await world.send("DELETE", "/v1/catalog/SL-CMP-ANY-SHI-PIN-FEN-XI-V1", as: "op").status == 409)
        for name in ["cam", "cam2"] { #expect(try await world.send("POST", "/v1/requests/\(name)/release", as: "w").status == 200) }
        #expect(try await world.send("DELETE", "/v1/catalog/SL-CMP-ANY-SHI-PIN-FEN-XI-V1", as: "op").status == 204)
        #expect(try await world.send("GET", "/v1/catalog/SL-CMP-ANY-SHI-PIN-FEN-XI-V1", as: "op").status == 404)
    }

    @Test("sites, links and storage pools are registered, listed, resized, retired and removed through the API")
    func infrastructure() async throws {
        let world = try await World.start()
        defer { world.server.kill() }
        #expect(try await world.send("PUT", "/v1/sites/edge-7", #"{"region":"north"}"#, as: "op").status == 201)
        #expect(try await world.send("PUT", "/v1/sites/edge-7", #"{"region":"south"}"#, as: "op").status == 200)
        #expect(try await world.send("PUT", "/v1/links/district-1/edge-7", #"{"latencyMs":1.5}"#, as: "op").json["latencyMs"] as? Double == 1.5)
        #expect(try await world.send("PUT", "/v1/links/district-1/nowhere", #"{"latencyMs":1}"#, as: "op").status == 422)
        let sites = try await world.send("GET", "/v1/sites", as: "aud").json["sites"] as? [[String: Any]]
        #expect(sites?.compactMap { $0["id"] as? String } == ["district-1", "edge-7"])
        #expect(sites?.first?["registered"] as? Bool == false && sites?.first?["nodes"] as? Int == 2)
        let pool = try await world.send("POST", "/v1/storage-pools", #"{"id":"block-d1","site":"district-1","kind":"block","capacityGiB":100}"#, as: "op")
        #expect(pool.status == 201 && pool.json["usedGiB"] as? Int == 0)
        #expect(try await world.send("POST", "/v1/requests", #"{"id":"db","cpu":1,"volumes":[{"kind":"block","sizeGiB":60}]}"#, as: "w").status == 201)
        #expect(try await eventually { try await world.send("GET", "/v1/storage-pools/block-d1", as: "op").json["usedGiB"] as? Int == 60 })
        let shrink = try await world.send("PATCH", "/v1/storage-pools/block-d1", #"{"capacityGiB":50}"#, as: "op")
        #expect(shrink.status == 409 && shrink.json["field"] as? String == "capacityGiB")
        #expect(try await world.send("POST", "/v1/storage-pools/block-d1/retire", as: "op").json["retired"] as? Bool == true)
        // Retired: a new volume finds no pool and waits; the one there stays.
        #expect(try await world.send("POST", "/v1/requests", #"{"id":"db2","cpu":1,"volumes":[{"kind":"block","sizeGiB":10}]}"#, as: "w").status == 201)
        #expect(try await eventually { (try await world.send("GET", "/v1/requests/db2", as: "w").json["pending"] as? [String: Any]) != nil })
        #expect(try await world.send("DELETE", "/v1/storage-pools/block-d1", as: "op").status == 409)
        #expect(try await world.send("DELETE", "/v1/sites/edge-7", as: "op").status == 204)
        // Removing the site removed its link.
        #expect((try await world.send("GET", "/v1/links", as: "op").json["links"] as? [Any])?.isEmpty == true)
    }

    @Test("nodes are edited, retired and removed; a retired node takes no new work and cannot be uncordoned")
    func nodeLifecycle() async throws {
        let world = try await World.start()
        defer { world.server.kill() }
        let edited = try await world.send("PATCH", "/v1/nodes/n1", #"{"labels":{"rack":"r1"},"cpu":32}"#, as: "op")
        #expect(edited.status == 200 && edited.json["labels"] as? [String: String] == ["rack": "r1"], "\(edited.text)")
        #expect(try await world.send("POST", "/v1/nodes", #"{"id":"n1","nodeClass":"general","site":"district-1","cpu":1,"memoryMiB":1}"#, as: "op").status == 409)
        #expect(try await world.send("POST", "/v1/requests", #"{"id":"on-n1","cpu":20}"#, as: "w").status == 201)
        #expect(try await eventually { try await world.send("GET", "/v1/requests/on-n1", as: "w").json["phase"] as? String == "running" })
        let retired = try await world.send("POST", "/v1/nodes/n1/retire", as: "op")
        #expect(retired.json["retired"] as? Bool == true && retired.json["state"] as? String == "cordoned")
        #expect(try await world.send("POST", "/v1/nodes/n1/uncordon", as: "op").status == 409)
        #expect(try await world.send("DELETE", "/v1/nodes/n1", as: "op").status == 409)
        #expect(try await world.send("POST", "/v1/requests/on-n1/release", as: "w").status == 200)
        #expect(try await world.send("DELETE", "/v1/nodes/n1", as: "op").status == 204)
        #expect(try await world.send("GET", "/v1/nodes/n1", as: "op").status == 404)
    }

    @Test("a configuration file with an unknown key or a bad value stops the start, naming the file, the line and the key")
    func configurationFile() throws {
        let directory = try temporaryDirectory()
        for (text, expected) in [
            ("{\n  \"httpPrt\": 1234\n}\n", "line 2: field 'httpPrt': unknown field 'httpPrt'; did you mean 'httpPort'?"),
            ("{\"billing\": {}}", "field 'billing': unknown field"),
            ("{\n\"maxRetries\": 1000\n}", "line 2: field 'maxRetries': must be between 0 and 100"),
            ("{\n\n\"policy\": \"bestfit\"}", "line 3: field 'policy': unknown policy 'bestfit'"),
            ("{\"topology\": {\"links\": [{\"from\": \"a\", \"to\": \"b\", \"latencyMs\": -1}]}}", "field 'topology.links[0].latencyMs'"),
            ("{\"storagePools\": [{\"id\": \"p\", \"site\": \"s\", \"kind\": \"tape\", \"capacityGiB\": 1}]}", "field 'storagePools[0].kind': unknown value 'tape'"),
        ] {
            let file = directory.appendingPathComponent("config.json")
            try text.write(to: file, atomically: true, encoding: .utf8)
            let process = Process()
            process.executableURL = SchedulerProcess.binary
            process.arguments = ["--config", file.path, "--data-dir", directory.appendingPathComponent("data").path]
            let errors = Pipe()
            process.standardError = errors
            process.standardOutput = FileHandle.nullDevice
            try process.run()
            let said = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            process.waitUntilExit()
            #expect(process.terminationStatus != 0)
            #expect(said.contains(file.path) && said.contains(expected), "\(text): \(said)")
        }
    }
}

/// A small deterministic generator for drawing from a seed.
struct SplitMix: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
