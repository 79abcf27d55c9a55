extension Scheduler {
    public static let maxSearchTerms = 8

    /// One search over the catalog, applications, requests and nodes, limited to what the caller
    /// may read: words (each of two characters or more, in any script) anywhere in a name, code,
    /// tag or text; a department (the entry's owner, the application's or request's tenant); a tag
    /// `key=value`. At least one of them.
    public func search(
        text: String?, kinds: Set<SearchKind>? = nil, department: String? = nil, tag: String? = nil, limit: Int = 50, by caller: Principal
    ) throws(ServiceError) -> [SearchHit] {
        let terms = (text ?? "").lowercased().split(whereSeparator: \.isWhitespace).map(String.init)
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
        return try store.search(SearchQuery(terms: terms, kinds: searched, department: department, tag: tag, tenantOnly: tenantOnly, limit: limit))
    }
}
