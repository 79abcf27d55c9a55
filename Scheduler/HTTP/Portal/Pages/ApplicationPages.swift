import Foundation
import Placement
import SchedulerService

/// An application with its approval progress, an approver's queue with what each decision
/// weighs (the department's quota and budget, the entries' security levels), deciding and
/// withdrawing.
enum ApplicationPages {
    struct StepView {
        var who: String
        var state: String
        var stateClass: String
        var decidedBy: String?
        var at: String
        var comment: String?
        var deadline: String?
    }

    struct Line {
        var text: String
    }

    struct DecisionView {
        var levels: String
        var quotas: [Line]
        var budget: String
    }

    struct ProvisionedRequest {
        var name: String
        var href: String
        var state: String
        var stateClass: String
        var placement: String
    }

    struct ApplicationView {
        var id: String
        var href: String
        var state: String
        var stateClass: String
        var tenant: String
        var applicant: String
        var purpose: String
        var industry: String
        var scenario: String
        var duration: String
        var items: [Line]
        var outcome: String?
        var canWithdraw: Bool
        var steps: [StepView]
        var decision: DecisionView?
        var hasRequests: Bool
        var requests: [ProvisionedRequest]
    }

    struct QueueRow {
        var id: String
        var href: String
        var purpose: String
        var tenant: String
        var applicant: String
        var items: String
        var levels: String
        var quota: String
        var budget: String
        var deadline: String
    }

    struct QueueView {
        var countText: String
        var hasQueue: Bool
        var queue: [QueueRow]
    }

    static let routes: [PortalRoute] = [
        .get("/applications/:id") { call in
            let status = try call.scheduler.application(call.path("id"), by: call.me)
            return .page("application", title: call.language("application") + " " + status.application.id, try view(status, call))
        },
        .post("/applications/:id/decision", fields: ["decision", "comment"], textAreas: ["comment"]) { call in
            let decision = try call.required("decision")
            guard decision == "approve" || decision == "reject" else { throw ServiceError.invalid("decision", "must be approve or reject, got '\(SchemaRegistry.shortened(decision))'") }
            let id = call.path("id")
            _ = try call.scheduler.decideApplication(id, approve: decision == "approve", comment: call.optional("comment"), by: call.me)
            return .redirect(href(id), flash: .init(ok: true, text: call.language("decided")))
        },
        .post("/applications/:id/withdraw", fields: []) { call in
            let id = call.path("id")
            _ = try call.scheduler.withdrawApplication(id, reason: nil, by: call.me)
            return .redirect(href(id), flash: .init(ok: true, text: call.language("withdrawn")))
        },
        .get("/approvals") { call in
            let format = PortalFormat(language: call.language)
            let awaiting = try call.scheduler.applications(ApplicationQuery(limit: 500), awaitingMe: true, by: call.me)
            let names = call.scheduler.tenantNames()
            let rows = try awaiting.map { application in
                let context = try call.scheduler.decisionContext(application.id, by: call.me)
                return QueueRow(
                    id: application.id, href: href(application.id), purpose: application.purpose, tenant: names[application.tenant] ?? application.tenant,
                    applicant: application.applicant,
                    items: itemLines(application, call).map(\.text).joined(separator: "; "), levels: levels(application, call),
                    quota: context.quotas.isEmpty ? call.language("noQuota") : quotaLines(context, format).map(\.text).joined(separator: "; "),
                    budget: budgetText(context.budget, call),
                    deadline: format.time(application.currentDeadline))
            }
            return .page(
                "approvals", title: call.language("nav.approvals"),
                QueueView(countText: call.language("awaitingCount", String(rows.count)), hasQueue: !rows.isEmpty, queue: rows))
        },
    ]

    static func href(_ id: String) -> String { "/applications/" + PortalServer.percentEncoded(id) }

    private static func view(_ status: ApplicationStatus, _ call: PortalCall) throws -> ApplicationView {
        let application = status.application
        let format = PortalFormat(language: call.language)
        let current = application.lifecycle.currentStep
        let names = call.scheduler.tenantNames()
        let steps = application.lifecycle.steps.enumerated().map { index, step in
            // Undecided steps of an application that ended stay undecided, not "not yet".
            let state = step.outcome?.rawValue ?? (index == current ? "pending" : application.state.isFinal ? "undecided" : "waiting")
            return StepView(
                who: format.word("decider", step.decider.rawValue) + (step.department.map { "（\(names[$0] ?? $0)）" } ?? ""), state: format.word("step", state),
                stateClass: PortalFormat.stateClass(state == "rejected" ? "rejected" : state), decidedBy: step.decidedBy, at: format.time(step.decidedAt),
                comment: step.comment, deadline: index == current ? step.deadline.map(format.time) : nil)
        }
        // The decision form, for whoever decides the step now (not the applicant).
        var decision: DecisionView?
        if call.scheduler.decidesNow(application, by: call.me) {
            let context = try call.scheduler.decisionContext(application.id, by: call.me)
            decision = DecisionView(levels: levels(application, call), quotas: quotaLines(context, format), budget: budgetText(context.budget, call))
        }
        let requests = status.requests.map {
            ProvisionedRequest(
                name: $0.name, href: WorkbenchPages.href(ofRequest: $0.id), state: format.word("phase", $0.phase.name), stateClass: PortalFormat.stateClass($0.phase.name),
                placement: format.placement($0))
        }
        let outcome = [application.lifecycle.reason, application.provisioning?.error].compactMap { $0 }.joined(separator: " · ")
        return ApplicationView(
            id: application.id, href: href(application.id), state: format.word("appState", application.state.rawValue),
            stateClass: PortalFormat.stateClass(application.state.rawValue), tenant: names[application.tenant] ?? application.tenant, applicant: application.applicant, purpose: application.purpose,
            industry: application.industry ?? "—", scenario: application.scenario ?? "—", duration: format.duration(Double(application.durationSeconds)),
            items: itemLines(application, call), outcome: outcome.isEmpty ? nil : outcome,
            canWithdraw: application.applicant == call.me.user && !application.state.isFinal, steps: steps, decision: decision, hasRequests: !requests.isEmpty,
            requests: requests)
    }

    /// Each item in words: the entry's name and code, or the written-out request, and how many.
    private static func itemLines(_ application: Application, _ call: PortalCall) -> [Line] {
        application.items.map { item in
            let what: String
            if let code = item.entry {
                what = (try? call.scheduler.catalogEntry(code: code, by: call.me)).map { "\($0.name) (\(code))" } ?? code
            } else {
                what = item.request?.kind?.rawValue ?? "request"
            }
            return Line(text: what + ((item.quantity ?? 1) > 1 ? " ×\(item.quantity ?? 1)" : ""))
        }
    }

    /// The security levels of the entries applied for.
    private static func levels(_ application: Application, _ call: PortalCall) -> String {
        let levels = Set(application.items.compactMap { $0.entry }.compactMap { try? call.scheduler.catalogEntry(code: $0, by: call.me).securityLevel })
        return levels.isEmpty ? "—" : levels.sorted().map(String.init).joined(separator: ", ")
    }

    /// Each priority class's quota: what is used of each limit set.
    private static func quotaLines(_ context: DecisionContext, _ format: PortalFormat) -> [Line] {
        context.quotas.map { record, used in
            Line(text: format.priority(record.priority) + format.language("colon") + format.quota(used: used, limit: record.quota))
        }
    }

    private static func budgetText(_ budget: BudgetStatus, _ call: PortalCall) -> String {
        let format = PortalFormat(language: call.language)
        let currency = call.scheduler.currentPrices().currency
        guard let limit = budget.budget else { return call.language("noBudget") + " · " + format.money(budget.due, currency: currency) }
        return format.money(budget.due, currency: currency) + " / " + format.money(limit, currency: currency) + (budget.share.map { " (\(format.percent($0)))" } ?? "")
    }
}
