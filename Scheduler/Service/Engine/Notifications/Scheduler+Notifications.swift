extension Scheduler {
    // MARK: Inbox

    /// The caller's own notifications, newest first.
    public func notifications(unreadOnly: Bool, before: Int64?, limit: Int, by caller: Principal) throws(ServiceError) -> [InboxNotification] {
        try caller.require(.readNotifications, tenant: caller.tenant)
        return try store.notifications(NotificationQuery(user: caller.user, unreadOnly: unreadOnly, before: before, limit: limit))
    }

    /// How many of the caller's notifications are unread, in all.
    public func unreadNotifications(by caller: Principal) throws(ServiceError) -> Int {
        try caller.require(.readNotifications, tenant: caller.tenant)
        return try store.unreadNotifications(user: caller.user)
    }

    /// Marks the caller's notifications read: those listed, and with `upTo` every one up to it.
    public func markNotificationsRead(ids: [Int64], upTo: Int64?, by caller: Principal) throws(ServiceError) {
        try caller.require(.readNotifications, tenant: caller.tenant)
        guard !ids.isEmpty || upTo != nil else { throw ServiceError.unprocessable("ids", "name the notifications read (ids), or every one up to an id (upTo)") }
        try change { (_: borrowing EngineState) throws(ServiceError) in
            var batch = StoreBatch()
            batch.notificationsRead = [NotificationsRead(user: caller.user, ids: ids, upTo: upTo)]
            return (batch, { _ in })
        }
    }

    // MARK: Webhooks

    /// Adds a webhook to a tenant; the answer holds its signing secret, shown this once.
    public func createWebhook(tenant: String, url: String, by caller: Principal) throws(ServiceError) -> Webhook {
        try caller.require(.manageWebhooks, tenant: tenant)
        try Webhook.checkURL(url, allowPrivate: config.webhookPrivateAddresses)
        let now = now()
        let webhook = Webhook(
            id: Token.generate(prefix: "wh").prefix(15).description, tenant: tenant, url: url, secret: Token.generate(prefix: "whsec"), createdAt: now,
            createdBy: caller.user)
        return try change { (s: borrowing EngineState) throws(ServiceError) in
            guard s.directory.tenants[tenant] != nil else { throw ServiceError.notFound("tenant \(tenant)") }
            if let same = s.directory.webhooks.values.first(where: { $0.tenant == tenant && $0.url == url }) {
                throw ServiceError.conflict("webhook \(same.id) of tenant \(tenant) goes to \(url) already", field: "url")
            }
            guard s.directory.webhooks.values.filter({ $0.tenant == tenant }).count < Self.maxWebhooksPerTenant else {
                throw ServiceError.conflict("tenant \(tenant) has \(Self.maxWebhooksPerTenant) webhooks, the most it may have")
            }
            var batch = StoreBatch()
            batch.webhooks = [webhook]
            batch.audit = [AuditEntry(at: now, actor: caller.user, action: "webhook.create", target: "webhook/\(webhook.id)", detail: "\(tenant): \(url)")]
            return (batch, { s in
                s.directory.webhooks[webhook.id] = webhook
                return webhook
            })
        }
    }

    static let maxWebhooksPerTenant = 16

    /// A tenant's webhooks (their secrets are not shown again).
    public func webhooks(tenant: String, by caller: Principal) throws(ServiceError) -> [Webhook] {
        try caller.require(.manageWebhooks, tenant: tenant)
        try requireTenant(tenant)
        return state.withLock { s in s.directory.webhooks.values.filter { $0.tenant == tenant }.sorted { $0.id < $1.id } }
    }

    /// Removes a webhook; its deliveries not yet made are dropped.
    public func removeWebhook(tenant: String, id: String, by caller: Principal) throws(ServiceError) {
        try caller.require(.manageWebhooks, tenant: tenant)
        let now = now()
        try change { (s: borrowing EngineState) throws(ServiceError) in
            guard s.directory.webhooks[id]?.tenant == tenant else { throw ServiceError.notFound("webhook \(id) of tenant \(tenant)") }
            var batch = StoreBatch()
            batch.removedWebhooks = [id]
            batch.audit = [AuditEntry(at: now, actor: caller.user, action: "webhook.remove", target: "webhook/\(id)")]
            return (batch, { s in s.directory.webhooks[id] = nil })
        }
    }

    /// A webhook's deliveries, newest first, with every attempt's outcome.
    public func deliveries(tenant: String, webhook id: String, limit: Int, by caller: Principal) throws(ServiceError) -> [WebhookDelivery] {
        try caller.require(.manageWebhooks, tenant: tenant)
        guard state.withLock({ $0.directory.webhooks[id]?.tenant == tenant }) else { throw ServiceError.notFound("webhook \(id) of tenant \(tenant)") }
        return try store.deliveries(webhook: id, limit: limit)
    }

    /// Whether webhooks may go to the platform's own network (`SchedulerConfig.webhookPrivateAddresses`).
    public var webhookPrivateAddresses: Bool { config.webhookPrivateAddresses }

    /// Deliveries due now with their webhooks, for the sender.
    public func dueDeliveries(limit: Int) throws(ServiceError) -> [(WebhookDelivery, Webhook)] {
        let due = try store.dueDeliveries(at: now(), limit: limit)
        return state.withLock { s in due.compactMap { delivery in s.directory.webhooks[delivery.webhook].map { (delivery, $0) } } }
    }

    /// Records how an attempt went: delivered, to be tried again after the back-off, or given up.
    public func recordDeliveryAttempt(_ attempt: DeliveryAttempt) throws(ServiceError) {
        try change { (_: borrowing EngineState) throws(ServiceError) in
            var batch = StoreBatch()
            batch.deliveryAttempts = [attempt]
            if !attempt.succeeded, attempt.nextAttemptAt == nil {
                batch.audit = [AuditEntry(
                    at: attempt.at, actor: "scheduler", action: "webhook.give-up", target: "delivery/\(attempt.delivery)",
                    detail: "after \(attempt.attempts) attempts: \(attempt.error ?? attempt.status.map { "HTTP \($0)" } ?? "")")]
            }
            return (batch, { _ in })
        }
    }
}
