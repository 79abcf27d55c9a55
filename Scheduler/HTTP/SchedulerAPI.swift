import Foundation
import HTTPTypes
import Hummingbird
import Placement
import SchedulerService

/// The HTTP/JSON API: `/v1` for callers with bearer tokens, `/healthz`, `/readyz` and `/metrics`
/// for probes and Prometheus, and the OpenAPI document at `/v1/openapi.json`.
public enum SchedulerAPI {
    /// The router with every route. `ready` answers `/readyz`.
    public static func router(scheduler: Scheduler, ready: @escaping @Sendable () -> Bool = { true }) -> Router<APIContext> {
        let router = Router(context: APIContext.self)
        router.get("healthz") { _, _ in "ok\n" }
        router.get("readyz") { _, _ -> Response in
            ready() ? Response(status: .ok, body: .init(byteBuffer: ByteBuffer(string: "ready\n"))) : Response(status: .serviceUnavailable)
        }
        router.get("metrics") { _, _ -> Response in
            Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4"], body: .init(byteBuffer: ByteBuffer(string: Metrics.text(scheduler))))
        }
        router.get("v1/openapi.json") { _, _ -> Response in
            Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: openAPIDocument)))
        }
        let v1 = router.group("v1").add(middleware: BearerAuthentication(scheduler: scheduler))
        addRequestRoutes(v1, scheduler)
        addNodeRoutes(v1, scheduler)
        addTenantRoutes(v1, scheduler)
        addCatalogRoutes(v1, scheduler)
        addDefragmentationRoutes(v1, scheduler)
        addOperationRoutes(v1, scheduler)
        return router
    }

    /// The OpenAPI 3.1 document, as shipped in the module's resources.
    public static let openAPIDocument: [UInt8] = {
        guard let url = Bundle.module.url(forResource: "openapi", withExtension: "json"), let data = try? Data(contentsOf: url) else {
            return Array(#"{"openapi":"3.1.0","info":{"title":"Suanli scheduler","version":"unavailable"},"paths":{}}"#.utf8)
        }
        return Array(data)
    }()

    // MARK: Requests

    struct BatchBody: Decodable { var requests: [RequestSpec] }
    struct ExtendBody: Decodable { var seconds: Int64 }
    struct RequestList: Encodable {
        var requests: [RequestView]
        var nextCursor: String?
    }

    static func addRequestRoutes(_ v1: RouterGroup<APIContext>, _ scheduler: Scheduler) {
        v1.post("requests") { request, context -> Response in
            let spec = try await JSON.decode(RequestSpec.self, from: request)
            let result = try await scheduler.submitGrouped([spec], idempotencyKey: request.headers[.idempotencyKey], by: try context.caller())
            return try JSON.response(RequestView(RequestStatus(record: result.requests[0])), status: result.replayed ? .ok : .created)
        }
        v1.post("requests/batch") { request, context -> Response in
            let body = try await JSON.decode(BatchBody.self, from: request)
            let result = try await scheduler.submitGrouped(body.requests, idempotencyKey: request.headers[.idempotencyKey], batch: true, by: try context.caller())
            return try JSON.response(["requests": result.requests.map { RequestView(RequestStatus(record: $0)) }], status: result.replayed ? .ok : .created)
        }
        v1.get("requests") { request, context -> Response in
            let limit = try request.query("limit", as: Int.self) ?? 100
            guard (1...1000).contains(limit) else { throw ServiceError.invalid("limit", "must be between 1 and 1000") }
            let query = RequestQuery(
                tenant: request.query("tenant"), phase: request.query("phase"), priority: try request.query("priority", as: PriorityClass.self),
                kind: try request.query("kind", as: WorkloadKind.self), after: try cursor(request.query("cursor")), limit: limit)
            let found = try scheduler.requests(query, by: try context.caller())
            let next = found.count == limit ? found.last.map { "\($0.record.spec.submittedAt)/\($0.record.id)" } : nil
            return try JSON.response(RequestList(requests: found.map { RequestView($0) }, nextCursor: next))
        }
        v1.get("requests/:id") { request, context -> Response in
            try JSON.response(RequestView(try scheduler.request(try context.parameters.require("id"), by: try context.caller()), withHistory: true))
        }
        v1.post("requests/:id/release") { _, context -> Response in
            let record = try scheduler.release(try context.parameters.require("id"), by: try context.caller())
            return try JSON.response(RequestView(RequestStatus(record: record)))
        }
        v1.post("requests/:id/extend") { request, context -> Response in
            let body = try await JSON.decode(ExtendBody.self, from: request)
            let record = try scheduler.extendLease(try context.parameters.require("id"), bySeconds: body.seconds, by: try context.caller())
            return try JSON.response(RequestView(RequestStatus(record: record)))
        }
    }

    /// A list cursor `SUBMITTED_AT/ID`.
    static func cursor(_ raw: String?) throws(ServiceError) -> RequestCursor? {
        guard let raw else { return nil }
        guard let slash = raw.firstIndex(of: "/"), let at = Double(raw[..<slash]) else {
            throw ServiceError.invalid("cursor", "not a cursor returned by this API")
        }
        return RequestCursor(submittedAt: at, id: String(raw[raw.index(after: slash)...]))
    }

    // MARK: Defragmentation

    /// Either `request` (a queued request to make fit) or `freeNodes` (with optional `nodeClass`
    /// and `partition`).
    struct DefragmentationBody: Decodable {
        var request: String?
        var freeNodes: Int?
        var nodeClass: NodeClass?
        var partition: String?

        func goal() throws(ServiceError) -> DefragmentationGoal {
            switch (request, freeNodes) {
            case (let request?, nil): return .fit(request: request)
            case (nil, let count?): return .free(nodes: count, nodeClass: nodeClass, partition: partition)
            default: throw ServiceError.invalid("request", "give either request or freeNodes")
            }
        }
    }

    struct DefragmentationView: Encodable {
        struct MoveView: Encodable {
            var request: String
            var from: [String]
            var to: [String]
        }
        var moves: [MoveView]
        var freedNodes: [String]
        var placement: [String]

        init(_ plan: DefragmentationPlan) {
            moves = plan.moves.map { MoveView(request: $0.requestID, from: $0.from, to: $0.to) }
            freedNodes = plan.freedNodes
            placement = plan.placement
        }
    }

    static func addDefragmentationRoutes(_ v1: RouterGroup<APIContext>, _ scheduler: Scheduler) {
        v1.post("defragmentation/plan") { request, context -> Response in
            let body = try await JSON.decode(DefragmentationBody.self, from: request)
            return try JSON.response(DefragmentationView(try scheduler.defragmentationPlan(try body.goal(), by: try context.caller())))
        }
        v1.get("consolidation") { _, context -> Response in
            try JSON.response(["groups": try scheduler.consolidation(by: try context.caller())])
        }
        v1.post("defragmentation/apply") { request, context -> Response in
            let body = try await JSON.decode(DefragmentationBody.self, from: request)
            return try JSON.response(DefragmentationView(try scheduler.applyDefragmentation(try body.goal(), by: try context.caller())))
        }
    }

    // MARK: Catalog

    static func addCatalogRoutes(_ v1: RouterGroup<APIContext>, _ scheduler: Scheduler) {
        v1.post("catalog") { request, context -> Response in
            let body = try await JSON.decode(CatalogRegistration.self, from: request)
            return try JSON.response(try scheduler.registerCatalogEntry(body, by: try context.caller()), status: .created)
        }
        v1.get("catalog") { request, context -> Response in
            let query = CatalogQuery(
                kind: try request.query("kind", as: CatalogEntry.Kind.self), nodeClass: try request.query("class", as: NodeClass.self),
                site: request.query("site"), partition: request.query("partition"), label: try labelFilter(request), text: request.query("q"))
            return try JSON.response(["entries": try scheduler.catalog(query, by: try context.caller())])
        }
        v1.get("catalog/:code") { _, context -> Response in
            try JSON.response(try scheduler.catalogEntry(code: try context.parameters.require("code"), by: try context.caller()))
        }
    }

    /// The `label=KEY=VALUE` filter of a list.
    static func labelFilter(_ request: Request) throws(ServiceError) -> (key: String, value: String)? {
        guard let raw = request.query("label") else { return nil }
        let parts = raw.split(separator: "=", maxSplits: 1).map(String.init)
        guard parts.count == 2 else { throw ServiceError.invalid("label", "must be KEY=VALUE") }
        return (parts[0], parts[1])
    }

    // MARK: Nodes

    static func addNodeRoutes(_ v1: RouterGroup<APIContext>, _ scheduler: Scheduler) {
        v1.get("nodes") { request, context -> Response in
            let label = try labelFilter(request)
            let nodes = try scheduler.nodes(
                nodeClass: try request.query("class", as: NodeClass.self), site: request.query("site"),
                partition: request.query("partition"), label: label.map { ($0.key, $0.value) }, by: try context.caller())
            return try JSON.response(["nodes": nodes.map(NodeView.init)])
        }
        v1.post("nodes") { request, context -> Response in
            let body = try await JSON.decode(NodeRegistration.self, from: request)
            let status = try scheduler.registerNode(try body.node(), awaitingAgent: true, by: try context.caller())
            return try JSON.response(NodeView(status), status: .created)
        }
        v1.get("nodes/:id") { _, context -> Response in
            try JSON.response(NodeView(try scheduler.node(try context.parameters.require("id"), by: try context.caller())))
        }
        for (verb, state) in [("cordon", NodeState.cordoned), ("drain", .draining), ("uncordon", .ready)] {
            v1.post("nodes/:id/\(verb)") { _, context -> Response in
                try JSON.response(NodeView(try scheduler.setNodeState(try context.parameters.require("id"), to: state, by: try context.caller())))
            }
        }
    }

    // MARK: Tenants, users, quotas, grants

    struct TenantBody: Decodable {
        var id: String
        var name: String?
        var weight: Double?
        var reclaimIdle: Bool?
    }
    struct UserBody: Decodable {
        var id: String
        var role: Role
        var tenant: String?
    }
    struct UserView: Encodable {
        var id: String
        var role: Role
        var tenant: String?
        var createdAt: Double
        /// Only in the answer to the creation.
        var token: String?
    }
    struct GrantBody: Decodable {
        var tenant: String
        var partition: String
        var entries: [String]?
        var expiresAt: Double
    }
    struct QuotaView: Encodable {
        var tenant: String
        var priority: PriorityClass
        var limit: QuotaBody
        var used: ResourcesView
    }

    static func addTenantRoutes(_ v1: RouterGroup<APIContext>, _ scheduler: Scheduler) {
        v1.post("tenants") { request, context -> Response in
            let body = try await JSON.decode(TenantBody.self, from: request)
            return try JSON.response(try scheduler.createTenant(id: body.id, name: body.name, weight: body.weight ?? 1, reclaimIdle: body.reclaimIdle, by: try context.caller()), status: .created)
        }
        v1.get("tenants") { _, context -> Response in
            try JSON.response(["tenants": try scheduler.tenants(by: try context.caller())])
        }
        v1.put("tenants/:tenant/quotas/:priority") { request, context -> Response in
            let raw = try context.parameters.require("priority")
            guard let priority = PriorityClass(rawValue: raw) else {
                throw ServiceError.invalid("priority", "unknown priority class '\(raw)'; known: \(PriorityClass.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            let body = try await JSON.decode(QuotaBody.self, from: request)
            let record = try scheduler.setQuota(tenant: try context.parameters.require("tenant"), priority: priority, quota: try body.quota(), by: try context.caller())
            return try JSON.response(quotaView(record, used: Usage()))
        }
        v1.get("tenants/:tenant/quotas") { _, context -> Response in
            let quotas = try scheduler.quotas(tenant: try context.parameters.require("tenant"), by: try context.caller())
            return try JSON.response(["quotas": quotas.map { quotaView($0.0, used: $0.used) }])
        }
        v1.post("users") { request, context -> Response in
            let body = try await JSON.decode(UserBody.self, from: request)
            let (user, token) = try scheduler.createUser(id: body.id, role: body.role, tenant: body.tenant, by: try context.caller())
            return try JSON.response(UserView(id: user.id, role: user.role, tenant: user.tenant, createdAt: user.createdAt, token: token), status: .created)
        }
        v1.get("users") { _, context -> Response in
            let users = try scheduler.users(by: try context.caller())
            return try JSON.response(["users": users.map { UserView(id: $0.id, role: $0.role, tenant: $0.tenant, createdAt: $0.createdAt) }])
        }
        v1.delete("users/:id") { _, context -> Response in
            try scheduler.deleteUser(try context.parameters.require("id"), by: try context.caller())
            return Response(status: .noContent)
        }
        v1.post("grants") { request, context -> Response in
            let body = try await JSON.decode(GrantBody.self, from: request)
            return try JSON.response(try scheduler.createGrant(tenant: body.tenant, partition: body.partition, entries: body.entries, expiresAt: body.expiresAt, by: try context.caller()), status: .created)
        }
        v1.get("grants") { request, context -> Response in
            try JSON.response(["grants": try scheduler.grants(tenant: request.query("tenant"), by: try context.caller())])
        }
    }

    static func quotaView(_ record: QuotaRecord, used: Usage) -> QuotaView {
        let r = record.quota.resources
        func limit(_ value: Int64) -> Int64? { value >= QuotaBody.unlimited ? nil : value }
        return QuotaView(
            tenant: record.tenant, priority: record.priority,
            limit: QuotaBody(
                cpu: limit(r.cpuMillis).map { Double($0) / 1000 }, memoryMiB: limit(r.memoryMiB), diskGiB: limit(r.diskGiB),
                bandwidthMbps: limit(r.bandwidthMbps), gpuMilli: limit(record.quota.gpuMilli)),
            used: ResourcesView(used.resources, gpuMilli: used.gpuMilli))
    }

    // MARK: Usage, billing, operations

    struct UsageView: Encodable {
        var query: [String: String]
        var usage: UsageAmounts
    }
    struct BillingView: Encodable {
        var tenant: String
        var usage: UsageAmounts
        var charge: Double
    }
    struct UtilizationView: Encodable {
        var group: String
        var nodes: Int
        var capacity: ResourcesView
        var allocated: ResourcesView
    }
    struct AlertView: Encodable {
        var kind: String
        var target: String
        var message: String
    }

    static func addOperationRoutes(_ v1: RouterGroup<APIContext>, _ scheduler: Scheduler) {
        v1.get("usage") { request, context -> Response in
            let query = UsageQuery(
                requestID: request.query("request"), tenant: request.query("tenant"), node: request.query("node"),
                from: try request.query("from", as: Double.self) ?? -.infinity, to: try request.query("to", as: Double.self) ?? .infinity)
            let usage = try scheduler.usage(query, by: try context.caller())
            var echo: [String: String] = [:]
            for name in ["request", "tenant", "node", "from", "to"] { echo[name] = request.query(name) }
            return try JSON.response(UsageView(query: echo, usage: usage))
        }
        v1.get("billing") { request, context -> Response in
            let lines = try scheduler.billing(
                from: try request.query("from", as: Double.self) ?? -.infinity, to: try request.query("to", as: Double.self) ?? .infinity,
                tenant: request.query("tenant"), by: try context.caller())
            switch request.query("format") ?? "json" {
            case "json":
                return try JSON.response(["lines": lines.map { BillingView(tenant: $0.tenant, usage: $0.usage, charge: $0.charge) }])
            case "csv":
                var csv = "tenant," + UsageAmounts.components.map(\.name).joined(separator: ",") + ",charge\n"
                for line in lines {
                    csv += line.tenant + "," + UsageAmounts.components.map { String(line.usage[keyPath: $0.keyPath]) }.joined(separator: ",") + ",\(line.charge)\n"
                }
                return Response(status: .ok, headers: [.contentType: "text/csv"], body: .init(byteBuffer: ByteBuffer(string: csv)))
            case let other:
                throw ServiceError.invalid("format", "must be json or csv, got '\(other)'")
            }
        }
        v1.get("utilization") { request, context -> Response in
            let key: KeyPath<Node, String>
            switch request.query("by") ?? "class" {
            case "class": key = \Node.nodeClass.rawValue
            case "site": key = \Node.site
            case "partition": key = \Node.partition
            case let other: throw ServiceError.invalid("by", "must be class, site or partition, got '\(other)'")
            }
            let groups = try scheduler.utilization(by: key, by: try context.caller())
            return try JSON.response(["groups": groups.map {
                UtilizationView(group: $0.group, nodes: $0.nodes, capacity: ResourcesView($0.capacity, gpuMilli: $0.gpuMilli), allocated: ResourcesView($0.allocated, gpuMilli: $0.allocatedGPUMilli))
            }])
        }
        v1.get("alerts") { _, context -> Response in
            try JSON.response(["alerts": try scheduler.alerts(by: try context.caller()).map { AlertView(kind: $0.kind, target: $0.target, message: $0.message) }])
        }
        v1.get("audit") { request, context -> Response in
            let limit = try request.query("limit", as: Int.self) ?? 100
            guard (1...1000).contains(limit) else { throw ServiceError.invalid("limit", "must be between 1 and 1000") }
            let query = AuditQuery(
                actor: request.query("actor"), targetPrefix: request.query("target"), action: request.query("action"),
                from: try request.query("from", as: Double.self), to: try request.query("to", as: Double.self),
                afterSequence: try request.query("after", as: Int64.self), limit: limit)
            return try JSON.response(["entries": try scheduler.audit(query, by: try context.caller())])
        }
    }
}

extension HTTPField.Name {
    static let idempotencyKey = HTTPField.Name("Idempotency-Key")!
}
