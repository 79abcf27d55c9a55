import Logging
import NIOCore
import Collections
import ServiceLifecycle
import Synchronization

/// Keeps the scheduler's inbound connections (the HTTP API and the agents' gRPC port share one
/// descriptor table) under a cap below the process's descriptor limit, so that a flood of idle or
/// slow connections can never take the descriptors that health checks, callers and the store need.
///
/// A connection is *busy* while a request is in flight on it (an HTTP request between its head and
/// the end of its response; an RPC stream on an agent's connection) and *idle* otherwise. At the
/// cap a new connection closes an idle one: the oldest of those that never completed a request
/// (what a flood holds), then the longest idle HTTP connection, then the longest idle agent's; so
/// a caller that connects during a flood is still served, and only when every connection is busy
/// is the new one refused. Connections also time out: one that sends no request within
/// `handshakeSeconds` of opening, or an agent's with no RPC in flight for `agentIdleSeconds`, is
/// closed (idle HTTP connections also time out in Hummingbird's idle handler). Runs as a
/// `Service`: a sweep every second.
public final class ConnectionGovernor: Service, Sendable {
    public struct Limits: Sendable, Hashable {
        /// The most connections open at once, both ports together.
        public var maxConnections: Int
        /// A connection must complete its first request (an HTTP request head, an RPC) this soon.
        public var handshakeSeconds: Double
        public var agentIdleSeconds: Double

        public init(maxConnections: Int, handshakeSeconds: Double = 10, agentIdleSeconds: Double = 300) {
            self.maxConnections = maxConnections
            self.handshakeSeconds = handshakeSeconds
            self.agentIdleSeconds = agentIdleSeconds
        }

        /// The default cap for a process allowed `descriptors` open files: an eighth (at least 64)
        /// kept for the store, logs, listeners and outgoing calls.
        public static func defaultMaxConnections(descriptors: Int) -> Int {
            max(16, descriptors - max(64, descriptors / 8))
        }
    }

    /// Which port a connection came in on.
    public enum Kind: Sendable {
        case http, agent
    }

    /// Totals since the start, for the log.
    struct Counts: Sendable, Hashable {
        var open = 0
        /// Idle connections closed to make room for a new one.
        var evicted = 0
        /// New connections closed because every open one was busy.
        var refused = 0
        /// Connections closed for sending no request in time, or agents' for staying idle.
        var timedOut = 0
    }

    /// Where an idle connection waits to be evicted or timed out, oldest first; evicted in this order.
    enum Queue: CaseIterable {
        /// No request completed yet, either port.
        case fresh
        case idleHTTP, idleAgent
    }

    struct Entry {
        let channel: any Channel
        let kind: Kind
        var inFlight = 0
        var hadRequest = false

        var queue: Queue {
            guard hadRequest else { return .fresh }
            return kind == .http ? .idleHTTP : .idleAgent
        }
    }

    struct State {
        var entries: [ObjectIdentifier: Entry] = [:]
        var idle: [Queue: OrderedDictionary<ObjectIdentifier, NIODeadline>] = [:]
        var counts = Counts()
        var loggedCounts = Counts()

        mutating func makeIdle(_ id: ObjectIdentifier, _ entry: Entry, at now: NIODeadline) {
            idle[entry.queue, default: [:]][id] = now
        }

        mutating func leaveIdle(_ id: ObjectIdentifier, _ entry: Entry) {
            idle[entry.queue]?.removeValue(forKey: id)
        }
    }

    public let limits: Limits
    let logger: Logger
    private let state = Mutex(State())

    public init(limits: Limits, logger: Logger) {
        self.limits = limits
        self.logger = logger
    }

    /// Takes a new connection in; false when it must be closed at once (every connection is busy).
    public func admit(_ channel: any Channel, kind: Kind) -> Bool {
        let id = ObjectIdentifier(channel)
        let now = NIODeadline.now()
        let (admitted, evicted) = state.withLock { s -> (Bool, (any Channel)?) in
            var evicted: (any Channel)?
            if s.counts.open >= limits.maxConnections {
                guard let queue = Queue.allCases.first(where: { s.idle[$0]?.isEmpty == false }), let oldest = s.idle[queue]?.keys.first else {
                    s.counts.refused += 1
                    return (false, nil)
                }
                s.idle[queue]?.removeValue(forKey: oldest)
                evicted = s.entries.removeValue(forKey: oldest)?.channel
                s.counts.open -= 1
                s.counts.evicted += 1
            }
            let entry = Entry(channel: channel, kind: kind)
            s.entries[id] = entry
            s.makeIdle(id, entry, at: now)
            s.counts.open += 1
            return (true, evicted)
        }
        evicted?.close(mode: .all, promise: nil)
        return admitted
    }

    /// A request (or an RPC stream) started on `channel`.
    public func requestStarted(on channel: any Channel) {
        let id = ObjectIdentifier(channel)
        state.withLock { s in
            guard var entry = s.entries[id] else { return }
            if entry.inFlight == 0 { s.leaveIdle(id, entry) }
            entry.inFlight += 1
            entry.hadRequest = true
            s.entries[id] = entry
        }
    }

    /// A request (or an RPC stream) on `channel` ended.
    public func requestEnded(on channel: any Channel) {
        let id = ObjectIdentifier(channel)
        let now = NIODeadline.now()
        state.withLock { s in
            guard var entry = s.entries[id], entry.inFlight > 0 else { return }
            entry.inFlight -= 1
            s.entries[id] = entry
            if entry.inFlight == 0 { s.makeIdle(id, entry, at: now) }
        }
    }

    /// `channel` closed (also after an eviction, which already forgot it).
    public func closed(_ channel: any Channel) {
        let id = ObjectIdentifier(channel)
        state.withLock { s in
            guard let entry = s.entries.removeValue(forKey: id) else { return }
            s.leaveIdle(id, entry)
            s.counts.open -= 1
        }
    }

    /// Closes the connections whose handshake time, or agents' idle time, ran out.
    func sweep() {
        let now = NIODeadline.now()
        let expired = state.withLock { s -> [any Channel] in
            var expired: [any Channel] = []
            for (queue, seconds) in [(Queue.fresh, limits.handshakeSeconds), (.idleAgent, limits.agentIdleSeconds)] {
                let cutoff = now - .nanoseconds(Int64(min(seconds, 1e9) * 1e9))
                while let (id, since) = s.idle[queue]?.elements.first, since <= cutoff {
                    s.idle[queue]?.removeFirst()
                    if let entry = s.entries.removeValue(forKey: id) {
                        expired.append(entry.channel)
                        s.counts.open -= 1
                        s.counts.timedOut += 1
                    }
                }
            }
            return expired
        }
        for channel in expired { channel.close(mode: .all, promise: nil) }
    }

    /// Sweeps every second until the service group shuts down; says in the log, at most once a
    /// minute, when connections were evicted, refused or timed out.
    public func run() async throws {
        try? await cancelWhenGracefulShutdown {
            var lastLog = ContinuousClock.now
            while true {
                try await Task.sleep(for: .seconds(1))
                self.sweep()
                guard ContinuousClock.now - lastLog >= .seconds(60) else { continue }
                lastLog = ContinuousClock.now
                self.logChanges()
            }
        }
    }

    private func logChanges() {
        let (now, before) = state.withLock { s in
            defer { s.loggedCounts = s.counts }
            return (s.counts, s.loggedCounts)
        }
        guard now.evicted > before.evicted || now.refused > before.refused || now.timedOut > before.timedOut else { return }
        logger.warning("connection limit at work", metadata: [
            "open": "\(now.open)", "max": "\(limits.maxConnections)", "evicted": "\(now.evicted - before.evicted)",
            "refused": "\(now.refused - before.refused)", "timedOut": "\(now.timedOut - before.timedOut)",
        ])
    }
}
