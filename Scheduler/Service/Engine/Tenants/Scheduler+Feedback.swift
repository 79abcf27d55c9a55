extension Scheduler {
    /// Rates an entry the caller's department has used (a request of its ran the entry): 1 to 5
    /// stars and a comment; rating again replaces the caller's earlier rating.
    public func rate(entry code: String, stars: Int, comment: String?, by caller: Principal) throws(ServiceError) -> RatingSummary {
        try caller.require(.readCatalog)
        guard (1...5).contains(stars) else { throw ServiceError.invalid("stars", "must be 1 to 5, got \(stars)") }
        if let comment, !DisplayText.isValid(comment, maxLength: 2000) { throw ServiceError.invalid("comment", "must be at most 2000 characters, none a control character") }
        if let refusal = try ratingRefusal(entry: code, by: caller) { throw refusal }
        let tenant = caller.tenant!
        let now = now()
        try change { (s: borrowing EngineState) throws(ServiceError) in
            guard s.directory.catalog[code] != nil else { throw ServiceError.notFound("catalog entry \(code)") }
            var batch = StoreBatch()
            batch.ratings = [Rating(entry: code, user: caller.user, tenant: tenant, stars: stars, comment: comment, at: now)]
            batch.audit = [AuditEntry(at: now, actor: caller.user, action: "catalog.rate", target: "catalog/\(code)", detail: "\(stars) stars")]
            return (batch, { _ in })
        }
        return try store.feedback(entry: code, limit: 0).summary
    }

    /// Whether the caller may rate the entry: a department's user whose department used it.
    public func mayRate(entry code: String, by caller: Principal) -> Bool {
        do { return try ratingRefusal(entry: code, by: caller) == nil } catch { return false }
    }

    /// Why the caller may not rate the entry, or nil when it may.
    private func ratingRefusal(entry code: String, by caller: Principal) throws(ServiceError) -> ServiceError? {
        guard caller.role == .tenant, let tenant = caller.tenant else {
            return ServiceError.forbidden("ratings are by the departments' users who used the entry; \(caller.user) is \(caller.role.rawValue)")
        }
        guard try store.hasUsed(entry: code, tenant: tenant) else {
            guard state.withLock({ $0.directory.catalog[code] != nil }) else { return ServiceError.notFound("catalog entry \(code)") }
            return ServiceError.forbidden("tenant \(tenant) has not used \(code): ratings are by those who used it")
        }
        return nil
    }

    /// Asks a question about an entry (`question` nil), or answers one. An answer from the entry's
    /// owner department or an operator is marked official.
    public func post(entry code: String, question: String?, text: String, by caller: Principal) throws(ServiceError) -> Post {
        try caller.require(.readCatalog)
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        guard !trimmed.isEmpty else { throw ServiceError.unprocessable("text", "say something") }
        guard DisplayText.isValid(trimmed, maxLength: 4000) else { throw ServiceError.invalid("text", "must be 1 to 4000 characters, none a control character") }
        var asked: Post?
        if let question {
            asked = try store.post(id: question)
            guard let asked, asked.entry == code, asked.question == nil else { throw ServiceError.notFound("question \(question) about \(code)") }
        }
        let now = now()
        return try change { (s: borrowing EngineState) throws(ServiceError) in
            guard let entry = s.directory.catalog[code] else { throw ServiceError.notFound("catalog entry \(code)") }
            let official = question != nil && ([.admin, .operator].contains(caller.role) || (caller.tenant != nil && caller.tenant == entry.owner))
            let post = Post(id: Token.generate(prefix: "p").prefix(14).description, entry: code, question: question, user: caller.user, tenant: caller.tenant, official: official, text: trimmed, at: now)
            var batch = StoreBatch()
            batch.posts = [post]
            batch.audit = [AuditEntry(at: now, actor: caller.user, action: question == nil ? "catalog.ask" : "catalog.answer", target: "catalog/\(code)")]
            // A question reaches the owner department; an answer, its asker.
            if asked == nil, let owner = entry.owner, owner != caller.tenant {
                batch.notices.append(Notice(
                    kind: "question.asked", tenant: owner, subject: "catalog/\(code)",
                    message: "\(caller.user) asked about \(entry.name) (\(code)): \(trimmed)", at: now, recipients: s.directory.users(of: owner)))
            }
            if let asked, asked.user != caller.user {
                batch.notices.append(Notice(
                    kind: "question.answered", tenant: asked.tenant, subject: "catalog/\(code)",
                    message: "\(caller.user)\(official ? " (official)" : "") answered your question about \(entry.name): \(trimmed)", at: now, recipients: [asked.user]))
            }
            return (batch, { _ in post })
        }
    }

    /// What users said about an entry.
    public func feedback(entry code: String, limit: Int = 100, by caller: Principal) throws(ServiceError) -> EntryFeedback {
        try caller.require(.readCatalog)
        guard state.withLock({ $0.directory.catalog[code] != nil }) else { throw ServiceError.notFound("catalog entry \(code)") }
        return try store.feedback(entry: code, limit: limit)
    }

    /// Every rated entry's ratings in sum, the least liked first: the satisfaction part of the
    /// efficiency report.
    public func satisfaction(by caller: Principal) throws(ServiceError) -> [(entry: CatalogEntry, summary: RatingSummary)] {
        try caller.require(.readCatalog)
        let summaries = try store.ratingSummaries()
        return state.withLock { s in
            summaries.compactMap { code, summary in s.directory.catalog[code].map { ($0, summary) } }
                .sorted { ($0.1.average ?? 0, $0.0.code) < ($1.1.average ?? 0, $1.0.code) }
        }
    }

    /// Entries' ratings in sum by code, for showing beside them.
    public func ratingSummaries() throws(ServiceError) -> [String: RatingSummary] {
        try store.ratingSummaries()
    }
}
