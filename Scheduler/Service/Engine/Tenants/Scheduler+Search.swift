extension Scheduler {
    public static let maxSearchTerms = 8

    /// One search over the catalog, applications, requests and nodes, limited to what the caller
    /// may read: words (each of two characters or more, in any script) anywhere in a name, code,
    /// tag or text; a department (the entry's owner, the application's or request's tenant); a tag
    /// `key=value`. At least one of them.
    public func search(
        text: String?, kinds: Set<SearchKind>? = nil, department: String? = nil, tag: String? = nil, limit: Int = 50, by caller: Principal
    ) throws(ServiceError) -> [SearchHit] {
        // Words of punctuation alone (`'`, `--`) say nothing to search for and are left out.
        let terms = (text ?? "").lowercased().split(whereSeparator: \.isWhitespace).map(String.init)
            .filter { $0.contains { $0.isLetter || $0.isNumber } }
        guard terms.count <= Self.maxSearchTerms else { throw ServiceError.unprocessable("q", "at most \(Self.maxSearchTerms) words, got \(terms.count)") }
        if let short = terms.first(where: { $0.count < 2 }) {
            throw ServiceError.unprocessable("q", "each word has two characters or more ('\(short)' has one)")
        }
        if let tag, tag.count < 3 || !tag.contains("=") { throw ServiceError.unprocessable("tag", "must be KEY=VALUE, got '\(tag)'") }
        guard !terms.isEmpty || department != nil || tag != nil else { throw ServiceError.unprocessable("q", "give words to search for, a department or a tag") }
        if let department { try requireTenant(department) }
        // What the caller may see of each kind.
        let tenantOnly = caller.role == .tenant ? caller.tenant : nil
        let readable: [SearchKind: Bool] = [
            .catalog: caller.may(.readCatalog),
            .application: caller.may(.readApplications, tenant: tenantOnly),
            .request: caller.may(.readRequests, tenant: tenantOnly),
            .node: caller.may(.readNodes),
        ]
        if let asked = kinds, let refused = asked.first(where: { readable[$0] != true }) {
            throw ServiceError(.forbidden, "\(caller.user) (\(caller.role.rawValue)) may not search \(refused.rawValue)s", field: "kind")
        }
        let searched = (kinds ?? Set(SearchKind.allCases)).filter { readable[$0] == true }
        guard !searched.isEmpty else { return [] }
        var hits = try store.search(SearchQuery(terms: terms, kinds: searched, department: department, tag: tag, tenantOnly: tenantOnly, limit: limit))
        // A word naming one department (its id, or a part of its name: `水务` for 水务局) also
        // finds what that department owns or asked for, with the other words.
        if department == nil, let (term, named) = departmentNamed(in: terms) {
            let rest = terms.filter { $0 != term }
            let more = try store.search(SearchQuery(terms: rest, kinds: searched, department: named, tag: tag, tenantOnly: tenantOnly, limit: limit))
            var seen = Set(hits.map { "\($0.kind.rawValue)/\($0.key)" })
            for hit in more where hits.count < limit && seen.insert("\(hit.kind.rawValue)/\(hit.key)").inserted { hits.append(hit) }
        }
        return hits
    }

    /// The first word that names exactly one department, and that department.
    private func departmentNamed(in terms: [String]) -> (term: String, tenant: String)? {
        let tenants = state.withLock { s in s.directory.tenants.values.map { ($0.id, $0.name.lowercased()) } }
        for term in terms {
            let named = tenants.filter { $0.0 == term || $0.1.contains(term) }
            if named.count == 1 { return (term, named[0].0) }
        }
        return nil
    }
}
