import Crypto
import Foundation

/// Something that happened that people should hear of: an application's step, a request's end, an
/// alert about a tenant's own resources. The store turns each into a notification in every
/// recipient's inbox and a delivery to every webhook of its tenant, in the same transaction as
/// the change it tells of.
public struct Notice: Sendable, Hashable, Codable {
    /// Stable, dotted: `application.submitted`, `application.awaiting`, `application.approved`,
    /// `application.rejected`, `application.expired`, `provisioning.done`, `provisioning.failed`,
    /// `request.failed`, `request.retrying`, `request.revoked`, `request.idle`, `lease.ending`, `grant.revoked`,
    /// `grant.expiring`, `budget.exceeded`, ...
    public var kind: String
    /// The tenant it is about, whose webhooks receive it; nil for none.
    public var tenant: String?
    /// What it is about: `application/ID`, `request/TENANT:NAME`, `grant/ID`.
    public var subject: String
    public var message: String
    public var at: Double
    /// Users whose inbox receives it.
    public var recipients: [String]

    public init(kind: String, tenant: String?, subject: String, message: String, at: Double, recipients: [String]) {
        self.kind = kind
        self.tenant = tenant
        self.subject = subject
        self.message = message
        self.at = at
        self.recipients = recipients
    }
}

/// A notice in one user's inbox.
public struct InboxNotification: Sendable, Hashable, Codable {
    /// Assigned by the store, increasing.
    public var id: Int64
    public var user: String
    public var kind: String
    public var tenant: String?
    public var subject: String
    public var message: String
    public var at: Double
    public var read: Bool

    public init(id: Int64, user: String, kind: String, tenant: String?, subject: String, message: String, at: Double, read: Bool) {
        self.id = id
        self.user = user
        self.kind = kind
        self.tenant = tenant
        self.subject = subject
        self.message = message
        self.at = at
        self.read = read
    }
}

/// Which of a user's notifications to read, newest first.
public struct NotificationQuery: Sendable, Hashable {
    public var user: String
    public var unreadOnly: Bool
    /// Only notifications older than this id (the previous page's last).
    public var before: Int64?
    public var limit: Int

    public init(user: String, unreadOnly: Bool = false, before: Int64? = nil, limit: Int = 100) {
        self.user = user
        self.unreadOnly = unreadOnly
        self.before = before
        self.limit = limit
    }
}

/// Marks a user's notifications read: those listed, and every one up to `upTo`.
public struct NotificationsRead: Sendable, Hashable {
    public var user: String
    public var ids: [Int64]
    public var upTo: Int64?

    public init(user: String, ids: [Int64], upTo: Int64?) {
        self.user = user
        self.ids = ids
        self.upTo = upTo
    }
}

/// A tenant's outgoing webhook: every notice about the tenant is POSTed to `url` as JSON, signed
/// with `secret` (`WebhookSignature`), until it is answered 2xx.
public struct Webhook: Sendable, Hashable, Codable {
    public var id: String
    public var tenant: String
    public var url: String
    public var secret: String
    public var createdAt: Double
    public var createdBy: String

    public init(id: String, tenant: String, url: String, secret: String, createdAt: Double, createdBy: String) {
        self.id = id
        self.tenant = tenant
        self.url = url
        self.secret = secret
        self.createdAt = createdAt
        self.createdBy = createdBy
    }

    /// Refuses what is not an absolute http(s) URL with a host, naming the field, and unless
    /// `allowPrivate` a URL whose host is the platform's own network by its text (`localhost`, a
    /// loopback, private or link-local address); names that resolve there are refused at delivery.
    static func checkURL(_ url: String, allowPrivate: Bool) throws(ServiceError) {
        guard url.utf8.count <= 2000, let parsed = URLComponents(string: url), ["http", "https"].contains(parsed.scheme?.lowercased() ?? ""),
              let host = parsed.host, !host.isEmpty, parsed.user == nil, parsed.password == nil
        else { throw ServiceError.unprocessable("url", "must be an absolute http or https URL with a host and no credentials, at most 2000 characters") }
        if !allowPrivate, NetworkAddress.isPrivate(host: host) {
            throw ServiceError.unprocessable("url", "\(host) is the platform's own network (loopback, private or link-local): webhooks go to a department's public address unless the scheduler's webhookPrivateAddresses is set")
        }
    }

    /// The host deliveries go to.
    public var host: String { URLComponents(string: url)?.host ?? "" }
}

/// One notice on its way to one webhook: delivered at least once, retried with back-off, every
/// attempt recorded.
public struct WebhookDelivery: Sendable, Hashable, Codable {
    /// Assigned by the store; sent as `Suanli-Delivery` so that a receiver can drop a repeat.
    public var id: Int64
    public var webhook: String
    public var notice: Notice
    public var attempts: Int
    /// When to try next; nil once delivered or given up.
    public var nextAttemptAt: Double?
    public var deliveredAt: Double?
    /// Set when the last attempt allowed failed.
    public var gaveUpAt: Double?
    public var lastStatus: Int?
    public var lastError: String?

    public init(id: Int64, webhook: String, notice: Notice, attempts: Int = 0, nextAttemptAt: Double?) {
        self.id = id
        self.webhook = webhook
        self.notice = notice
        self.attempts = attempts
        self.nextAttemptAt = nextAttemptAt
    }

    /// How long after the `attempt`-th failure the next try is: 5 s doubling to an hour.
    public static func backOff(afterAttempt attempt: Int) -> Double { min(3600, 5 * Double(1 << min(attempt - 1, 20))) }
    /// Attempts before giving up: about three days of hourly tries after the back-off.
    public static let maxAttempts = 80

    /// The body POSTed: the delivery's id and the notice, without its recipients.
    public var body: Data {
        struct Body: Encodable {
            var delivery: Int64
            var kind: String
            var tenant: String?
            var subject: String
            var message: String
            var at: Double
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        return (try? encoder.encode(Body(delivery: id, kind: notice.kind, tenant: notice.tenant, subject: notice.subject, message: notice.message, at: notice.at))) ?? Data()
    }
}

/// How one attempt to deliver went.
public struct DeliveryAttempt: Sendable, Hashable {
    public var delivery: Int64
    public var at: Double
    /// The HTTP status answered; nil when none was (refused, timed out).
    public var status: Int?
    public var error: String?
    /// The delivery's attempts so far, this one included.
    public var attempts: Int

    public init(delivery: Int64, at: Double, status: Int?, error: String?, attempts: Int) {
        self.delivery = delivery
        self.at = at
        self.status = status
        self.error = error
        self.attempts = attempts
    }

    public var succeeded: Bool { status.map { (200..<300).contains($0) } ?? false }
    /// When to try again: nil when it succeeded or was the last attempt allowed.
    public var nextAttemptAt: Double? {
        succeeded || attempts >= WebhookDelivery.maxAttempts ? nil : at + WebhookDelivery.backOff(afterAttempt: attempts)
    }
}

/// The signature of a webhook delivery: `Suanli-Signature: t=TIMESTAMP,v1=HEX`, HEX being
/// HMAC-SHA256 with the webhook's secret over `TIMESTAMP.BODY`. A receiver recomputes it, compares
/// in constant time and refuses timestamps far from its clock (replays).
public enum WebhookSignature {
    public static func header(body: Data, secret: String, timestamp: Int64) -> String {
        var signed = Data("\(timestamp).".utf8)
        signed.append(body)
        let mac = HMAC<SHA256>.authenticationCode(for: signed, using: SymmetricKey(data: Data(secret.utf8)))
        return "t=\(timestamp),v1=" + mac.map { String($0, radix: 16).leftPadded(to: 2) }.joined()
    }

    /// Whether `header` signs `body` with `secret`.
    public static func verify(header: String, body: Data, secret: String) -> Bool {
        let parts = Dictionary(header.split(separator: ",").compactMap { part -> (String, String)? in
            let pair = part.split(separator: "=", maxSplits: 1)
            return pair.count == 2 ? (String(pair[0]), String(pair[1])) : nil
        }) { first, _ in first }
        guard let t = parts["t"].flatMap({ Int64($0) }), let given = parts["v1"] else { return false }
        let expected = Self.header(body: body, secret: secret, timestamp: t)
        let expectedMAC = Array(expected.utf8.suffix(64)), givenMAC = Array(given.utf8)
        guard expectedMAC.count == givenMAC.count else { return false }
        return zip(expectedMAC, givenMAC).reduce(0) { $0 | ($1.0 ^ $1.1) } == 0
    }
}
