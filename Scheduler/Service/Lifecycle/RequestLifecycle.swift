/// Where a request is in its life, with the reason for each end other than a normal release.
public enum RequestPhase: Sendable, Hashable, Codable {
    case submitted
    /// Within quota; waiting to be queued.
    case admitted
    case queued
    /// The allocation is committed; agents have not acknowledged yet.
    case placed
    /// Agents acknowledged and are starting the workload.
    case provisioning
    case running
    case releasing
    case released
    case rejected(reason: String)
    case failed(reason: String)
    case preempted(by: String)
    /// The lease ended: released automatically.
    case expired
    /// The grant it ran under expired: released by force.
    case revoked(reason: String)
    /// Idle past its notice period: released.
    case reclaimed

    /// Phases that never change again.
    public var isTerminal: Bool {
        switch self {
        case .released, .rejected, .failed, .preempted, .expired, .revoked, .reclaimed: true
        default: false
        }
    }

    /// Phases in which the request holds an allocation.
    public var holdsAllocation: Bool {
        switch self {
        case .placed, .provisioning, .running, .releasing: true
        default: false
        }
    }

    /// Why the request ended this way, for the ends other than a normal release.
    public var reason: String? {
        switch self {
        case .rejected(let reason), .failed(let reason), .revoked(let reason): reason
        case .preempted(let by): "preempted by \(by)"
        case .expired: "lease ended"
        case .reclaimed: "idle past its notice"
        default: nil
        }
    }

    /// A stable name for APIs and storage.
    public var name: String {
        switch self {
        case .submitted: "submitted"
        case .admitted: "admitted"
        case .queued: "queued"
        case .placed: "placed"
        case .provisioning: "provisioning"
        case .running: "running"
        case .releasing: "releasing"
        case .released: "released"
        case .rejected: "rejected"
        case .failed: "failed"
        case .preempted: "preempted"
        case .expired: "expired"
        case .revoked: "revoked"
        case .reclaimed: "reclaimed"
        }
    }
}

/// What happens to a request.
public enum RequestEvent: Sendable, Hashable, Codable {
    case admit
    case reject(reason: String)
    case enqueue
    case place
    case acknowledge
    case start
    /// The tenant (or an operator) asks for release.
    case release
    /// Agents report the workload gone.
    case stopped
    /// Agents report a failure.
    case fail(reason: String)
    case preempt(by: String)
    /// Its node is drained or lost and the workload may restart elsewhere: back to the queue,
    /// without using up a retry.
    case evict(reason: String)
    /// Defragmentation moves it: stopped where it was and placed at once elsewhere, without using
    /// up a retry.
    case move(reason: String)
    /// Its node is lost and the workload may not restart elsewhere.
    case abandon(reason: String)
    case leaseExpired
    case grantRevoked(reason: String)
    /// Usage stayed under the idle threshold for the configured period.
    case idleDetected
    /// Usage rose above the idle threshold again.
    case activity
    /// The notice period after `idleDetected` ran out.
    case noticeElapsed
}

extension RequestEvent {
    /// Why it happened, for the events that say: kept in the request's history even when the
    /// phase it leads to carries no reason (a failure retried goes back to `queued`).
    public var reason: String? {
        switch self {
        case .reject(let reason), .fail(let reason), .evict(let reason), .move(let reason), .abandon(let reason), .grantRevoked(let reason): reason
        case .preempt(let by): "preempted by \(by)"
        default: nil
        }
    }
}

/// What the scheduler must do because of a transition.
public enum LifecycleAction: Sendable, Hashable, Codable {
    /// Put the request (back) in the pending queue.
    case enqueue
    /// Tell the agents to start the workload.
    case startWorkload
    /// Tell the agents to stop the workload.
    case stopWorkload
    /// Give back the allocation.
    case freeAllocation
    /// Tell the tenant its workload is idle and will be reclaimed after the notice period.
    case sendIdleNotice
}

/// A transition the lifecycle does not allow, e.g. releasing a request that was never placed.
public struct InvalidTransition: Error, Sendable, Hashable, CustomStringConvertible {
    public var phase: String
    public var event: RequestEvent

    public var description: String { "cannot \(event) a request that is \(phase)" }
}

/// The lifecycle of one request as a value: `handle` takes an event and returns the actions to
/// carry out, or throws `InvalidTransition`. No I/O and no clock: the caller supplies events.
///
/// submitted -> admitted -> queued -> placed -> provisioning -> running -> releasing -> released,
/// with the other ends (rejected, failed, preempted, expired, revoked, reclaimed). A failed
/// workload is queued again while retries remain.
public struct RequestLifecycle: Sendable, Hashable, Codable {
    public private(set) var phase: RequestPhase = .submitted
    /// How often a failed workload is placed again before the request fails for good.
    public var maxRetries: Int
    public private(set) var retries = 0
    /// Whether an idle notice is out (running, under the idle threshold).
    public private(set) var idleNoticeSent = false

    public init(maxRetries: Int = 2) {
        self.maxRetries = maxRetries
    }

    public mutating func handle(_ event: RequestEvent) throws(InvalidTransition) -> [LifecycleAction] {
        switch (phase, event) {
        case (.submitted, .admit):
            phase = .admitted
            return []
        case (.submitted, .reject(let reason)), (.admitted, .reject(let reason)), (.queued, .reject(let reason)):
            phase = .rejected(reason: reason)
            return []
        case (.admitted, .enqueue):
            phase = .queued
            return [.enqueue]
        case (.queued, .place):
            phase = .placed
            return [.startWorkload]
        case (.placed, .acknowledge):
            phase = .provisioning
            return []
        case (.provisioning, .start), (.placed, .start):
            phase = .running
            return []
        case (.running, .idleDetected) where !idleNoticeSent:
            idleNoticeSent = true
            return [.sendIdleNotice]
        case (.running, .activity):
            idleNoticeSent = false
            return []
        case (.running, .noticeElapsed) where idleNoticeSent:
            phase = .reclaimed
            return [.stopWorkload, .freeAllocation]
        case (.queued, .release):
            phase = .released
            return []
        case (.placed, .release), (.provisioning, .release), (.running, .release):
            phase = .releasing
            return [.stopWorkload]
        case (.releasing, .stopped), (.releasing, .fail):
            phase = .released
            return [.freeAllocation]
        case (.releasing, .leaseExpired):
            // Already on its way out.
            return []
        case (.placed, .fail(let reason)), (.provisioning, .fail(let reason)), (.running, .fail(let reason)):
            if retries < maxRetries {
                retries += 1
                phase = .queued
                return [.freeAllocation, .enqueue]
            }
            phase = .failed(reason: reason)
            return [.freeAllocation]
        case (.placed, .evict), (.provisioning, .evict), (.running, .evict):
            phase = .queued
            idleNoticeSent = false
            return [.stopWorkload, .freeAllocation, .enqueue]
        case (.placed, .move), (.provisioning, .move), (.running, .move):
            phase = .placed
            idleNoticeSent = false
            return [.stopWorkload, .startWorkload]
        case (.placed, .abandon(let reason)), (.provisioning, .abandon(let reason)), (.running, .abandon(let reason)):
            phase = .failed(reason: reason)
            return [.freeAllocation]
        case (.placed, .preempt(let by)), (.provisioning, .preempt(let by)), (.running, .preempt(let by)):
            phase = .preempted(by: by)
            return [.stopWorkload, .freeAllocation]
        case (.placed, .leaseExpired), (.provisioning, .leaseExpired), (.running, .leaseExpired):
            phase = .expired
            return [.stopWorkload, .freeAllocation]
        case (.queued, .grantRevoked(let reason)):
            phase = .revoked(reason: reason)
            return []
        case (.placed, .grantRevoked(let reason)), (.provisioning, .grantRevoked(let reason)), (.running, .grantRevoked(let reason)):
            phase = .revoked(reason: reason)
            return [.stopWorkload, .freeAllocation]
        default:
            throw InvalidTransition(phase: phase.name, event: event)
        }
    }
}
