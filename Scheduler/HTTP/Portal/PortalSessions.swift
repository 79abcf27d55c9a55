import Foundation
import SchedulerService
import Synchronization

/// The portal's signed-in browsers. A session is a random id in an HttpOnly cookie, kept here
/// only as its SHA-256 hash; it stands for a user (signed in with a password) or a token (pasted
/// once), which is looked up again on every page, so a deleted user or a replaced token ends its
/// sessions at once. Each session has its own CSRF token, which every form carries. Sessions live
/// in the scheduler's memory: a restart signs everyone out.
final class PortalSessions: Sendable {
    enum Credential: Sendable, Hashable {
        /// A user signed in with its password, under the password's generation: the session ends
        /// when the password is set again.
        case user(String, passwordGeneration: Int)
        case tokenHash(String)

        /// How the session was begun, for the audit log.
        var word: String {
            switch self {
            case .user: "password"
            case .tokenHash: "token"
            }
        }
    }

    struct Session: Sendable {
        var credential: Credential
        var csrf: String
        var createdAt: Double
        var lastSeen: Double
        /// Said once on the next page (what the last form did).
        var flash: Flash?
    }

    struct Flash: Sendable, Hashable {
        var ok: Bool
        var text: String
    }

    /// A session ends after this long without a page, and in any case after `lifetime`.
    let idleTimeout: Double
    let lifetime: Double
    /// At most this many sessions: beyond it the one seen least recently ends.
    let capacity: Int

    private struct State {
        var sessions: [String: Session] = [:]
        /// Failed sign-ins by user name (or "token"): count and the time until which no more are tried.
        var failures: [String: (count: Int, blockedUntil: Double)] = [:]
    }
    private let state = Mutex(State())

    init(idleTimeout: Double = 8 * 3_600, lifetime: Double = 7 * 86_400, capacity: Int = 100_000) {
        self.idleTimeout = idleTimeout
        self.lifetime = lifetime
        self.capacity = capacity
    }

    /// Begins a session: the cookie's value, and the session.
    func open(_ credential: Credential, now: Double) -> (id: String, session: Session) {
        let id = Token.generate(prefix: "ss")
        let session = Session(credential: credential, csrf: Token.generate(prefix: "cs"), createdAt: now, lastSeen: now)
        state.withLock { s in
            if s.sessions.count >= capacity {
                s.sessions = s.sessions.filter { live($0.value, now: now) }
                if s.sessions.count >= capacity, let oldest = s.sessions.min(by: { $0.value.lastSeen < $1.value.lastSeen })?.key {
                    s.sessions[oldest] = nil
                }
            }
            s.sessions[Token.hash(id)] = session
        }
        return (id, session)
    }

    /// The live session with this cookie value, seen now; nil when there is none or it ended.
    func session(_ id: String, now: Double) -> Session? {
        let key = Token.hash(id)
        return state.withLock { s in
            guard var session = s.sessions[key] else { return nil }
            guard live(session, now: now) else {
                s.sessions[key] = nil
                return nil
            }
            session.lastSeen = now
            s.sessions[key] = session
            return session
        }
    }

    func close(_ id: String) {
        _ = state.withLock { $0.sessions.removeValue(forKey: Token.hash(id)) }
    }

    /// Leaves a message for the session's next page.
    func setFlash(_ flash: Flash, for id: String) {
        state.withLock { $0.sessions[Token.hash(id)]?.flash = flash }
    }

    /// The message left for this page, once.
    func takeFlash(for id: String) -> Flash? {
        state.withLock { s in
            let key = Token.hash(id)
            defer { s.sessions[key]?.flash = nil }
            return s.sessions[key]?.flash
        }
    }

    private func live(_ session: Session, now: Double) -> Bool {
        now - session.lastSeen <= idleTimeout && now - session.createdAt <= lifetime
    }

    // MARK: Sign-in throttling

    /// Seconds to wait before `name` may try again; nil when it may try now.
    func wait(before name: String, now: Double) -> Double? {
        state.withLock { s in
            guard let failure = s.failures[name], failure.blockedUntil > now else { return nil }
            return failure.blockedUntil - now
        }
    }

    /// Counts a failed sign-in: from the fifth in a row, each blocks further tries for twice as
    /// long as the one before (2 s, 4 s, ... at most 15 minutes). Whether this one began the
    /// slowing down (the fifth).
    @discardableResult
    func failed(_ name: String, now: Double) -> Bool {
        state.withLock { s in
            var failure = s.failures[name] ?? (0, 0)
            failure.count += 1
            if failure.count >= 5 { failure.blockedUntil = now + min(900, pow(2, Double(failure.count - 4))) }
            s.failures[name] = failure
            if s.failures.count > capacity { s.failures = s.failures.filter { $0.value.blockedUntil > now } }
            return failure.count == 5
        }
    }

    func succeeded(_ name: String) {
        _ = state.withLock { $0.failures.removeValue(forKey: name) }
    }
}
