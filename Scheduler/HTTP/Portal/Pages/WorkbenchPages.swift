import Foundation
import Placement
import SVGCharts
import SchedulerService

/// A department user's workbench: its applications and their progress, its resources with their
/// usage, idle notices, release and extension, its notifications, its bill and budget, and the
/// entries it used, to rate.
enum WorkbenchPages {
    struct ApplicationRow {
        var id: String
        var href: String
        var purpose: String
        var state: String
        var stateClass: String
        var progress: String
        var at: String
    }

    struct ResourceRow {
        var name: String
        var href: String
        var entry: String?
        var state: String
        var stateClass: String
        var why: String?
        var idle: String?
        var placement: String
        var leaseEnds: String
        var usage: String
        /// Still held or waiting: it may be released or extended.
        var open: Bool
    }

    struct NotificationRow {
        var subject: String
        /// The page of what it is about (a request, an application, an entry), if the portal has one.
        var href: String?
        var message: String
        var at: String
        var unread: Bool
    }

    struct UsedEntry {
        var href: String
        var name: String
        var rating: String
    }

    struct WorkbenchView {
        var openApplications: Int
        var runningResources: Int
        var unread: Int
        var hasUnread: Bool
        var hasApplications: Bool
        var applications: [ApplicationRow]
        var hasResources: Bool
        var resources: [ResourceRow]
        var notifications: [NotificationRow]
        var month: String
        var dueText: String
        var budgetText: String
        var forecastText: String
        var budgetShare: String?
        var budgetPercent: String
        /// What the budget's figures mean, when they call for attention.
        var budgetWarning: String?
        /// That more resources exist than are listed.
        var moreResources: String?
        var chart: String
        var usedEntries: [UsedEntry]
    }

    struct NotificationsView {
        var hasUnread: Bool
        var notifications: [NotificationRow]
        var next: String?
    }

    struct RequestsView {
        var phases: [CatalogPages.Choice]
        var hasResources: Bool
        var resources: [ResourceRow]
        var next: String?
    }

    /// Resources per page of the full list.
    static let pageSize = 50
    /// The phases the full list filters by.
    static let listedPhases = ["queued", "placed", "running", "releasing", "released", "expired", "failed", "preempted", "revoked", "reclaimed", "rejected"]

    struct RequestView {
        struct Step {
            var at: String
            var text: String
        }
        var id: String
        var state: String
        var stateClass: String
        var why: String?
        var placement: String
        var resources: String
        var leaseEnds: String
        var usage: String
        var application: String?
        var applicationHref: String?
        var history: [Step]
    }

    static let routes: [PortalRoute] = [
        .get("/workbench") { call in
            guard let tenant = call.me.tenant else { return .redirect(SignInPages.home(of: call.me)) }
            return .page("workbench", title: call.language("nav.workbench"), try workbench(call, tenant: tenant))
        },
        // Every resource the caller may see (a department its own), newest first, a page at a time.
        .get("/requests", query: ["phase", "cursor"]) { call in
            let format = PortalFormat(language: call.language)
            let phase = call.queryValue("phase")
            if let phase, !listedPhases.contains(phase) { throw ServiceError.invalid("phase", "no phase is named '\(SchemaRegistry.shortened(phase))'") }
            let cursor = try call.queryValue("cursor").map { (text) throws(ServiceError) in try RequestCursor(text: text) }
            let page = try call.scheduler.requests(RequestQuery(phase: phase, after: cursor, limit: pageSize), by: call.me)
            let idle = Dictionary(
                try call.scheduler.alerts(tenant: call.me.tenant, by: call.me).filter { $0.kind == "idle_allocation" }.map { ($0.target, $0.message) },
                uniquingKeysWith: { a, _ in a })
            let rows = try page.map { try resourceRow($0, idle: idle, call: call) }
            var next: String?
            if page.count == pageSize, let last = page.last {
                next = "/requests?" + (phase.map { "phase=\(PortalServer.percentEncoded($0))&" } ?? "") + "cursor=" + PortalServer.percentEncoded(RequestCursor(after: last.record).text)
            }
            let phases = [CatalogPages.Choice(value: "", label: call.language("all"), selected: phase == nil)]
                + listedPhases.map {
                    CatalogPages.Choice(value: $0, label: format.word("phase", $0), selected: phase == $0)
                }
            return .page("requests", title: call.language("nav.requests"), RequestsView(phases: phases, hasResources: !rows.isEmpty, resources: rows, next: next))
        },
        .get("/requests/:id") { call in
            let status = try call.scheduler.request(call.path("id"), by: call.me)
            let format = PortalFormat(language: call.language)
            let record = status.record
            let usage = try call.scheduler.usage(UsageQuery(requestID: record.id), by: call.me)
            let view = RequestView(
                id: record.id, state: format.word("phase", record.phase.name), stateClass: PortalFormat.stateClass(record.phase.name),
                why: record.phase.reason ?? status.waiting.map(format.waiting), placement: format.placement(record),
                resources: format.resources(record.spec.resources, gpuMilli: Int64(record.spec.gpuMilliPerReplica)) + (record.spec.replicas > 1 ? " ×\(record.spec.replicas)" : "")
                    + (record.spec.scaling.map { call.language("autoscaled", "\($0.minReplicas)", "\($0.maxReplicas)") } ?? ""),
                leaseEnds: record.phase.holdsAllocation ? format.time(record.leaseEndsAt) : "—", usage: format.usage(usage), application: record.application,
                applicationHref: record.application.map(ApplicationPages.href),
                history: status.history.map { .init(at: format.time($0.at), text: format.word("phase", $0.phase) + ($0.reason.map { ": \($0)" } ?? "") + " · \($0.actor)") })
            return .page("request", title: call.language("request") + " " + record.name, view)
        },
        .post("/requests/:id/release", fields: []) { call in
            _ = try call.scheduler.release(call.path("id"), by: call.me)
            return .redirect("/workbench#resources", flash: .init(ok: true, text: call.language("released")))
        },
        .post("/requests/:id/extend", fields: ["hours"]) { call in
            let hours = try call.number("hours", in: 1...Limits.maxLeaseSeconds / 3_600)
            let record = try call.scheduler.extendLease(call.path("id"), bySeconds: hours * 3_600, by: call.me)
            let format = PortalFormat(language: call.language)
            let said = record.leaseEndsAt.map { call.language("extended", format.time($0)) } ?? call.language("extendedNoEnd")
            return .redirect("/workbench#resources", flash: .init(ok: true, text: said))
        },
        // The caller's notifications, newest first, a page at a time.
        .get("/notifications", query: ["before"]) { call in
            let format = PortalFormat(language: call.language)
            let before = try call.query["before"].map { _ throws(ServiceError) in try call.number("before", in: 1...Int64.max, fromQuery: true) }
            let page = try call.scheduler.notifications(unreadOnly: false, before: before, limit: pageSize, by: call.me)
            let next = page.count == pageSize ? page.last.map { "/notifications?before=\($0.id)" } : nil
            let view = NotificationsView(
                hasUnread: try call.scheduler.unreadNotifications(by: call.me) > 0, notifications: page.map { notificationRow($0, format: format) }, next: next)
            return .page("notifications", title: call.language("notifications"), view)
        },
        .post("/notifications/read", fields: []) { call in
            if let newest = try call.scheduler.notifications(unreadOnly: false, before: nil, limit: 1, by: call.me).first {
                try call.scheduler.markNotificationsRead(ids: [], upTo: newest.id, by: call.me)
            }
            let back = call.request.headers[.referer].flatMap(PortalServer.localPath).map { $0.hasPrefix("/notifications") ? "/notifications" : "/workbench#notifications" }
            return .redirect(back ?? "/workbench#notifications", flash: .init(ok: true, text: call.language("markedRead")))
        },
    ]

    static func href(ofRequest id: String) -> String { "/requests/" + PortalServer.percentEncoded(id) }

    private static func notificationRow(_ notification: InboxNotification, format: PortalFormat) -> NotificationRow {
        NotificationRow(
            subject: notification.subject, href: href(ofSubject: notification.subject), message: notification.message, at: format.time(notification.at),
            unread: !notification.read)
    }

    /// The page of a notice's subject (`request/ID`, `application/ID`, `catalog/CODE`).
    static func href(ofSubject subject: String) -> String? {
        let parts = subject.split(separator: "/", maxSplits: 1).map(String.init)
        guard parts.count == 2 else { return nil }
        switch parts[0] {
        case "request": return href(ofRequest: parts[1])
        case "application": return ApplicationPages.href(parts[1])
        case "catalog": return CatalogPages.href(parts[1])
        default: return nil
        }
    }

    private static func workbench(_ call: PortalCall, tenant: String) throws -> WorkbenchView {
        let scheduler = call.scheduler, me = call.me, language = call.language
        let format = PortalFormat(language: language)
        let applications = try scheduler.applications(ApplicationQuery(tenant: tenant, limit: 50), by: me)
        let requests = try scheduler.requests(RequestQuery(tenant: tenant, limit: 200), by: me)
        let idle = Dictionary(
            try scheduler.alerts(tenant: tenant, by: me).filter { $0.kind == "idle_allocation" }.map { ($0.target, $0.message) }, uniquingKeysWith: { a, _ in a })
        let notifications = try scheduler.notifications(unreadOnly: false, before: nil, limit: 20, by: me)
        let unread = try scheduler.unreadNotifications(by: me)
        let budget = try scheduler.budget(tenant: tenant, by: me)
        let currency = scheduler.currentPrices().currency
        let ratings = try scheduler.ratingSummaries()

        let applicationRows = applications.map { application in
            let steps = application.lifecycle.steps
            let done = steps.filter { $0.outcome == .approved }.count
            return ApplicationRow(
                id: application.id, href: ApplicationPages.href(application.id), purpose: application.purpose,
                state: format.word("appState", application.state.rawValue), stateClass: PortalFormat.stateClass(application.state.rawValue),
                progress: steps.isEmpty ? "—" : language("stepsDone", "\(done)/\(steps.count)"), at: format.time(application.submittedAt ?? application.createdAt))
        }
        // Held and waiting first, then the ended, newest first within each.
        let ordered = requests.filter { !$0.record.phase.isTerminal } + requests.filter { $0.record.phase.isTerminal }
        let resourceRows = try ordered.prefix(resourcesListed).map { try resourceRow($0, idle: idle, call: call) }
        var usedEntries: [UsedEntry] = []
        // Entries the department's requests named, which it may rate (one ran or holds it).
        for code in Set(requests.compactMap(\.record.catalogEntry)).sorted() where scheduler.mayRate(entry: code, by: me) {
            guard let entry = try? scheduler.catalogEntry(code: code, by: me) else { continue }
            usedEntries.append(UsedEntry(href: CatalogPages.href(code) + "#ratings-heading", name: entry.name, rating: format.rating(ratings[code])))
        }
        return WorkbenchView(
            openApplications: applications.filter(\.isOpen).count, runningResources: requests.filter { $0.record.phase.holdsAllocation }.count, unread: unread, hasUnread: unread > 0,
            hasApplications: !applicationRows.isEmpty, applications: applicationRows, hasResources: !resourceRows.isEmpty, resources: resourceRows,
            notifications: notifications.map { notificationRow($0, format: format) },
            month: budget.month, dueText: format.money(budget.due, currency: currency),
            budgetText: budget.budget.map { format.money($0, currency: currency) } ?? language("noBudget"),
            forecastText: format.money(budget.forecast, currency: currency), budgetShare: budget.share.map { String(min($0, 1)) },
            budgetPercent: budget.share.map(format.percent) ?? "", budgetWarning: budgetWarning(budget, format: format, currency: currency),
            moreResources: requests.count > resourcesListed ? language("onlyNewest", String(resourcesListed)) : nil,
            chart: try costChart(call, tenant: tenant, currency: currency), usedEntries: usedEntries)
    }

    /// One resource as its tables show it: state and why, placement, lease, usage, whether it may
    /// still be released or extended.
    private static func resourceRow(_ status: RequestStatus, idle: [String: String], call: PortalCall) throws -> ResourceRow {
        let record = status.record
        let format = PortalFormat(language: call.language)
        let usage = try call.scheduler.usage(UsageQuery(requestID: record.id), by: call.me)
        return ResourceRow(
            name: call.me.role == .tenant ? record.name : record.id, href: href(ofRequest: record.id), entry: record.catalogEntry,
            state: format.word("phase", record.phase.name), stateClass: PortalFormat.stateClass(record.phase.name), why: record.phase.reason ?? status.waiting.map(format.waiting),
            idle: idle["request/\(record.id)"], placement: format.placement(record), leaseEnds: record.phase.holdsAllocation ? format.time(record.leaseEndsAt) : "—",
            usage: format.usage(usage), open: !record.phase.isTerminal && record.phase != .releasing && call.me.may(.changeRequests, tenant: record.tenant))
    }

    /// The most resources the workbench lists, held and waiting first.
    static let resourcesListed = 50

    private static func budgetWarning(_ budget: BudgetStatus, format: PortalFormat, currency: String) -> String? {
        guard let limit = budget.budget else { return nil }
        let language = format.language
        if budget.due >= limit, budget.due > 0 { return language("budgetSpent", format.percent(budget.share ?? 1)) }
        if let share = budget.share, share >= 0.8 { return language("budgetNear", format.percent(share)) }
        if budget.forecast > limit { return language("budgetOnCourse", format.money(budget.forecast, currency: currency)) }
        return nil
    }

    /// What the tenant was charged each day of the last 30, as a line.
    private static func costChart(_ call: PortalCall, tenant: String, currency: String) throws -> String {
        let now = call.scheduler.now()
        let today = (now / 86_400).rounded(.down) * 86_400
        var points: [(x: Double, y: Double)] = []
        for day in (0..<30).reversed() {
            let from = today - Double(day) * 86_400
            let due = try call.scheduler.bills(from: from, to: min(now, from + 86_400), tenant: tenant, by: call.me).first?.due ?? 0
            points.append((x: -Double(day) * 86_400, y: due))
        }
        let language = call.language
        return SVGChart(
            title: language("chart.cost"), yLabel: currency, series: [SVGChart.Series(name: language("dailyCharges"), points: points)], xMin: -30 * 86_400, xMax: 0,
            xTitle: { _ in language("chart.daysAgo") }, xTickLabel: { SVGChart.label(abs($0)) }, emptyText: language("chart.noData"), width: 560, height: 220
        ).svg
    }
}
