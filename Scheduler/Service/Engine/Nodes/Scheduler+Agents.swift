import Placement

/// What an agent gets when it registers.
public struct AgentRegistration: Sendable, Hashable {
    public var nodeID: String
    /// The node credential, when the bootstrap token was used; nil when the agent used its own.
    public var credential: String?
    public var heartbeatIntervalSeconds: Double
}

extension Scheduler {
    // MARK: Joining

    /// Registers the node an agent runs on. With the bootstrap token the agent joins a new node or
    /// claims one an operator pre-registered (class, site and partition must then match) and gets
    /// a node credential; with the node's own credential it updates the node (agent version, or
    /// its inventory while it holds no allocation).
    public func registerAgent(_ node: Node, agentVersion: String, token: String) throws(ServiceError) -> AgentRegistration {
        do {
            return try join(node, agentVersion: agentVersion, token: token)
        } catch {
            // Said at the center too: an operator looking at the scheduler sees who is turned away.
            logger.warning("agent registration refused", metadata: ["node": "\(node.id)", "site": "\(node.site)", "reason": "\(error)"])
            throw error
        }
    }

    private func join(_ node: Node, agentVersion: String, token: String) throws(ServiceError) -> AgentRegistration {
        try Self.check(node, fieldPrefix: "node.")
        let now = now()
        let bootstrap = isBootstrapToken(token)
        let credential = bootstrap ? Token.generate(prefix: "node") : nil
        let config = config
        let registration = try change { (s: borrowing EngineState) throws(ServiceError) in
            let existing = s.fleet.nodes[node.id]
            if let existing, let hash = existing.credentialHash {
                if bootstrap {
                    throw ServiceError(.conflict, "node \(node.id) is claimed by an agent already: register with its node credential", field: "node.id")
                }
                guard hash == Token.hash(token) else { throw ServiceError(.unauthenticated, "the credential is not node \(node.id)'s") }
            } else if !bootstrap {
                throw ServiceError(.unauthenticated, "register a new node with the bootstrap token")
            }
            var joined = node
            var deferred = false
            if let existing {
                let registered = existing.registration ?? existing.node
                for (field, ours, theirs) in [("node.nodeClass", registered.nodeClass.rawValue, node.nodeClass.rawValue), ("node.site", registered.site, node.site), ("node.partition", registered.partition, node.partition)] where ours != theirs {
                    throw ServiceError(.conflict, "node \(node.id) is registered with \(field.dropFirst(5)) '\(ours)', the agent reports '\(theirs)'", field: field)
                }
                // The operator's region and labels win over the agent's; its administrative state,
                // energy and price stay. The agent's measured capacity and GPUs are the node's,
                // unless it holds allocations: then the change waits until it is empty.
                if let registration = existing.registration {
                    joined.region = registration.region
                    joined.labels = registration.labels
                }
                joined.state = existing.node.state
                joined.energy = existing.node.energy
                joined.price = existing.node.price
                if joined != existing.node, let index = s.cluster.index(ofNode: node.id), s.cluster.requestCount(onNode: index) > 0 {
                    joined.capacity = existing.node.capacity
                    joined.gpus = existing.node.gpus
                    deferred = joined.capacity != node.capacity || joined.gpus != node.gpus
                }
            } else {
                joined.state = .ready
            }
            var cluster: ClusterState?
            if existing?.node != joined { cluster = try Self.cluster(s, with: joined) }
            let record = NodeRecord(
                node: joined, registeredAt: existing?.registeredAt ?? now, awaitingAgent: false, agentVersion: agentVersion,
                credentialHash: credential.map(Token.hash) ?? existing?.credentialHash, registration: existing?.registration, reported: node,
                retired: existing?.retired ?? false)
            var batch = StoreBatch()
            batch.nodes = [record]
            let action = existing == nil ? "node.join" : existing?.credentialHash == nil ? "node.claim" : "node.rejoin"
            var differences: [String] = []
            if let registration = existing?.registration {
                if registration.labels != node.labels {
                    let reported = node.labels.isEmpty ? "none" : node.labels.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ",")
                    differences.append("the operator's labels kept (the agent reports \(reported))")
                }
                if registration.region != node.region { differences.append("the operator's region '\(registration.region)' kept (the agent reports '\(node.region)')") }
                if registration.capacity != node.capacity || registration.gpus.count != node.gpus.count { differences.append("the capacity the agent measured replaces the registered one") }
            }
            if deferred { differences.append("the measured capacity waits until the node's allocations end") }
            batch.audit = [AuditEntry(
                at: now, actor: "agent/\(node.id)", action: action, target: "node/\(node.id)",
                detail: (["agent \(agentVersion)"] + differences).joined(separator: "; "))]
            return (batch, { s in
                if let cluster { Self.install(cluster, in: &s) }
                s.fleet.nodes[node.id] = record
                if let hash = record.credentialHash { self.credentials.withLock { $0.agents[hash] = node.id } }
                // Registering counts as a heartbeat: a suspect or lost node is back.
                var health = s.fleet.health[node.id] ?? NodeHealth(nodeClass: joined.nodeClass, policy: config.health, registeredAt: now)
                _ = health.heartbeat(at: now)
                s.fleet.health[node.id] = health
                s.refreshState(ofNode: node.id)
                return AgentRegistration(nodeID: node.id, credential: credential, heartbeatIntervalSeconds: config.health.heartbeatInterval)
            })
        }
        logger.info("agent registered", metadata: [
            "node": "\(node.id)", "class": "\(node.nodeClass.rawValue)", "site": "\(node.site)", "agent": "\(agentVersion)",
            "with": "\(bootstrap ? "bootstrap token" : "node credential")",
        ])
        signalPlacement()
        return registration
    }

    /// The node whose agent holds `token` as its credential, or `unauthenticated`.
    public func authenticateAgent(token: String) throws(ServiceError) -> String {
        guard let node = credentials.withLock({ $0.agents[Token.hash(token)] }) else {
            throw ServiceError(.unauthenticated, "unknown node credential")
        }
        return node
    }

    // MARK: Health

    /// Records a heartbeat; a suspect or lost node becomes ready (or its administrative state)
    /// again. Returns the node's state as the scheduler sees it now.
    public func heartbeat(node id: String) throws(ServiceError) -> NodeState {
        let now = now()
        let state = try change { (s: borrowing EngineState) throws(ServiceError) in
            guard var health = s.fleet.health[id], let record = s.fleet.nodes[id], let index = s.cluster.index(ofNode: id) else {
                throw ServiceError.notFound("node \(id)")
            }
            let actions = health.heartbeat(at: now)
            var batch = StoreBatch()
            if actions.contains(.reconcile) {
                batch.audit = [AuditEntry(at: now, actor: "agent/\(id)", action: "node.return", target: "node/\(id)", detail: "\(s.cluster.nodeStates[index].rawValue) -> \(record.node.state.rawValue)")]
                logger.info("node is back", metadata: ["node": "\(id)", "was": "\(s.cluster.nodeStates[index].rawValue)", "now": "\(record.node.state.rawValue)"])
            }
            let updated = health
            return (batch, { s in
                s.fleet.health[id] = updated
                s.refreshState(ofNode: id)
                return s.cluster.nodeStates[index]
            })
        }
        if state == .ready { signalPlacement() }
        return state
    }

    /// Advances the health of every claimed node and every node waiting for its agent: silent
    /// nodes (and nodes no agent claimed) become suspect (no new work), then lost; a lost node's restartable workloads are queued again and the others fail, except on
    /// classes whose workloads stay while cut off (edge). Runs in the applier's pass.
    func tickHealth(at now: Double, in s: inout EngineState, into batch: inout StoreBatch) {
        for id in s.fleet.health.keys.sorted() {
            var health = s.fleet.health[id]!
            let actions = health.tick(at: now)
            s.fleet.health[id] = health
            guard !actions.isEmpty, let index = s.cluster.index(ofNode: id) else { continue }
            let silence = s.fleet.nodes[id]?.awaitingAgent == true ? "no agent has claimed it since \(health.lastHeartbeat)" : "no heartbeat since \(health.lastHeartbeat)"
            s.refreshState(ofNode: id)
            if actions.contains(.stopPlacing) {
                batch.audit.append(AuditEntry(at: now, actor: "scheduler", action: "node.suspect", target: "node/\(id)", detail: silence))
                logger.warning("node suspect: no new work", metadata: ["node": "\(id)", "silentSeconds": "\(Int(saturating: now - health.lastHeartbeat))"])
            }
            if actions.contains(.markLost) {
                batch.audit.append(AuditEntry(at: now, actor: "scheduler", action: "node.lost", target: "node/\(id)", detail: silence))
                logger.warning("node lost", metadata: ["node": "\(id)", "silentSeconds": "\(Int(saturating: now - health.lastHeartbeat))", "requests": "\(s.cluster.requestCount(onNode: index))"])
            }
            if actions.contains(.replaceWorkloads) {
                moveWorkloads(off: id, reason: "node \(id) lost", abandonOthers: true, at: now, in: &s, into: &batch)
            }
        }
    }

    /// Queues again every restartable request with a replica on `node`, to be placed elsewhere;
    /// with `abandonOthers` the others fail (their node is gone), otherwise they stay.
    func moveWorkloads(off node: String, reason: String, abandonOthers: Bool, at now: Double, in s: inout EngineState, into batch: inout StoreBatch) {
        let affected = s.open.records.filter { record in
            record.phase.holdsAllocation && record.phase != .releasing && record.allocation?.replicas.contains { $0.nodeID == node } == true
        }
        for record in affected.sorted(by: { $0.id < $1.id }) {
            if record.isRestartable {
                endInPass(record, .evict(reason: reason), action: "request.evict", at: now, in: &s, into: &batch)
            } else if abandonOthers {
                endInPass(record, .abandon(reason: reason), action: "request.fail", at: now, in: &s, into: &batch)
            }
        }
    }

    // MARK: Assignments

    /// Opens the node's assignment stream: first every workload the node should run, then starts
    /// and stops as they are committed. A new stream replaces the node's previous one. While the
    /// stream is open, releases wait for the agent to report its workloads stopped.
    public func openAssignments(node id: String) throws(ServiceError) -> AsyncStream<AgentCommand> {
        let (stream, continuation) = AsyncStream.makeStream(of: AgentCommand.self)
        // As a writer: no change is between its computing and its applying when the stream opens.
        let (sessionID, replaced) = try writing { () throws(ServiceError) in
            try state.withLock { (s: inout EngineState) throws(ServiceError) in
                guard s.fleet.nodes[id] != nil else { throw ServiceError.notFound("node \(id)") }
                s.fleet.nextSessionID += 1
                let replaced = s.fleet.sessions[id]
                s.fleet.sessions[id] = AgentSession(id: s.fleet.nextSessionID, continuation: continuation)
                continuation.yield(.sync(Self.desiredWorkloads(on: id, in: s)))
                return (s.fleet.nextSessionID, replaced)
            }
        }
        continuation.onTermination = { [weak self] _ in self?.closeAssignments(node: id, session: sessionID) }
        logger.info("agent connected: assignment stream open", metadata: ["node": "\(id)", "replaced": "\(replaced != nil)"])
        // Outside the locks: ending a stream runs its termination handler.
        replaced?.continuation.finish()
        return stream
    }

    /// Ends every open assignment stream, so that a server shutting down does not wait for
    /// agents that would otherwise stay connected; they get a fresh sync when they reconnect.
    public func closeAllAssignments() {
        let sessions = state.withLock { (s: inout EngineState) in Array(s.fleet.sessions.values) }
        // Outside the lock: ending a stream runs its termination handler.
        for session in sessions { session.continuation.finish() }
    }

    /// Every workload `node` should run: replicas of requests placed, provisioning or running.
    static func desiredWorkloads(on node: String, in s: borrowing EngineState) -> [Workload] {
        s.open.records
            .filter { $0.phase.holdsAllocation && $0.phase != .releasing }
            .sorted { $0.id < $1.id }
            .flatMap { $0.workloads(on: node) }
    }

    /// The stream ended: releases stop waiting for this node's agent (it is told by the sync
    /// when it connects again); the next pass settles those that wait for nothing more.
    private func closeAssignments(node id: String, session: UInt64) {
        let ended = writing {
            state.withLock { (s: inout EngineState) -> Bool in
                guard s.fleet.sessions[id]?.id == session else { return false }
                s.fleet.sessions[id] = nil
                for requestID in s.open.stopping {
                    guard let record = s.open[requestID] else { continue }
                    let here = Set(record.workloads(on: id).map(\.id))
                    s.open.updateRuntime(of: requestID) { $0.awaitingStop?.subtract(here) }
                }
                return true
            }
        }
        if ended {
            logger.info("agent disconnected: assignment stream closed", metadata: ["node": "\(id)"])
            signalPlacement()
        }
    }

    /// Releases that wait for no more stop reports end: their allocations are freed. Runs in the
    /// applier's pass.
    func settleStops(at now: Double, in s: inout EngineState, into batch: inout StoreBatch) {
        for id in s.open.stopping.sorted() where s.open.runtime(of: id)?.awaitingStop?.isEmpty == true {
            s.open.updateRuntime(of: id) { $0.awaitingStop = nil }
            guard let record = s.open[id], record.phase == .releasing else { continue }
            endInPass(record, .stopped, action: "request.stopped", at: now, in: &s, into: &batch)
        }
    }

    // MARK: Reports

    /// How far apart the agent's clock and the scheduler's may be when an agent ends a workload at
    /// its lease's end.
    static let leaseClockTolerance = 5.0

    /// Applies workload state transitions an agent reports for its node: accepted acknowledges a
    /// placement, running on every replica starts the request, stopped ends a release (or, for a
    /// workload that exited on its own, releases the request), failed fails it (queued again while
    /// retries remain). Reports on workloads the node does not hold are stale and skipped. Returns
    /// how many were acted on.
    public func reportWorkloads(_ reports: [WorkloadReport], node: String) throws(ServiceError) -> Int {
        let now = now()
        let accepted = try change { (s: borrowing EngineState) throws(ServiceError) in
            var batch = StoreBatch()
            var effects = Effects()
            var records: [String: RequestRecord] = [:]
            var running: [String: Set<Int>] = [:]
            var stoppedWorkloads: [(request: String, workload: String)] = []
            var accepted = 0
            for (i, report) in reports.enumerated() {
                guard let (requestID, replica) = Workload.parse(report.workloadID) else {
                    throw ServiceError.invalid("statuses[\(i)].workloadId", "must be REQUEST/REPLICA, got '\(report.workloadID)'")
                }
                guard var record = records[requestID] ?? s.open[requestID],
                      record.allocation?.replicas.contains(where: { $0.replica == replica && $0.nodeID == node }) == true
                else { continue }
                accepted += 1
                let actor = "agent/\(node)"
                let said = report.reason.isEmpty ? "" : ": \(report.reason)"
                switch report.state {
                case .accepted:
                    if record.phase == .placed { try? Self.transition(&record, .acknowledge, at: now, by: actor, into: &batch, effects: &effects, in: s) }
                case .running:
                    var replicas = running[requestID] ?? s.open.runtime(of: requestID)?.runningReplicas ?? []
                    replicas.insert(replica)
                    running[requestID] = replicas
                    // An autoscaled request runs once what it holds runs, whatever still waits.
                    let whole = (record.spec.scaling != nil || !s.scheduling.isPartlyPlaced(requestID)) && replicas.count >= record.allocation!.replicas.count
                    if whole, record.phase == .placed || record.phase == .provisioning {
                        try? Self.transition(&record, .start, at: now, by: actor, into: &batch, effects: &effects, in: s)
                    }
                case .stopped, .failed:
                    if record.phase == .releasing {
                        stoppedWorkloads.append((requestID, report.workloadID))
                    } else if report.state == .failed {
                        // A retry goes elsewhere, after a back-off that doubles with each failure.
                        record.spec.avoidNodes = (record.spec.avoidNodes ?? []).union([node])
                        record.spec.notBefore = now + config.retryBackoffSeconds * Double(1 << min(record.lifecycle.retries, 20))
                        try? Self.transition(&record, .fail(reason: "\(report.workloadID) failed on \(node)\(said)"), at: now, by: actor, into: &batch, effects: &effects, in: s)
                        batch.audit.append(AuditEntry(at: now, actor: actor, action: "request.fail", target: "request/\(requestID)", detail: record.phase.name + said))
                    } else if let end = record.leaseEndsAt, now >= end - Self.leaseClockTolerance {
                        // The agent ended it at its lease's end, before the scheduler's pass did.
                        try? Self.transition(&record, .leaseExpired, at: now, by: actor, into: &batch, effects: &effects, in: s)
                        batch.audit.append(AuditEntry(at: now, actor: actor, action: "request.expire", target: "request/\(requestID)", detail: "\(report.workloadID) stopped at its lease's end\(said)"))
                    } else {
                        // The workload ended on its own (a batch job that finished, a VM shut down
                        // from inside): the request is done.
                        try? Self.transition(&record, .release, at: now, by: actor, into: &batch, effects: &effects, in: s)
                        batch.audit.append(AuditEntry(at: now, actor: actor, action: "request.exit", target: "request/\(requestID)", detail: "\(report.workloadID) exited\(said)"))
                        stoppedWorkloads.append((requestID, report.workloadID))
                    }
                }
                records[requestID] = record
            }
            batch.requests = records.values.filter { s.open[$0.id] != $0 }.sorted { $0.id < $1.id }
            let changed = batch.requests
            return (batch, { s in
                effects.apply(to: &s)
                for (id, replicas) in running { s.open.updateRuntime(of: id) { $0.runningReplicas = replicas } }
                for (request, workload) in stoppedWorkloads { s.open.updateRuntime(of: request) { _ = $0.awaitingStop?.remove(workload) } }
                for record in changed { Self.store(record, in: &s) }
                return accepted
            })
        }
        signalPlacement()
        return accepted
    }
}
