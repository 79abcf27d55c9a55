import Foundation
import Synchronization

/// A submission as a caller makes it.
struct SubmissionInput: Sendable {
    var specs: [RequestSpec]
    var idempotencyKey: String?
    var batch: Bool
    var caller: Principal
    /// The application the requests are provisioned for, if any.
    var application: String? = nil
    /// For provisioned requests, the catalog entry each spec was made from (an offering's shape
    /// names no entry by itself): a request from an entry that needs a grant ends with the grant.
    var entries: [String?] = []

    /// The checks that need no state: batch size and key length.
    func check(maxBatch: Int) throws(ServiceError) {
        guard !specs.isEmpty else { throw ServiceError.invalid("requests", "a batch needs at least one request") }
        guard specs.count <= maxBatch else {
            throw ServiceError.invalid("requests", "a batch holds at most \(maxBatch) requests, got \(specs.count)")
        }
        try Self.checkIdempotencyKey(idempotencyKey)
    }

    /// An idempotency key is 1 to 128 printable ASCII characters without spaces.
    static func checkIdempotencyKey(_ key: String?) throws(ServiceError) {
        if let key, !(1...128).contains(key.utf8.count) || !key.utf8.allSatisfy({ (33...126).contains($0) }) {
            throw ServiceError.invalid("Idempotency-Key", "must be 1 to 128 printable ASCII characters without spaces")
        }
    }

    /// What the submission asked for, as a hash: a retry with the same idempotency key must ask
    /// for the same.
    var fingerprint: String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        let body = (try? encoder.encode(specs)) ?? Data()
        return Token.hash(String(decoding: body, as: UTF8.self) + (batch ? "#batch" : ""))
    }

    /// The ids of the requests it names (a request without a name gets a fresh one).
    var namedIDs: [String] {
        specs.compactMap { spec in
            guard let name = spec.id, let tenant = spec.tenant ?? caller.tenant else { return nil }
            return Scheduler.requestID(tenant: tenant, name: name)
        }
    }

    /// Two submissions with this value may not share a transaction: the second must see the
    /// first's stored key.
    var keyScope: String? { idempotencyKey.map { "\(specs.first?.tenant ?? caller.tenant ?? "")\u{0}\($0)" } }
}

/// Submissions waiting for a group commit, and whether a caller is committing groups now.
struct SubmissionQueue: Sendable {
    struct Waiting: Sendable {
        var input: SubmissionInput
        var continuation: CheckedContinuation<Result<Submission, ServiceError>, Never>
    }

    var waiting: [Waiting] = []
    var committing = false
}

extension Scheduler {
    /// Submits like `submit`, but commits concurrent submissions together: the first caller that
    /// finds no group commit under way has the applier's queue take every submission waiting,
    /// compute each as if the ones before it were made, commit them all in one transaction and
    /// only then apply them; each caller gets its own result. If the commit fails, every
    /// submission of the group fails and nothing changes.
    public func submitGrouped(_ specs: [RequestSpec], idempotencyKey: String? = nil, batch: Bool = false, by caller: Principal) async throws(ServiceError) -> Submission {
        let input = SubmissionInput(specs: specs, idempotencyKey: idempotencyKey, batch: batch, caller: caller)
        try input.check(maxBatch: config.maxBatch)
        if let replayed = try committedReplay(of: input) { return replayed }
        let result = await withCheckedContinuation { continuation in
            let leads = submissions.withLock { queue in
                queue.waiting.append(SubmissionQueue.Waiting(input: input, continuation: continuation))
                guard !queue.committing else { return false }
                queue.committing = true
                return true
            }
            if leads { applierQueue.async { self.commitGroup(carried: []) } }
        }
        return try result.get()
    }

    /// A retried submission whose first was committed, answered without waiting for the writer
    /// (the group commit checks again for a first that is being committed now).
    private func committedReplay(of input: SubmissionInput) throws(ServiceError) -> Submission? {
        guard let key = input.idempotencyKey, let tenant = input.specs.first?.tenant ?? input.caller.tenant,
              input.caller.may(.submitRequests, tenant: tenant)
        else { return nil }
        let found = try state.withLock { (s: inout EngineState) throws(ServiceError) in
            try replay(key: key, tenant: tenant, count: input.specs.count, batch: input.batch, fingerprint: input.fingerprint, in: s)
        }
        return found.map { Submission(requests: $0, replayed: true) }
    }

    /// Commits the submissions waiting (and `carried` from the group before) as one group, then
    /// queues the next group behind whatever else waits for the applier's queue (a placement
    /// pass), so that a stream of submissions never starves placement.
    private func commitGroup(carried: [SubmissionQueue.Waiting]) {
        let group: [SubmissionQueue.Waiting] = submissions.withLock { queue in
            let group = carried + queue.waiting
            queue.waiting = []
            if group.isEmpty { queue.committing = false }
            return group
        }
        if group.isEmpty { return }
        let (results, deferred) = commit(group)
        for (waiting, result) in results { waiting.continuation.resume(returning: result) }
        if results.contains(where: { (try? $0.1.get())?.replayed == false }) { signalPlacement() }
        applierQueue.async { self.commitGroup(carried: deferred) }
    }

    /// Commits one group; returns each member's result and the members left for the next group
    /// (a second use of an idempotency key already in this group).
    private func commit(_ group: [SubmissionQueue.Waiting]) -> ([(SubmissionQueue.Waiting, Result<Submission, ServiceError>)], [SubmissionQueue.Waiting]) {
        writing { commitAsWriter(group, at: now()) }
    }

    /// `commit` as the writer: every member computed on the state as the ones before it left it,
    /// one transaction, then every member applied.
    private func commitAsWriter(_ group: [SubmissionQueue.Waiting], at now: Double) -> ([(SubmissionQueue.Waiting, Result<Submission, ServiceError>)], [SubmissionQueue.Waiting]) {
        var batch = StoreBatch()
        var computed: [(SubmissionQueue.Waiting, Result<(inout EngineState) -> Submission, ServiceError>)] = []
        var deferred: [SubmissionQueue.Waiting] = []
        // Names taken by ended requests, read once for the group and before the state's lock.
        let stored: Set<String>
        do throws(ServiceError) {
            stored = try store.existingRequests(group.flatMap(\.input.namedIDs))
        } catch {
            return (group.map { ($0, .failure(error)) }, [])
        }
        state.withLock { s in
            var scopes: Set<String> = []
            var ids: Set<String> = []
            for waiting in group {
                if let scope = waiting.input.keyScope, !scopes.insert(scope).inserted {
                    deferred.append(waiting)
                    continue
                }
                do throws(ServiceError) {
                    let (changes, apply) = try changes(for: waiting.input, at: now, in: s, pendingIDs: ids, storedIDs: stored)
                    batch.append(changes)
                    ids.formUnion(changes.requests.map(\.id))
                    computed.append((waiting, .success(apply)))
                } catch {
                    computed.append((waiting, .failure(error)))
                }
            }
        }
        do throws(ServiceError) {
            try store.commit(batch)
        } catch {
            logger.error("a group commit of \(group.count) submissions failed: \(error)")
            return (computed.map { waiting, result in (waiting, result.flatMap { _ in .failure(error) }) }, deferred)
        }
        let results = state.withLock { s in
            let results = computed.map { waiting, result in (waiting, result.map { apply in apply(&s) }) }
            s.committed()
            return results
        }
        return (results, deferred)
    }
}
