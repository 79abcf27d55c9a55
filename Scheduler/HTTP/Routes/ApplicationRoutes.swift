import Hummingbird
import Placement
import SchedulerService

/// Applications for resources, their review and the approval policies that set its steps.
enum ApplicationRoutes {
    struct ApplicationBody: Decodable {
        var tenant: String?
        var purpose: String
        var industry: String?
        var scenario: String?
        var durationSeconds: Int64
        var items: [ApplicationItem]
        var draft: Bool?
    }
    struct DecisionBody: Decodable {
        enum Choice: String, Decodable { case approve, reject }
        var decision: Choice
        var comment: String?
    }
    struct WithdrawalBody: Decodable {
        var reason: String?
    }
    struct PolicyBody: Decodable {
        var steps: [StepRule]
        var autoApprove: AutoApproval?
    }

    static let idParameter = Operation.Parameter("id", .string(maxLength: 64, minLength: 1, pattern: "^a_[0-9a-f]{1,62}$"), "The application's id.")
    static let scopeParameters: [Operation.Parameter] = [
        .init("scope", .choice(["entry", "partition", "level"]), "What the policy applies to: one catalog entry, a partition, or a security level."),
        .init("value", .string(maxLength: 200, minLength: 1, pattern: "^[A-Za-z0-9][A-Za-z0-9._-]*$"), "The entry's code, the partition's name or the level (1-4)."),
    ]

    static var endpoints: [Endpoint] {
        [
            Endpoint(Operation(
                .post, "/v1/applications", id: "apply", summary: "Apply for catalog entries or written-out requests, with purpose and duration",
                tag: "applications", permission: .applyForResources, body: "ApplicationCreation",
                success: [
                    .json(201, "Application", "Written; submitted unless a draft, approved at once when its policies ask no step."),
                    .json(200, "Application", "A retry with the same Idempotency-Key: the first application."),
                ],
                errors: [403, 409, 422])) { call in
                let body = try call.body(ApplicationBody.self)
                let input = ApplicationInput(
                    tenant: body.tenant, purpose: body.purpose, industry: body.industry, scenario: body.scenario, durationSeconds: body.durationSeconds,
                    items: body.items, draft: body.draft ?? false)
                let result = try call.scheduler.apply(input, idempotencyKey: call.idempotencyKey, by: call.caller)
                return try JSON.response(ApplicationView(result), status: result.replayed ? .ok : .created)
            },
            Endpoint(Operation(
                .get, "/v1/applications", id: "listApplications", summary: "Applications, newest first; with awaiting=me an approver's queue",
                tag: "applications", permission: .readApplications,
                query: [
                    .init("tenant", Components.identifier, "Only this tenant's (a tenant user may name only its own)."),
                    .init("state", Components.choice(ApplicationState.self), "Only applications in this state."),
                    .init("applicant", Components.identifier, "Only this user's."),
                    .init("awaiting", .choice(["me"]), "Only those whose current step the caller decides, the nearest deadline first."),
                    .init("limit", .integer(1...1000), "Page size, default 100."),
                ],
                success: [.json(200, "ApplicationList", "Applications.")], errors: [422])) { call in
                let query = ApplicationQuery(
                    tenant: call.query("tenant"), state: call.query("state", as: ApplicationState.self), applicant: call.query("applicant"),
                    limit: call.query("limit", as: Int.self) ?? 100)
                let found = try call.scheduler.applications(query, awaitingMe: call.query("awaiting") == "me", by: call.caller)
                return try JSON.response(["applications": found.map(ApplicationView.init)])
            },
            Endpoint(Operation(
                .get, "/v1/applications/{id}", id: "getApplication", summary: "An application: its steps and the requests it provisioned",
                tag: "applications", permission: .readApplications, pathParameters: [idParameter],
                success: [.json(200, "Application", "The application as it stands.")])) { call in
                try JSON.response(ApplicationView(try call.scheduler.application(call.path("id"), by: call.caller)))
            },
            Endpoint(Operation(
                .post, "/v1/applications/{id}/submit", id: "submitApplication", summary: "Submit a draft for review", tag: "applications",
                permission: .applyForResources, pathParameters: [idParameter], success: [.json(200, "Application", "Submitted.")], errors: [409, 422])) { call in
                try JSON.response(ApplicationView(try call.scheduler.submitApplication(call.path("id"), by: call.caller)))
            },
            Endpoint(Operation(
                .post, "/v1/applications/{id}/decision", id: "decideApplication",
                summary: "Approve or reject the step under review (the last approval grants and provisions)", tag: "applications",
                permission: .decideApplications, pathParameters: [idParameter], body: "Decision",
                success: [.json(200, "Application", "Decided.")], errors: [409, 422])) { call in
                let body = try call.body(DecisionBody.self)
                return try JSON.response(ApplicationView(
                    try call.scheduler.decideApplication(call.path("id"), approve: body.decision == .approve, comment: body.comment, by: call.caller)))
            },
            Endpoint(Operation(
                .post, "/v1/applications/{id}/withdraw", id: "withdrawApplication", summary: "Withdraw an application not yet decided",
                tag: "applications", permission: .applyForResources, pathParameters: [idParameter], body: "Withdrawal",
                success: [.json(200, "Application", "Withdrawn.")], errors: [409])) { call in
                let body = try call.body(WithdrawalBody.self)
                return try JSON.response(ApplicationView(try call.scheduler.withdrawApplication(call.path("id"), reason: body.reason, by: call.caller)))
            },
            Endpoint(Operation(
                .put, "/v1/approval-policies/{scope}/{value}", id: "setApprovalPolicy",
                summary: "Set the steps and automatic approval of applications for an entry, a partition or a security level", tag: "applications",
                permission: .manageApprovalPolicies, pathParameters: scopeParameters, body: "ApprovalPolicySpec",
                success: [.json(200, "ApprovalPolicy", "Set.")], errors: [422])) { call in
                let body = try call.body(PolicyBody.self)
                let scope = try PolicyScope.parse(kind: call.path("scope"), value: call.path("value"))
                let policy = ApprovalPolicy(scope: scope, steps: body.steps, autoApprove: body.autoApprove, updatedAt: 0, updatedBy: "")
                return try JSON.response(ApprovalPolicyView(try call.scheduler.setApprovalPolicy(policy, by: call.caller)))
            },
            Endpoint(Operation(
                .get, "/v1/approval-policies", id: "listApprovalPolicies", summary: "Approval policies by scope", tag: "applications",
                permission: .readCatalog, success: [.json(200, "ApprovalPolicyList", "Policies.")])) { call in
                try JSON.response(["policies": try call.scheduler.approvalPolicies(by: call.caller).map(ApprovalPolicyView.init)])
            },
            Endpoint(Operation(
                .delete, "/v1/approval-policies/{scope}/{value}", id: "removeApprovalPolicy",
                summary: "Remove a policy: its scope falls back to a wider one, or to what entries' sharing implies", tag: "applications",
                permission: .manageApprovalPolicies, pathParameters: scopeParameters,
                success: [Operation.Answer(status: 204, description: "Removed.", content: .none)], errors: [422])) { call in
                try call.scheduler.removeApprovalPolicy(try PolicyScope.parse(kind: call.path("scope"), value: call.path("value")), by: call.caller)
                return Response(status: .noContent)
            },
        ]
    }
}
