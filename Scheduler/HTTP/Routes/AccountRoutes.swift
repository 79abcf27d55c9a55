import Hummingbird
import Placement
import SchedulerService

/// Accounts: usage on both bases, bills, budgets and efficiency.
enum AccountRoutes {
    struct EfficiencyReport: Encodable {
        var tenants: [EfficiencyView]
        var requests: [EfficiencyView]
        var satisfaction: [SatisfactionView]
    }
    struct SatisfactionView: Encodable {
        var entry: String
        var name: String
        var count: Int
        var average: Double
    }
    struct UsageReport: Encodable {
        var query: [String: String]
        var usage: UsageAmounts
    }
    struct BillingReport: Encodable {
        var currency: String
        /// The basis of the list in effect now.
        var basis: MeteringBasis
        /// The period; absent for an open end.
        var from: Double?
        var to: Double?
        var bills: [BillView]
    }
    struct BillView: Encodable {
        var tenant: String
        var due: Double
        var allocated: ChargeView
        var used: ChargeView
        var nodeClasses: [LineView]
        var lines: [LineView]

        init(_ bill: Bill) {
            tenant = bill.tenant
            due = bill.due
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
    struct PricesBody: Decodable {
        var effectiveFrom: Double?
        var prices: PriceListSpec
    }
    struct PriceVersionView: Encodable {
        var effectiveFrom: Double
        var publishedAt: Double
        var publishedBy: String
        var currency: String
        var basis: MeteringBasis
        var standard: UnitPrices
        var nodeClasses: [String: UnitPrices]

        init(_ version: PriceVersion) {
            effectiveFrom = version.effectiveFrom
            publishedAt = version.publishedAt
            publishedBy = version.publishedBy
            currency = version.list.currency
            basis = version.list.basis
            standard = version.list.standard
            nodeClasses = Dictionary(uniqueKeysWithValues: version.list.nodeClasses.map { ($0.key.rawValue, $0.value) })
        }
    }
    struct PriceHistoryView: Encodable {
        var current: PriceVersionView?
        var versions: [PriceVersionView]
    }
    struct BudgetBody: Decodable {
        var monthly: Double
    }
    struct BudgetView: Encodable {
        var tenant: String
        var month: String
        var currency: String
        var budget: Double?
        var due: Double
        var share: Double?
        var forecast: Double
    }
    struct EfficiencyView: Encodable {
        var subject: String
        var tenant: String
        var cpu: Double?
        var memory: Double?
        var allocated: UsageAmounts
        var used: UsageAmounts

        init(_ efficiency: Efficiency) {
            subject = efficiency.subject
            tenant = efficiency.tenant
            cpu = efficiency.cpu
            memory = efficiency.memory
            allocated = efficiency.allocated
            used = efficiency.used
        }
    }

    static let range: [Operation.Parameter] = [
        .init("from", Components.time, "From this time (seconds since 1970); samples partly inside count in proportion."),
        .init("to", Components.time, "Until this time."),
    ]

    /// A calendar month, or a range.
    static let period: [Operation.Parameter] = [
        .init("month", .string(maxLength: 7, minLength: 7, pattern: "^(19[7-9][0-9]|[2-9][0-9]{3})-(0[1-9]|1[0-2])$", "YYYY-MM, from 1970-01"), "A calendar month in UTC, instead of from and to."),
    ] + range

    /// The period a call asks about: `month`, or `from` and `to` (each open when left out).
    static func period(of call: Call) throws(ServiceError) -> (from: Double, to: Double) {
        guard let month = call.query("month") else {
            let from = call.query("from", as: Double.self) ?? -.infinity, to = call.query("to", as: Double.self) ?? .infinity
            guard from <= to else { throw ServiceError.unprocessable("to", "the range ends at \(to), before it starts at \(from)") }
            return (from, to)
        }
        guard call.query("from") == nil, call.query("to") == nil else {
            throw ServiceError.unprocessable("month", "give a month or a range (from, to), not both")
        }
        return try CalendarMonth.range(of: month)
    }

    static func budgetView(_ status: BudgetStatus, currency: String) -> BudgetView {
        BudgetView(tenant: status.tenant, month: status.month, currency: currency, budget: status.budget, due: status.due, share: status.share, forecast: status.forecast)
    }

    static var endpoints: [Endpoint] {
        [
            Endpoint(Operation(
                .get, "/v1/usage", id: "getUsage", summary: "Use by request, tenant, node and time, allocated or measured", tag: "accounts", permission: .readUsage,
                query: [
                    .init("request", Components.requestID, "Only this request."), .init("tenant", Components.identifier, "Only this tenant (a tenant user: its own)."),
                    .init("node", Components.identifier, "Only this node (`api` for API calls)."),
                    .init("basis", .choice(MeteringBasis.allCases.map(\.rawValue)), "`used` (default): what agents measured; `allocated`: what requests held, from placement to release."),
                ] + period,
                success: [.json(200, "UsageReport", "The sums.")], errors: [404, 422])) { call in
                let request = call.query("request").map { Scheduler.resolveRequestID($0, for: call.caller) }
                let (from, to) = try period(of: call)
                let query = UsageQuery(requestID: request, tenant: call.query("tenant"), node: call.query("node"), from: from, to: to)
                let usage = try call.scheduler.usage(query, basis: call.query("basis", as: MeteringBasis.self) ?? .used, by: call.caller)
                return try JSON.response(UsageReport(query: call.queryValues, usage: usage))
            },
            Endpoint(Operation(
                .get, "/v1/billing", id: "getBilling", summary: "Each tenant's bill for a month or a time range, allocated and used", tag: "accounts",
                permission: .readUsage,
                query: [
                    .init("tenant", Components.identifier, "Only this tenant (a tenant user: its own)."), .init("format", .choice(["json", "csv"]), "Default json."),
                ] + period,
                success: [
                    Operation.Answer(
                        status: 200, description: "One bill per tenant: JSON, or CSV with format=csv.",
                        content: .jsonOrText(schema: "BillingReport", mediaType: "text/csv", description: "A header line, then one line per tenant, request, node class and basis.")),
                ], errors: [422])) { call in
                let (from, to) = try period(of: call)
                let bills = try call.scheduler.bills(from: from, to: to, tenant: call.query("tenant"), by: call.caller)
                let currency = call.scheduler.currentPrices().currency
                guard call.query("format") == "csv" else {
                    return try JSON.response(BillingReport(currency: currency, basis: call.scheduler.currentPrices().basis, from: from.isFinite ? from : nil, to: to.isFinite ? to : nil, bills: bills.map(BillView.init)))
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
                .get, "/v1/prices", id: "listPrices", summary: "The price lists over time", tag: "accounts", permission: .readUsage,
                success: [.json(200, "PriceHistory", "Each list with the moment it takes effect; the one in effect now as current.")])) { call in
                let (history, current) = try call.scheduler.prices(by: call.caller)
                return try JSON.response(PriceHistoryView(current: current.map(PriceVersionView.init), versions: history.versions.map(PriceVersionView.init)))
            },
            Endpoint(Operation(
                .post, "/v1/prices", id: "publishPrices", summary: "Publish a price list, in effect from now or a later moment", tag: "accounts",
                permission: .manageQuotas, body: "PriceListPublication", success: [.json(201, "PriceVersion", "Published.")], errors: [422])) { call in
                let body = try call.body(PricesBody.self)
                let list = try body.prices.priceList(field: "prices.")
                return try JSON.response(PriceVersionView(try call.scheduler.publishPrices(list, effectiveFrom: body.effectiveFrom, by: call.caller)), status: .created)
            },
            Endpoint(Operation(
                .get, "/v1/efficiency", id: "getEfficiency", summary: "Used over allocated per tenant and per request, lowest first; users' satisfaction with the catalog's entries", tag: "accounts",
                permission: .readUsage,
                query: [
                    .init("tenant", Components.identifier, "Only this tenant (a tenant user: its own)."),
                    .init("limit", .integer(1...100_000), "At most this many requests (default 100)."),
                ] + period,
                success: [.json(200, "EfficiencyReport", "Tenants and requests, the least efficient first.")], errors: [422])) { call in
                let (from, to) = try period(of: call)
                let efficiency = try call.scheduler.efficiency(from: from, to: to, tenant: call.query("tenant"), by: call.caller)
                let limit = call.query("limit", as: Int.self) ?? 100
                return try JSON.response(EfficiencyReport(
                    tenants: efficiency.tenants.map(EfficiencyView.init), requests: efficiency.requests.prefix(limit).map(EfficiencyView.init),
                    satisfaction: try call.scheduler.satisfaction(by: call.caller).prefix(limit).map {
                        SatisfactionView(entry: $0.entry.code, name: $0.entry.name, count: $0.summary.count, average: $0.summary.average ?? 0)
                    }))
            },
            Endpoint(Operation(
                .put, "/v1/tenants/{tenant}/budget", id: "setBudget", summary: "Set a tenant's monthly budget", tag: "accounts",
                permission: .manageQuotas, pathParameters: [TenantRoutes.tenantParameter], body: "Budget",
                success: [.json(200, "BudgetStatus", "The budget as set, against this month's bill.")])) { call in
                let body = try call.body(BudgetBody.self)
                let tenant = try call.scheduler.setBudget(tenant: call.path("tenant"), monthly: body.monthly, by: call.caller)
                return try JSON.response(budgetView(try call.scheduler.budget(tenant: tenant.id, by: call.caller), currency: call.scheduler.currentPrices().currency))
            },
            Endpoint(Operation(
                .delete, "/v1/tenants/{tenant}/budget", id: "removeBudget", summary: "Remove a tenant's monthly budget", tag: "accounts",
                permission: .manageQuotas, pathParameters: [TenantRoutes.tenantParameter], success: [Operation.Answer(status: 204, description: "Removed.", content: .none)])) { call in
                _ = try call.scheduler.setBudget(tenant: call.path("tenant"), monthly: nil, by: call.caller)
                return Response(status: .noContent)
            },
            Endpoint(Operation(
                .get, "/v1/tenants/{tenant}/budget", id: "getBudget", summary: "A tenant against its monthly budget this month", tag: "accounts",
                permission: .readUsage, pathParameters: [TenantRoutes.tenantParameter],
                success: [.json(200, "BudgetStatus", "Billed so far, the share of the budget and the forecast for the month.")])) { call in
                try JSON.response(budgetView(try call.scheduler.budget(tenant: call.path("tenant"), by: call.caller), currency: call.scheduler.currentPrices().currency))
            },
        ]
    }
}
