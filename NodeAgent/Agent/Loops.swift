import Foundation
import Logging
import ServiceLifecycle

/// Runs reconciliation passes: every `interval`, and at once when the trigger fires (new
/// assignments, a domain event).
public struct ReconcileLoop: Service {
    private let reconciler: Reconciler
    private let trigger: Trigger
    private let interval: Duration
    private let logger: Logger

    public init(reconciler: Reconciler, trigger: Trigger, interval: Duration, logger: Logger) {
        self.reconciler = reconciler
        self.trigger = trigger
        self.interval = interval
        self.logger = logger
    }

    public func run() async throws {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                do {
                    try await reconciler.reconcile()
                } catch {
                    logger.error("reconciliation failed", metadata: ["error": "\(error)"])
                }
                await trigger.wait(timeout: interval)
            }
        }
    }
}

/// Takes a metering sample of every running workload each `interval`, and once an hour prunes
/// samples the scheduler acknowledged more than `retention` ago.
public struct MeterLoop: Service {
    private let reconciler: Reconciler
    private let store: AgentStore
    private let interval: Duration
    private let retention: Double
    private let logger: Logger

    public init(reconciler: Reconciler, store: AgentStore, interval: Duration, retentionSeconds: Double = 7 * 86_400, logger: Logger) {
        self.reconciler = reconciler
        self.store = store
        self.interval = interval
        self.retention = retentionSeconds
        self.logger = logger
    }

    public func run() async throws {
        try? await cancelWhenGracefulShutdown {
            var prunedAt = 0.0
            while !Task.isCancelled {
                try await Task.sleep(for: interval)
                do {
                    try await reconciler.meter()
                    let now = Date().timeIntervalSince1970
                    if now - prunedAt >= 3600 {
                        try store.pruneSamples(acknowledgedBefore: now - retention)
                        prunedAt = now
                    }
                } catch {
                    logger.error("metering failed", metadata: ["error": "\(error)"])
                }
            }
        }
    }
}
