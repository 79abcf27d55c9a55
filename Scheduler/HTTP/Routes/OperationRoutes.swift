import Placement
import SchedulerService

/// Utilization, alerts, the audit log, consolidation and defragmentation.
enum OperationRoutes {
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
        var tenant: String?
    }

    /// Either `request` (a queued request to make fit) or `freeNodes` (with optional `nodeClass`
    /// and `partition`); the contract allows exactly one.
    struct DefragmentationBody: Decodable {
        var request: String?
        var freeNodes: Int?
        var nodeClass: NodeClass?
        var partition: String?

        var goal: DefragmentationGoal {
            if let request { return .fit(request: request) }
            return .free(nodes: freeNodes ?? 1, nodeClass: nodeClass, partition: partition)
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

    static var endpoints: [Endpoint] {
        [
            Endpoint(Operation(
                .get, "/v1/utilization", id: "getUtilization", summary: "Capacity and allocation by node class, site or partition",
                tag: "operations", permission: .readOperations,
                query: [.init("by", .choice(["class", "site", "partition"]), "Default class.")],
                success: [.json(200, "UtilizationReport", "One group per value.")])) { call in
                let key: KeyPath<Node, String> = switch call.query("by") ?? "class" {
                case "site": \Node.site
                case "partition": \Node.partition
                default: \Node.nodeClass.rawValue
                }
                let groups = try call.scheduler.utilization(by: key, by: call.caller)
                return try JSON.response(["groups": groups.map {
                    UtilizationView(group: $0.group, nodes: $0.nodes, capacity: ResourcesView($0.capacity, gpuMilli: $0.gpuMilli), allocated: ResourcesView($0.allocated, gpuMilli: $0.allocatedGPUMilli))
                }])
            },
            Endpoint(Operation(
                .get, "/v1/alerts", id: "listAlerts", summary: "Nodes suspect or lost, quotas near their limit, idle requests, grants ending, budgets",
                tag: "operations", permission: .readAlerts,
                query: [.init("tenant", Components.identifier, "Only alerts about this tenant's resources (a tenant user sees only its own).")],
                success: [.json(200, "AlertList", "Current alerts.")], errors: [422])) { call in
                try JSON.response(["alerts": try call.scheduler.alerts(tenant: call.query("tenant"), by: call.caller).map {
                    AlertView(kind: $0.kind, target: $0.target, message: $0.message, tenant: $0.tenant)
                }])
            },
            Endpoint(Operation(
                .get, "/v1/audit", id: "readAudit", summary: "The audit log, oldest first", tag: "operations", permission: .readAudit,
                query: [
                    .init("actor", .string(maxLength: 200, minLength: 1), "Only changes by this actor."),
                    .init("target", .string(maxLength: 300, minLength: 1), "Only targets starting with this, e.g. request/ or node/n-1."),
                    .init("action", .string(maxLength: 64, minLength: 1), "Only this action, e.g. request.submit."),
                    .init("after", .integer(0...Int64.max), "Only entries after this sequence number (the last one seen)."),
                    .init("limit", .integer(1...1000), "Page size, default 100."),
                ] + AccountRoutes.range,
                success: [.json(200, "AuditList", "Entries in order.")])) { call in
                let query = AuditQuery(
                    actor: call.query("actor"), targetPrefix: call.query("target"), action: call.query("action"),
                    from: call.query("from", as: Double.self), to: call.query("to", as: Double.self),
                    afterSequence: call.query("after", as: Int64.self),
                    limit: call.query("limit", as: Int.self) ?? 100)
                return try JSON.response(["entries": try call.scheduler.audit(query, by: call.caller)])
            },
            Endpoint(Operation(
                .get, "/v1/consolidation", id: "getConsolidation", summary: "How few nodes could carry today's allocations",
                tag: "operations", permission: .readOperations, success: [.json(200, "ConsolidationReport", "Per node class and partition.")])) { call in
                try JSON.response(["groups": try call.scheduler.consolidation(by: call.caller)])
            },
            Endpoint(Operation(
                .post, "/v1/defragmentation/plan", id: "planDefragmentation", summary: "The fewest moves that make room", tag: "operations",
                permission: .manageNodes, body: "DefragmentationGoal", success: [.json(200, "DefragmentationPlan", "The plan; nothing moved yet.")],
                errors: [404, 409, 422])) { call in
                let body = try call.body(DefragmentationBody.self)
                return try JSON.response(DefragmentationView(try call.scheduler.defragmentationPlan(body.goal, by: call.caller)))
            },
            Endpoint(Operation(
                .post, "/v1/defragmentation/apply", id: "applyDefragmentation", summary: "Plan and carry out the moves in one transaction",
                tag: "operations", permission: .manageNodes, body: "DefragmentationGoal", success: [.json(200, "DefragmentationPlan", "Carried out.")],
                errors: [404, 409, 422])) { call in
                let body = try call.body(DefragmentationBody.self)
                return try JSON.response(DefragmentationView(try call.scheduler.applyDefragmentation(body.goal, by: call.caller)))
            },
        ]
    }
}
