import Placement
import SchedulerService

/// Usage, billing, utilization, alerts, the audit log, consolidation and defragmentation.
enum OperationRoutes {
    struct UsageReport: Encodable {
        var query: [String: String]
        var usage: UsageAmounts
    }
    struct BillingReport: Encodable {
        var currency: String
        /// The period; absent for an open end.
        var from: Double?
        var to: Double?
        var bills: [BillView]
    }
    struct BillView: Encodable {
        var tenant: String
        var allocated: ChargeView
        var used: ChargeView
        var nodeClasses: [LineView]
        var lines: [LineView]

        init(_ bill: Bill) {
            tenant = bill.tenant
            allocated = ChargeView(bill.allocated)
            used = ChargeView(bill.used)
            nodeClasses = bill.nodeClasses.map { LineView(request: nil, nodeClass: $0.nodeClass?.rawValue, allocated: ChargeView($0.allocated), used: ChargeView($0.used)) }
            lines = bill.lines.map { LineView(request: $0.request, nodeClass: $0.nodeClass?.rawValue, allocated: ChargeView($0.allocated), used: ChargeView($0.used)) }
        }
    }
    struct LineView: Encodable {
        var request: String?
        var nodeClass: String?
        var allocated: ChargeView
        var used: ChargeView
    }
    struct ChargeView: Encodable {
        var usage: UsageAmounts
        var charges: UsageAmounts
        var total: Double

        init(_ charge: Charge) {
            usage = charge.usage
            charges = charge.charges
            total = charge.total
        }
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

    static let range: [Operation.Parameter] = [
        .init("from", Components.time, "From this time (seconds since 1970); samples partly inside count in proportion."),
        .init("to", Components.time, "Until this time."),
    ]

    static var endpoints: [Endpoint] {
        [
            Endpoint(Operation(
                .get, "/v1/usage", id: "getUsage", summary: "Use by request, tenant, node and time, allocated or measured", tag: "accounts", permission: .readUsage,
                query: [
                    .init("request", Components.requestID, "Only this request."), .init("tenant", Components.identifier, "Only this tenant (a tenant user: its own)."),
                    .init("node", Components.identifier, "Only this node (`api` for API calls)."),
                    .init("basis", .choice(MeteringBasis.allCases.map(\.rawValue)), "`used` (default): what agents measured; `allocated`: what requests held, from placement to release."),
                ] + range,
                success: [.json(200, "UsageReport", "The sums.")], errors: [422])) { call in
                let request = call.query("request").map { Scheduler.resolveRequestID($0, for: call.caller) }
                let query = UsageQuery(
                    requestID: request, tenant: call.query("tenant"), node: call.query("node"),
                    from: call.query("from", as: Double.self) ?? -.infinity, to: call.query("to", as: Double.self) ?? .infinity)
                let usage = try call.scheduler.usage(query, basis: call.query("basis", as: MeteringBasis.self) ?? .used, by: call.caller)
                return try JSON.response(UsageReport(query: call.queryValues, usage: usage))
            },
            Endpoint(Operation(
                .get, "/v1/billing", id: "getBilling", summary: "Each tenant's bill for a month or a time range, allocated and used", tag: "accounts",
                permission: .readUsage,
                query: [
                    .init("tenant", Components.identifier, "Only this tenant (a tenant user: its own)."),
                    .init("month", .string(maxLength: 7, minLength: 7, pattern: "^(19[7-9][0-9]|[2-9][0-9]{3})-(0[1-9]|1[0-2])$", "YYYY-MM, from 1970-01"), "A calendar month in UTC, instead of from and to."),
                    .init("format", .choice(["json", "csv"]), "Default json."),
                ] + range,
                success: [
                    Operation.Answer(
                        status: 200, description: "One bill per tenant: JSON, or CSV with format=csv.",
                        content: .jsonOrText(schema: "BillingReport", mediaType: "text/csv", description: "A header line, then one line per tenant, request, node class and basis.")),
                ], errors: [422])) { call in
                var from = call.query("from", as: Double.self) ?? -.infinity
                var to = call.query("to", as: Double.self) ?? .infinity
                if let month = call.query("month") {
                    guard call.query("from") == nil, call.query("to") == nil else {
                        throw ServiceError.unprocessable("month", "give a month or a range (from, to), not both")
                    }
                    (from, to) = try CalendarMonth.range(of: month)
                }
                let bills = try call.scheduler.bills(from: from, to: to, tenant: call.query("tenant"), by: call.caller)
                let currency = call.scheduler.config.prices.currency
                guard call.query("format") == "csv" else {
                    return try JSON.response(BillingReport(currency: currency, from: from.isFinite ? from : nil, to: to.isFinite ? to : nil, bills: bills.map(BillView.init)))
                }
                var csv = "tenant,request,nodeClass,basis," + UsageAmounts.components.map(\.name).joined(separator: ",") + ",charge,currency\n"
                for bill in bills {
                    for line in bill.lines {
                        for (basis, charge) in [("allocated", line.allocated), ("used", line.used)] {
                            let amounts = UsageAmounts.components.map { String(charge.usage[keyPath: $0.keyPath]) }.joined(separator: ",")
                            csv += "\(bill.tenant),\(line.request),\(line.nodeClass?.rawValue ?? ""),\(basis),\(amounts),\(charge.total),\(currency)\n"
                        }
                    }
                }
                return JSON.text(csv, mediaType: "text/csv")
            },
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
                .get, "/v1/alerts", id: "listAlerts", summary: "Nodes suspect or lost, quotas near their limit, idle requests, grants ending",
                tag: "operations", permission: .readOperations, success: [.json(200, "AlertList", "Current alerts.")])) { call in
                try JSON.response(["alerts": try call.scheduler.alerts(by: call.caller).map { AlertView(kind: $0.kind, target: $0.target, message: $0.message) }])
            },
            Endpoint(Operation(
                .get, "/v1/audit", id: "readAudit", summary: "The audit log, oldest first", tag: "operations", permission: .readAudit,
                query: [
                    .init("actor", .string(maxLength: 200, minLength: 1), "Only changes by this actor."),
                    .init("target", .string(maxLength: 300, minLength: 1), "Only targets starting with this, e.g. request/ or node/n-1."),
                    .init("action", .string(maxLength: 64, minLength: 1), "Only this action, e.g. request.submit."),
                    .init("after", .integer(0...Int64.max), "Only entries after this sequence number (the last one seen)."),
                    .init("limit", .integer(1...1000), "Page size, default 100."),
                ] + range,
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
