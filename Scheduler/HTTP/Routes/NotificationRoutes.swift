import Hummingbird
import SchedulerService

/// Each user's inbox, and tenants' outgoing webhooks with their deliveries.
enum NotificationRoutes {
    struct ReadBody: Decodable {
        var ids: [Int64]?
        var upTo: Int64?
    }
    struct WebhookBody: Decodable {
        var url: String
    }

    static let webhookParameter = Operation.Parameter("id", .string(maxLength: 64, minLength: 1, pattern: "^wh_[0-9a-f]{1,60}$"), "The webhook's id.")

    static var endpoints: [Endpoint] {
        [
            Endpoint(Operation(
                .get, "/v1/notifications", id: "listNotifications", summary: "The caller's inbox, newest first", tag: "notifications",
                permission: .readNotifications,
                query: [
                    .init("unread", .boolean, "Only unread ones (true)."),
                    .init("before", .integer(1...Int64.max), "Only ones older than this id: the previous page's last."),
                    .init("limit", .integer(1...1000), "Page size, default 100."),
                ],
                success: [.json(200, "NotificationList", "Notifications.")])) { call in
                let found = try call.scheduler.notifications(
                    unreadOnly: call.query("unread") == "true", before: call.query("before", as: Int64.self), limit: call.query("limit", as: Int.self) ?? 100,
                    by: call.caller)
                return try JSON.response(NotificationList(notifications: found, unread: try call.scheduler.unreadNotifications(by: call.caller)))
            },
            Endpoint(Operation(
                .post, "/v1/notifications/read", id: "markNotificationsRead", summary: "Mark the caller's notifications read", tag: "notifications",
                permission: .readNotifications, body: "NotificationsRead",
                success: [Operation.Answer(status: 204, description: "Marked.", content: .none)], errors: [422])) { call in
                let body = try call.body(ReadBody.self)
                try call.scheduler.markNotificationsRead(ids: body.ids ?? [], upTo: body.upTo, by: call.caller)
                return Response(status: .noContent)
            },
            Endpoint(Operation(
                .post, "/v1/tenants/{tenant}/webhooks", id: "createWebhook",
                summary: "Send every notice about a tenant to a URL, signed, retried until answered 2xx; the answer holds the secret, shown once",
                tag: "notifications", permission: .manageWebhooks, pathParameters: [TenantRoutes.tenantParameter], body: "WebhookCreation",
                success: [.json(201, "Webhook", "Created, with its secret.")], errors: [409, 422])) { call in
                let body = try call.body(WebhookBody.self)
                return try JSON.response(WebhookView(try call.scheduler.createWebhook(tenant: call.path("tenant"), url: body.url, by: call.caller), showSecret: true), status: .created)
            },
            Endpoint(Operation(
                .get, "/v1/tenants/{tenant}/webhooks", id: "listWebhooks", summary: "A tenant's webhooks", tag: "notifications",
                permission: .manageWebhooks, pathParameters: [TenantRoutes.tenantParameter], success: [.json(200, "WebhookList", "Webhooks, without secrets.")],
                errors: [422])) { call in
                try JSON.response(["webhooks": try call.scheduler.webhooks(tenant: call.path("tenant"), by: call.caller).map { WebhookView($0) }])
            },
            Endpoint(Operation(
                .delete, "/v1/tenants/{tenant}/webhooks/{id}", id: "removeWebhook", summary: "Remove a webhook; deliveries not yet made are dropped",
                tag: "notifications", permission: .manageWebhooks, pathParameters: [TenantRoutes.tenantParameter, webhookParameter],
                success: [Operation.Answer(status: 204, description: "Removed.", content: .none)])) { call in
                try call.scheduler.removeWebhook(tenant: call.path("tenant"), id: call.path("id"), by: call.caller)
                return Response(status: .noContent)
            },
            Endpoint(Operation(
                .get, "/v1/tenants/{tenant}/webhooks/{id}/deliveries", id: "listWebhookDeliveries", summary: "A webhook's deliveries and their attempts, newest first",
                tag: "notifications", permission: .manageWebhooks, pathParameters: [TenantRoutes.tenantParameter, webhookParameter],
                query: [.init("limit", .integer(1...1000), "Page size, default 100.")],
                success: [.json(200, "WebhookDeliveryList", "Deliveries.")])) { call in
                let found = try call.scheduler.deliveries(tenant: call.path("tenant"), webhook: call.path("id"), limit: call.query("limit", as: Int.self) ?? 100, by: call.caller)
                return try JSON.response(["deliveries": found.map(DeliveryView.init)])
            },
        ]
    }

    struct NotificationList: Encodable {
        var notifications: [InboxNotification]
        var unread: Int
    }
}
