import Logging
import ServiceLifecycle

/// The applier as a long-running service: runs a placement pass whenever something may have
/// changed (a submission, a release, a node) and at least every `tick` for leases and deadlines;
/// each tick also provisions approved applications still waiting (after a restart), and every
/// sixtieth tells tenants of new budget alerts and samples utilization for its history.
public struct PlacementLoop: Service {
    let scheduler: Scheduler
    let tick: Duration

    public init(scheduler: Scheduler, tick: Duration = .seconds(1)) {
        self.scheduler = scheduler
        self.tick = tick
    }

    public func run() async throws {
        let scheduler = scheduler
        let tick = tick
        await withTaskGroup(of: Void.self) { group in
            group.addTask {
                // The ticker: wakes the loop for time-driven events.
                var ticks = 0
                while !Task.isCancelled {
                    try? await Task.sleep(for: tick)
                    ticks += 1
                    // The first tick too: a new scheduler has a utilization sample at once.
                    await scheduler.tickOnApplier(minute: ticks % 60 == 1)
                    scheduler.signalPlacement()
                }
            }
            group.addTask {
                for await _ in scheduler.wakeups.cancelOnGracefulShutdown() {
                    await scheduler.placePendingOnApplier()
                }
            }
            await group.next()
            group.cancelAll()
        }
    }
}
