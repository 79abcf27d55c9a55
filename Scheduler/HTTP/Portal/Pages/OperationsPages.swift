import Foundation
import Placement
import SVGCharts
import SchedulerService

/// The operators' pages: nodes by class, site and health, utilization over the last day, alerts,
/// cordoning; consolidation estimates and defragmentation plans (a dry run, then applied); the
/// audit log.
enum OperationsPages {
    struct Tile {
        var kind: String
        var figure: String
        var label: String
    }

    struct HealthRow {
        var group: String
        var counts: [String]
    }

    struct AlertRow {
        /// In words, and as the engine names it (`node_cordoned`).
        var kind: String
        var code: String
        var target: String
        var message: String
    }

    struct UtilizationRow {
        var group: String
        var nodes: Int
        var cpu: String
        var memory: String
        var gpu: String
    }

    struct NodeRow {
        var id: String
        var nodeClass: String
        var site: String
        var state: String
        var stateClass: String
        var allocated: String
        var requests: Int
        var canManage: Bool
        var cordon: Bool
        var uncordon: Bool
    }

    struct OverviewView {
        var tiles: [Tile]
        var stateNames: [String]
        var healthRows: [HealthRow]
        var alerts: [AlertRow]
        var utilization: [UtilizationRow]
        var utilizationTitle: String
        var charts: [String]
        var classChoices: [CatalogPages.Choice]
        var siteChoices: [CatalogPages.Choice]
        var nodes: [NodeRow]
        var moreNodes: String?
    }

    struct EstimateRow {
        var nodeClass: String
        var partition: String
        var nodes: Int
        var inUse: Int
        var needed: Int
        var lowerBound: Int
        var couldFree: Int
    }

    struct PlanView {
        var summary: String
        var moves: [String]
        var canApply: Bool
        var freeNodes: String
        var nodeClass: String
    }

    struct ConsolidationView {
        var estimates: [EstimateRow]
        /// Whether the caller may plan and apply (operators and admins; auditors read).
        var canPlan: Bool
        var freeNodes: String
        var classChoices: [CatalogPages.Choice]
        var plan: PlanView?
    }

    struct AuditRow {
        var at: String
        var actor: String
        var action: String
        var target: String
        var detail: String
    }

    struct AuditView {
        var actor: String
        var action: String
        var target: String
        var entries: [AuditRow]
        var next: String?
    }

    /// The most nodes listed on the overview; filters show the rest.
    static let nodesListed = 200

    static let routes: [PortalRoute] = [
        .get("/operations", query: ["class", "site"]) { call in .page("operations", title: call.language("nav.operations"), try overview(call)) },
        .post("/operations/nodes/:id/cordon", fields: []) { call in
            let id = call.path("id")
            _ = try call.scheduler.setNodeState(id, to: .cordoned, by: call.me)
            return .redirect("/operations#node-\(PortalServer.percentEncoded(id))", flash: .init(ok: true, text: call.language("cordoned", id)))
        },
        .post("/operations/nodes/:id/uncordon", fields: []) { call in
            let id = call.path("id")
            _ = try call.scheduler.setNodeState(id, to: .ready, by: call.me)
            return .redirect("/operations#node-\(PortalServer.percentEncoded(id))", flash: .init(ok: true, text: call.language("uncordoned", id)))
        },
        .get("/operations/consolidation", query: ["freeNodes", "class"]) { call in
            let format = PortalFormat(language: call.language)
            let estimates = try call.scheduler.consolidation(by: call.me).map {
                EstimateRow(
                    nodeClass: format.nodeClass($0.nodeClass), partition: format.partition($0.partition), nodes: $0.nodes, inUse: $0.nodesInUse, needed: $0.nodesNeeded, lowerBound: $0.lowerBound,
                    couldFree: max(0, $0.nodesInUse - $0.nodesNeeded))
            }
            let nodeClass = try nodeClassQuery(call)
            var plan: PlanView?
            if call.query["freeNodes"] != nil, call.me.may(.manageNodes) {
                let count = try call.number("freeNodes", in: 1...10_000, fromQuery: true)
                let found: DefragmentationPlan
                do { found = try call.scheduler.defragmentationPlan(.free(nodes: Int(count), nodeClass: nodeClass, partition: nil), by: call.me) } catch let error as ServiceError where error.code == .conflict || error.code == .unprocessable {
                    // No plan reaches the goal: said on the page, with the form to try another.
                    plan = PlanView(summary: call.language("noPlan", error.message), moves: [], canApply: false, freeNodes: String(count), nodeClass: nodeClass?.rawValue ?? "")
                    return .page(
                        "consolidation", title: call.language("nav.consolidation"),
                        ConsolidationView(estimates: estimates, canPlan: true, freeNodes: String(count), classChoices: classChoices(call, selected: nodeClass), plan: plan))
                }
                plan = PlanView(
                    summary: call.language("planSummary", String(found.moves.count), found.freedNodes.isEmpty ? "—" : found.freedNodes.joined(separator: ", ")),
                    moves: found.moves.map { "\($0.requestID): \($0.from.joined(separator: ", ")) → \($0.to.joined(separator: ", "))" }, canApply: !found.moves.isEmpty || !found.freedNodes.isEmpty,
                    freeNodes: String(count), nodeClass: nodeClass?.rawValue ?? "")
            }
            return .page(
                "consolidation", title: call.language("nav.consolidation"),
                ConsolidationView(
                    estimates: estimates, canPlan: call.me.may(.manageNodes), freeNodes: call.query["freeNodes"] ?? "1", classChoices: classChoices(call, selected: nodeClass),
                    plan: plan))
        },
        .post("/operations/consolidation/apply", fields: ["freeNodes", "class"]) { call in
            let count = try call.number("freeNodes", in: 1...10_000)
            let nodeClass = try nodeClass(named: call.optional("class"))
            let plan = try call.scheduler.applyDefragmentation(.free(nodes: Int(count), nodeClass: nodeClass, partition: nil), by: call.me)
            let cordoned = plan.freedNodes.isEmpty ? "—" : plan.freedNodes.joined(separator: ", ")
            return .redirect("/operations/consolidation", flash: .init(ok: true, text: call.language("planAppliedNodes", String(plan.moves.count), cordoned)))
        },
        .get("/operations/audit", query: ["actor", "action", "target", "before"]) { call in
            let format = PortalFormat(language: call.language)
            let before = try call.query["before"].map { _ throws(ServiceError) in try call.number("before", in: 1...Int64.max, fromQuery: true) }
            let query = AuditQuery(
                actor: call.queryValue("actor"), targetPrefix: call.queryValue("target"), action: call.queryValue("action"), beforeSequence: before, newestFirst: true,
                limit: 100)
            let entries = try call.scheduler.audit(query, by: call.me)
            var next: String?
            if entries.count == query.limit, let last = entries.last?.sequence {
                var parts = ["before=\(last)"]
                for name in ["actor", "action", "target"] { if let value = call.queryValue(name) { parts.append("\(name)=\(PortalServer.percentEncoded(value))") } }
                next = "/operations/audit?" + parts.joined(separator: "&")
            }
            return .page(
                "audit", title: call.language("nav.audit"),
                AuditView(
                    actor: call.queryValue("actor") ?? "", action: call.queryValue("action") ?? "", target: call.queryValue("target") ?? "",
                    entries: entries.map { AuditRow(at: format.preciseTime($0.at), actor: $0.actor, action: $0.action, target: $0.target, detail: $0.detail) }, next: next))
        },
    ]

    private static func nodeClassQuery(_ call: PortalCall) throws(ServiceError) -> NodeClass? {
        try nodeClass(named: call.queryValue("class"))
    }

    /// The node class a form or query names in `class` (none: any).
    private static func nodeClass(named name: String?) throws(ServiceError) -> NodeClass? {
        guard let name else { return nil }
        guard let value = NodeClass(rawValue: name) else { throw ServiceError.invalid("class", "no node class is named '\(SchemaRegistry.shortened(name))'") }
        return value
    }

    private static func classChoices(_ call: PortalCall, selected: NodeClass?) -> [CatalogPages.Choice] {
        [CatalogPages.Choice(value: "", label: call.language("all"), selected: selected == nil)]
            + NodeClass.allCases.map { CatalogPages.Choice(value: $0.rawValue, label: PortalFormat(language: call.language).nodeClass($0), selected: selected == $0) }
    }

    private static func overview(_ call: PortalCall) throws -> OverviewView {
        let scheduler = call.scheduler, me = call.me, language = call.language
        let format = PortalFormat(language: language)
        let nodeClass = try nodeClassQuery(call)
        let site = call.queryValue("site")
        let all = try scheduler.nodes(by: me)
        let alerts = try scheduler.alerts(by: me)
        let metrics = scheduler.metrics()
        let history = try scheduler.utilizationHistory(by: me)
        let states = NodeState.allCases
        func count(_ state: NodeState) -> Int { all.filter { $0.state == state }.count }
        let tiles = [
            Tile(kind: "", figure: "\(all.count)", label: language("tiles.nodes")),
            Tile(kind: "", figure: "\(count(.ready))", label: language("tiles.ready")),
            Tile(kind: count(.suspect) + count(.lost) > 0 ? "bad" : "", figure: "\(count(.suspect) + count(.lost))", label: language("tiles.unhealthy")),
            Tile(kind: count(.cordoned) + count(.draining) > 0 ? "warn" : "", figure: "\(count(.cordoned) + count(.draining))", label: language("tiles.cordoned")),
            Tile(kind: "", figure: "\(metrics.pending)", label: language("tiles.queued")),
            Tile(kind: alerts.isEmpty ? "" : "bad", figure: "\(alerts.count)", label: language("tiles.alerts")),
        ]
        // Nodes by class, then by site, each with a count per state.
        func rows(_ key: (NodeStatus) -> String) -> [HealthRow] {
            Dictionary(grouping: all, by: key).sorted { $0.key < $1.key }.map { group, nodes in
                HealthRow(group: group, counts: states.map { state in String(nodes.filter { $0.state == state }.count) })
            }
        }
        let healthRows = rows { format.nodeClass($0.record.node.nodeClass) } + rows { "\(language("site")) \($0.record.node.site)" }
        let utilization = try scheduler.utilization(by: \.nodeClass.rawValue, by: me).map {
            UtilizationRow(
                group: NodeClass(rawValue: $0.group).map(format.nodeClass) ?? $0.group, nodes: $0.nodes, cpu: format.percent(share($0.allocated.cpuMillis, $0.capacity.cpuMillis)),
                memory: format.percent(share($0.allocated.memoryMiB, $0.capacity.memoryMiB)),
                gpu: $0.gpuMilli > 0 ? format.percent(share($0.allocatedGPUMilli, $0.gpuMilli)) : "—")
        }
        let shown = all.filter { (nodeClass == nil || $0.record.node.nodeClass == nodeClass) && (site == nil || $0.record.node.site == site) }
        let canManage = me.may(.manageNodes)
        let nodes = shown.prefix(nodesListed).map { status in
            let node = status.record.node
            return NodeRow(
                id: node.id, nodeClass: format.nodeClass(node.nodeClass), site: node.site, state: format.word("state", status.state.rawValue),
                stateClass: PortalFormat.stateClass(status.state.rawValue), allocated: format.resources(node.capacity - status.free), requests: status.requests,
                canManage: canManage, cordon: status.state == .ready, uncordon: status.state == .cordoned)
        }
        let sites = Set(all.map(\.record.node.site)).sorted()
        return OverviewView(
            tiles: tiles, stateNames: states.map { format.word("state", $0.rawValue) }, healthRows: healthRows,
            alerts: alerts.map { AlertRow(kind: format.word("alert", $0.kind), code: $0.kind, target: $0.target, message: $0.message) }, utilization: utilization,
            utilizationTitle: utilizationTitle(history, call), charts: utilizationCharts(history, call), classChoices: classChoices(call, selected: nodeClass),
            siteChoices: [CatalogPages.Choice(value: "", label: language("all"), selected: site == nil)] + sites.map { CatalogPages.Choice(value: $0, label: $0, selected: site == $0) },
            nodes: nodes, moreNodes: shown.count > nodesListed ? language("moreNodes", String(shown.count - nodesListed)) : nil)
    }

    private static func share(_ part: Int64, _ whole: Int64) -> Double { whole > 0 ? Double(part) / Double(whole) : 0 }

    /// How far back the history reaches (a day at most; since the scheduler started).
    private static func utilizationTitle(_ history: UtilizationHistory, _ call: PortalCall) -> String {
        let span = call.scheduler.now() - (history.samples.first?.at ?? call.scheduler.now())
        return call.language("utilizationSince", PortalFormat(language: call.language).duration(max(60, span)))
    }

    /// One chart per node class: the shares of CPU, memory and GPUs allocated, since the history
    /// begins (a day at most).
    private static func utilizationCharts(_ history: UtilizationHistory, _ call: PortalCall) -> [String] {
        let now = call.scheduler.now()
        let language = call.language
        let format = PortalFormat(language: language)
        let classes = Set(history.samples.flatMap { $0.classes.keys }).sorted()
        return classes.map { name in
            func line(_ label: String, _ value: (UtilizationHistory.Shares) -> Double?) -> SVGChart.Series {
                SVGChart.Series(name: label, points: history.samples.compactMap { sample in sample.classes[name].flatMap(value).map { (x: sample.at - now, y: $0) } })
            }
            let series = [line("CPU", \.cpu), line(language("memory"), \.memory), line("GPU", \.gpu)].filter { !$0.points.isEmpty }
            let span = max(600, now - (history.samples.first?.at ?? now))
            let title = language("chart.classUtilization", NodeClass(rawValue: name).map(format.nodeClass) ?? name)
            return SVGChart(
                title: title, yLabel: language("chart.allocated"), series: series, yMax: 1, xMin: -span, xMax: 0,
                xTitle: { unit in language(unit == .minute ? "chart.minutesAgo" : unit == .hour ? "chart.hoursAgo" : "chart.daysAgo") },
                xTickLabel: { SVGChart.label(abs($0)) }, yTickLabel: { format.percent($0) }, emptyText: language("chart.noData"), width: 640, height: 240
            ).svg
        }
    }
}
