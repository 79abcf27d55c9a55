import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import SchedulerService
import ServiceLifecycle

/// Delivers tenants' webhooks: polls the store for deliveries due, POSTs each notice as JSON
/// signed with the webhook's secret (`WebhookSignature`), and records every attempt. A delivery is
/// made at least once: it stays due until answered 2xx, backing off from 5 s to an hour between
/// tries, and is given up (and audited) after `WebhookDelivery.maxAttempts`.
struct WebhookSender: Service {
    let scheduler: Scheduler
    let logger: Logger
    /// How often the store is asked for deliveries due when none were.
    var poll: Duration = .seconds(1)
    /// Deliveries sent at once.
    var width = 8

    func run() async throws {
        var configuration = HTTPClient.Configuration(redirectConfiguration: .disallow, timeout: .init(connect: .seconds(5), read: .seconds(10)))
        configuration.httpVersion = .http1Only
        let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
        while !Task.isShuttingDownGracefully, !Task.isCancelled {
            let due: [(WebhookDelivery, Webhook)]
            do { due = try scheduler.dueDeliveries(limit: 4 * width) } catch {
                logger.error("cannot read webhook deliveries: \(error)")
                due = []
            }
            if due.isEmpty {
                do { try await cancelWhenGracefulShutdown { try await Task.sleep(for: poll) } } catch { break }
                continue
            }
            for start in stride(from: 0, to: due.count, by: width) {
                await withTaskGroup(of: Void.self) { group in
                    for (delivery, webhook) in due[start..<min(start + width, due.count)] {
                        group.addTask { await send(delivery, to: webhook, with: client) }
                    }
                }
            }
        }
        try await client.shutdown()
    }

    private func send(_ delivery: WebhookDelivery, to webhook: Webhook, with client: HTTPClient) async {
        let body = delivery.body
        let at = Date().timeIntervalSince1970
        // A name may resolve to the platform's own network (or be made to): checked where it
        // points now, on a thread that may block on the resolver.
        if !scheduler.webhookPrivateAddresses, await Self.resolvesPrivate(webhook.host) {
            record(DeliveryAttempt(
                delivery: delivery.id, at: at, status: nil, error: "\(webhook.host) resolves to the platform's own network (loopback, private or link-local): not sent",
                attempts: delivery.attempts + 1), of: delivery, to: webhook)
            return
        }
        var request = HTTPClientRequest(url: webhook.url)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        request.headers.add(name: "User-Agent", value: "suanli-scheduler")
        request.headers.add(name: "Suanli-Delivery", value: String(delivery.id))
        request.headers.add(name: "Suanli-Event", value: delivery.notice.kind)
        request.headers.add(name: "Suanli-Signature", value: WebhookSignature.header(body: body, secret: webhook.secret, timestamp: Int64(at)))
        request.body = .bytes(ByteBuffer(bytes: body))
        var status: Int?
        var failure: String?
        do {
            let response = try await client.execute(request, timeout: .seconds(15))
            _ = try? await response.body.collect(upTo: 64 << 10)
            status = Int(response.status.code)
            if !(200..<300).contains(Int(response.status.code)) { failure = "answered HTTP \(response.status.code)" }
        } catch {
            failure = "\(error)"
        }
        record(DeliveryAttempt(delivery: delivery.id, at: at, status: status, error: failure, attempts: delivery.attempts + 1), of: delivery, to: webhook)
    }

    private func record(_ attempt: DeliveryAttempt, of delivery: WebhookDelivery, to webhook: Webhook) {
        if let failure = attempt.error {
            logger.info("webhook delivery failed", metadata: ["delivery": "\(delivery.id)", "webhook": "\(webhook.id)", "attempt": "\(attempt.attempts)", "error": "\(failure)"])
        }
        do { try scheduler.recordDeliveryAttempt(attempt) } catch {
            logger.error("cannot record webhook delivery \(delivery.id): \(error)")
        }
    }

    /// `NetworkAddress.resolvesPrivate` on a dispatch thread, off the cooperative pool.
    static func resolvesPrivate(_ host: String) async -> Bool {
        await withCheckedContinuation { (done: CheckedContinuation<Bool, Never>) in
            DispatchQueue.global().async { done.resume(returning: NetworkAddress.resolvesPrivate(host)) }
        }
    }
}
