import SchedulerService
import Testing

struct RequestLifecycleTests {
    /// Event sequences from `submitted`, with the phase they end in and the actions of the last event.
    static let paths: [(events: [RequestEvent], phase: RequestPhase, actions: [LifecycleAction])] = [
        ([.admit, .enqueue], .queued, [.enqueue]),
        ([.admit, .enqueue, .place], .placed, [.startWorkload]),
        ([.admit, .enqueue, .place, .acknowledge, .start], .running, []),
        ([.admit, .enqueue, .place, .acknowledge, .start, .release], .releasing, [.stopWorkload]),
        ([.admit, .enqueue, .place, .acknowledge, .start, .release, .stopped], .released, [.freeAllocation]),
        ([.reject(reason: "quota")], .rejected(reason: "quota"), []),
        ([.admit, .enqueue, .reject(reason: "deadline")], .rejected(reason: "deadline"), []),
        ([.admit, .enqueue, .release], .released, []),
        ([.admit, .enqueue, .place, .preempt(by: "r9")], .preempted(by: "r9"), [.stopWorkload, .freeAllocation]),
        ([.admit, .enqueue, .place, .acknowledge, .start, .leaseExpired], .expired, [.stopWorkload, .freeAllocation]),
        ([.admit, .enqueue, .place, .start, .grantRevoked(reason: "grant g1 expired")], .revoked(reason: "grant g1 expired"), [.stopWorkload, .freeAllocation]),
        ([.admit, .enqueue, .grantRevoked(reason: "g")], .revoked(reason: "g"), []),
        ([.admit, .enqueue, .place, .start, .idleDetected], .running, [.sendIdleNotice]),
        ([.admit, .enqueue, .place, .start, .idleDetected, .noticeElapsed], .reclaimed, [.stopWorkload, .freeAllocation]),
        ([.admit, .enqueue, .place, .start, .release, .leaseExpired], .releasing, []),
        ([.admit, .enqueue, .place, .start, .release, .fail(reason: "crash")], .released, [.freeAllocation]),
        // Eviction (drain, lost node) queues again without using a retry; abandoning fails at once.
        ([.admit, .enqueue, .place, .start, .evict(reason: "node n1 lost")], .queued, [.stopWorkload, .freeAllocation, .enqueue]),
        (
            [.admit, .enqueue, .place, .fail(reason: "a"), .place, .fail(reason: "b"), .place, .evict(reason: "drain"), .place, .start],
            .running, []
        ),
        ([.admit, .enqueue, .place, .acknowledge, .abandon(reason: "node n1 lost")], .failed(reason: "node n1 lost"), [.freeAllocation]),
        // Defragmentation moves a request: stopped where it was, placed again at once.
        ([.admit, .enqueue, .place, .start, .idleDetected, .move(reason: "defragmentation")], .placed, [.stopWorkload, .startWorkload]),
        // Failures are retried twice (the default), then final.
        ([.admit, .enqueue, .place, .fail(reason: "image")], .queued, [.freeAllocation, .enqueue]),
        (
            [.admit, .enqueue, .place, .fail(reason: "a"), .place, .fail(reason: "b"), .place, .fail(reason: "c")],
            .failed(reason: "c"), [.freeAllocation]
        ),
    ]

    @Test(arguments: paths.indices)
    func followsThePath(_ i: Int) throws {
        let (events, phase, actions) = Self.paths[i]
        var lifecycle = RequestLifecycle()
        var last: [LifecycleAction] = []
        for event in events { last = try lifecycle.handle(event) }
        #expect(lifecycle.phase == phase)
        #expect(last == actions)
        #expect(lifecycle.phase.holdsAllocation == [.placed, .provisioning, .running, .releasing].contains(lifecycle.phase))
    }

    static let refused: [(events: [RequestEvent], event: RequestEvent)] = [
        ([], .place),
        ([], .release),
        ([.admit, .enqueue], .start),
        ([.admit, .enqueue, .place, .start], .place),
        ([.admit, .enqueue, .place, .start, .release, .stopped], .release),
        ([.reject(reason: "x")], .admit),
        // Reclaiming needs a notice first; a notice is sent once until activity resumes.
        ([.admit, .enqueue, .place, .start], .noticeElapsed),
        ([.admit, .enqueue, .place, .start, .idleDetected], .idleDetected),
        ([.admit, .enqueue, .place, .start, .idleDetected, .activity], .noticeElapsed),
    ]

    @Test(arguments: refused.indices)
    func refusesInvalidTransitionsWithoutChange(_ i: Int) throws {
        let (events, event) = Self.refused[i]
        var lifecycle = RequestLifecycle()
        for earlier in events { _ = try lifecycle.handle(earlier) }
        let before = lifecycle
        #expect(throws: InvalidTransition.self) { try lifecycle.handle(event) }
        #expect(lifecycle == before)
    }

    @Test func terminalPhasesAreFinal() {
        let terminal: [RequestPhase] = [.released, .rejected(reason: ""), .failed(reason: ""), .preempted(by: ""), .expired, .revoked(reason: ""), .reclaimed]
        #expect(terminal.allSatisfy { $0.isTerminal })
        #expect(![RequestPhase.submitted, .admitted, .queued, .placed, .provisioning, .running, .releasing].contains { $0.isTerminal })
    }
}
