import Foundation
import GRDB
import SchedulerService

/// The site-wide search in SQLite: `searchDoc` holds what each hit shows and whom it belongs to
/// (indexed by tenant), `searchText` (FTS5, trigram tokenizer) its text under the same rowid.
/// Documents are written by the commit that writes what they describe: requests and applications
/// once (their searchable text does not change), catalog entries and nodes on every change.
enum SQLiteSearch {
    static let schema = """
        CREATE TABLE searchDoc (
            id INTEGER PRIMARY KEY, kind TEXT NOT NULL, key TEXT NOT NULL, tenant TEXT, title TEXT NOT NULL, UNIQUE (kind, key));
        CREATE INDEX searchDoc_tenant ON searchDoc (tenant, id);
        CREATE VIRTUAL TABLE searchText USING fts5(title, titleGrams, tags, body, bodyGrams, tokenize = 'trigram');
        """

    /// Indexes what `batch` adds and changes, and forgets what it removes.
    static func index(_ batch: StoreBatch, in db: Database) throws {
        for code in batch.removedCatalog { try remove(.catalog, code, in: db) }
        for entry in batch.catalog { try write(SearchDocument(entry), replacing: true, in: db) }
        for id in batch.removedNodes { try remove(.node, id, in: db) }
        for record in batch.nodes { try write(SearchDocument(record.node), replacing: true, in: db) }
        for application in batch.applications { try write(SearchDocument(application), replacing: false, in: db) }
        // New requests only: the batch that submits one holds its `submitted` step.
        let submitted = Set(batch.history.lazy.filter { $0.phase == "submitted" }.map(\.requestID))
        for record in batch.requests where submitted.contains(record.id) { try write(SearchDocument(record), replacing: false, in: db) }
    }

    /// Indexes what the store held before the search existed.
    static func backfill(in db: Database) throws {
        let decoder = JSONDecoder()
        for (table, kind) in [("catalog", SearchKind.catalog), ("node", .node), ("application", .application), ("request", .request)] {
            for json in try Data.fetchAll(db, sql: "SELECT json FROM \(table)") {
                let document: SearchDocument = switch kind {
                case .catalog: SearchDocument(try decoder.decode(CatalogEntry.self, from: json))
                case .node: SearchDocument(try decoder.decode(NodeRecord.self, from: json).node)
                case .application: SearchDocument(try decoder.decode(Application.self, from: json))
                case .request: SearchDocument(try decoder.decode(RequestRecord.self, from: json))
                }
                try write(document, replacing: true, in: db)
            }
        }
    }

    private static func write(_ document: SearchDocument, replacing: Bool, in db: Database) throws {
        let insert = try db.cachedStatement(sql: "INSERT INTO searchDoc (kind, key, tenant, title) VALUES (?, ?, ?, ?) ON CONFLICT (kind, key) DO NOTHING")
        try insert.execute(arguments: [document.kind.rawValue, document.key, document.department, document.title])
        var rowid = db.lastInsertedRowID
        if db.changesCount == 0 {
            guard replacing else { return }
            rowid = try Int64.fetchOne(
                db, sql: "SELECT id FROM searchDoc WHERE kind = ? AND key = ?", arguments: [document.kind.rawValue, document.key])!
            try db.execute(sql: "UPDATE searchDoc SET tenant = ?, title = ? WHERE id = ?", arguments: [document.department, document.title, rowid])
            try db.execute(sql: "DELETE FROM searchText WHERE rowid = ?", arguments: [rowid])
        }
        let text = try db.cachedStatement(sql: "INSERT INTO searchText (rowid, title, titleGrams, tags, body, bodyGrams) VALUES (?, ?, ?, ?, ?, ?)")
        try text.execute(arguments: [
            rowid, document.title, SearchDocument.grams(document.title), document.tags.joined(separator: " "), document.body, SearchDocument.grams(document.body),
        ])
    }

    private static func remove(_ kind: SearchKind, _ key: String, in db: Database) throws {
        guard let rowid = try Int64.fetchOne(db, sql: "SELECT id FROM searchDoc WHERE kind = ? AND key = ?", arguments: [kind.rawValue, key]) else { return }
        try db.execute(sql: "DELETE FROM searchText WHERE rowid = ?", arguments: [rowid])
        try db.execute(sql: "DELETE FROM searchDoc WHERE id = ?", arguments: [rowid])
    }

    /// What matches `query`, newest first: those whose title matches every term, then the rest.
    static func search(_ query: SearchQuery, in db: Database) throws -> [SearchHit] {
        var filters = ["d.kind IN (\(query.kinds.map { "'\($0.rawValue)'" }.sorted().joined(separator: ",")))"]
        var arguments: [(any DatabaseValueConvertible)?] = []
        if let tenant = query.tenantOnly {
            filters.append("(d.kind NOT IN ('application', 'request') OR d.tenant = ?)")
            arguments.append(tenant)
        }
        if let department = query.department {
            filters.append("d.tenant = ?")
            arguments.append(department)
        }
        let filter = filters.joined(separator: " AND ")
        func hits(_ sql: String, _ bound: [(any DatabaseValueConvertible)?]) throws -> [SearchHit] {
            try Row.fetchAll(db, sql: sql, arguments: StatementArguments(bound)).map {
                SearchHit(kind: SearchKind(rawValue: $0["kind"])!, key: $0["key"], department: $0["tenant"], title: $0["title"])
            }
        }
        guard !query.terms.isEmpty || query.tag != nil else {
            return try hits("SELECT d.kind, d.key, d.tenant, d.title FROM searchDoc d WHERE \(filter) ORDER BY d.id DESC LIMIT \(max(0, query.limit))", arguments)
        }
        let tag = query.tag.map { "{tags} : \(quoted($0))" }
        func expression(titleOnly: Bool) -> String {
            let terms = query.terms.map { term in
                term.count >= 3
                    ? (titleOnly ? "{title} : " : "{title tags body} : ") + quoted(term)
                    : (titleOnly ? "{titleGrams} : " : "{titleGrams bodyGrams} : ") + quoted(term + String(SearchDocument.marker))
            }
            return (terms + (tag.map { [$0] } ?? [])).joined(separator: " AND ")
        }
        let sql = """
            SELECT d.kind, d.key, d.tenant, d.title FROM searchText t JOIN searchDoc d ON d.id = t.rowid
            WHERE searchText MATCH ? AND \(filter) ORDER BY t.rowid DESC LIMIT \(max(0, query.limit))
            """
        var found = query.terms.isEmpty ? [] : try hits(sql, [expression(titleOnly: true)] + arguments)
        if found.count < query.limit {
            let seen = Set(found.map(\.key))
            found += try hits(sql, [expression(titleOnly: false)] + arguments).filter { !seen.contains($0.key) }.prefix(query.limit - found.count)
        }
        return found
    }

    /// A term as an FTS5 string: in double quotes, its own doubled.
    private static func quoted(_ term: String) -> String { "\"" + term.replacingOccurrences(of: "\"", with: "\"\"") + "\"" }
}
