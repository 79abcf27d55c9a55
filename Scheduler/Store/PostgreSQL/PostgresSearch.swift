import PostgresNIO
import SchedulerService

/// The site-wide search in PostgreSQL: one row per document with what a hit shows and whom it
/// belongs to, and its text lower-cased in the columns FTS5 has in the SQLite store (the words'
/// two-character grams among them, `SearchDocument.grams`). A term matches as a substring, case
/// aside, as FTS5's trigram tokenizer matches: terms of three characters or more in the text,
/// shorter ones among the grams.
enum PostgresSearch {
    static let schema = """
        CREATE TABLE search_doc (
            id bigserial PRIMARY KEY, kind text NOT NULL, key text NOT NULL, tenant text, title text NOT NULL,
            title_text text NOT NULL, title_grams text NOT NULL, tags text NOT NULL, body text NOT NULL, body_grams text NOT NULL, UNIQUE (kind, key));
        CREATE INDEX search_doc_tenant ON search_doc (tenant, id)
        """

    private struct DocumentRow: Encodable {
        var kind: String, key: String, tenant: String?, title: String, titleText: String, titleGrams: String, tags: String, body: String, bodyGrams: String

        init(_ document: SearchDocument) {
            kind = document.kind.rawValue
            key = document.key
            tenant = document.department
            title = document.title
            titleText = document.title.lowercased()
            titleGrams = SearchDocument.grams(document.title)
            tags = document.tags.joined(separator: " ").lowercased()
            body = document.body.lowercased()
            bodyGrams = SearchDocument.grams(document.body)
        }
    }

    private static let insert = """
        INSERT INTO search_doc (kind, key, tenant, title, title_text, title_grams, tags, body, body_grams)
        SELECT kind, key, tenant, title, "titleText", "titleGrams", tags, body, "bodyGrams" FROM json_to_recordset(%@)
            AS x(kind text, key text, tenant text, title text, "titleText" text, "titleGrams" text, tags text, body text, "bodyGrams" text)
        ON CONFLICT (kind, key)
        """

    /// Indexes what `batch` adds and changes, and forgets what it removes: catalog entries and
    /// nodes on every change, requests (when submitted) and applications once.
    static func statements(_ batch: StoreBatch, into out: inout StatementBatch) throws {
        for (kind, keys) in [(SearchKind.catalog, batch.removedCatalog), (.node, batch.removedNodes)] where !keys.isEmpty {
            out.add(writes: "search_doc") { sql in "DELETE FROM search_doc WHERE kind = \(sql.bind(kind.rawValue)) AND key = ANY(\(sql.bind(keys)))" }
        }
        let replaced = unique(batch.catalog.map(SearchDocument.init) + batch.nodes.map { SearchDocument($0.node) }, last: true)
        try out.add(replaced.map(DocumentRow.init), insert + """
             DO UPDATE SET tenant = excluded.tenant, title = excluded.title, title_text = excluded.title_text, title_grams = excluded.title_grams,
                tags = excluded.tags, body = excluded.body, body_grams = excluded.body_grams
            """)
        let submitted = Set(batch.history.lazy.filter { $0.phase == "submitted" }.map(\.requestID))
        let added = unique(batch.applications.map(SearchDocument.init) + batch.requests.filter { submitted.contains($0.id) }.map(SearchDocument.init), last: false)
        try out.add(added.map(DocumentRow.init), insert + " DO NOTHING")
    }

    /// One document per kind and key: the last or the first written.
    private static func unique(_ documents: [SearchDocument], last: Bool) -> [SearchDocument] {
        var index: [String: Int] = [:]
        var out: [SearchDocument] = []
        for document in documents {
            let key = document.kind.rawValue + "\u{0}" + document.key
            if let at = index[key] {
                if last { out[at] = document }
            } else {
                index[key] = out.count
                out.append(document)
            }
        }
        return out
    }

    /// What matches `query`, newest first: those whose title matches every term, then the rest.
    static func search(_ query: SearchQuery, in db: PostgresConnection, logger: Logger) async throws -> [SearchHit] {
        func statement(titleOnly: Bool?) -> SQL {
            var sql = SQL()
            var filters = ["kind = ANY(\(sql.bind(query.kinds.map(\.rawValue).sorted())))"]
            if let tenant = query.tenantOnly { filters.append("(kind NOT IN ('application', 'request') OR tenant = \(sql.bind(tenant)))") }
            if let department = query.department { filters.append("tenant = \(sql.bind(department))") }
            if let titleOnly {
                for term in query.terms {
                    let lowered = term.lowercased()
                    if term.count >= 3 {
                        let bound = sql.bind(lowered)
                        filters.append(titleOnly ? "strpos(title_text, \(bound)) > 0" : "(strpos(title_text, \(bound)) > 0 OR strpos(tags, \(bound)) > 0 OR strpos(body, \(bound)) > 0)")
                    } else {
                        let bound = sql.bind(lowered + String(SearchDocument.marker))
                        filters.append(titleOnly ? "strpos(title_grams, \(bound)) > 0" : "(strpos(title_grams, \(bound)) > 0 OR strpos(body_grams, \(bound)) > 0)")
                    }
                }
            }
            if let tag = query.tag { filters.append("strpos(tags, \(sql.bind(tag.lowercased()))) > 0") }
            sql.text = "SELECT kind, key, tenant, title FROM search_doc WHERE \(filters.joined(separator: " AND ")) ORDER BY id DESC LIMIT \(max(0, query.limit))"
            return sql
        }
        func hits(_ sql: SQL) async throws -> [SearchHit] {
            try await db.rows(sql, logger: logger).compactMap { row in
                let (kind, key, tenant, title) = try row.decode((String, String, String?, String).self)
                return SearchKind(rawValue: kind).map { SearchHit(kind: $0, key: key, department: tenant, title: title) }
            }
        }
        guard !query.terms.isEmpty else { return try await hits(statement(titleOnly: nil)) }
        var found = try await hits(statement(titleOnly: true))
        if found.count < query.limit {
            let seen = Set(found.map(\.key))
            found += try await hits(statement(titleOnly: false)).filter { !seen.contains($0.key) }.prefix(query.limit - found.count)
        }
        return found
    }
}
