import Placement

/// What the site-wide search finds.
public enum SearchKind: String, Sendable, Hashable, Codable, CaseIterable {
    case catalog, application, request, node
}

/// How one thing is found: its title (names, codes), its tags (`key=value`), and the rest of its
/// text. The store indexes every window of three characters (SQLite FTS5's trigram tokenizer),
/// which finds words inside words in any script; two-character words are indexed as well by
/// `grams`, each written with `marker` after it so that it too is a window of three: in Chinese
/// every two characters side by side (视频 and 频分 in 视频分析), in Latin scripts the words of
/// two letters (`db`, `5g`), which are found as whole words.
public struct SearchDocument: Sendable, Hashable {
    public var kind: SearchKind
    /// The entry's code, the application's, request's or node's id.
    public var key: String
    /// The department it belongs to: the entry's owner, the application's or request's tenant.
    public var department: String?
    public var title: String
    public var tags: [String]
    public var body: String

    /// Follows each two-character gram.
    public static let marker: Character = "\u{1F}"

    /// The two-character grams of `text`, marked: in a word of ideographs (or other letters outside
    /// ASCII) every two side by side (`视频分析` gives `视频␟ 频分␟ 分析␟`); an ASCII word of two
    /// characters whole (`db␟`). Longer ASCII words need none: a search's words of two Latin
    /// letters are words, not parts of them (`db` is not looked for in `dbadmin`).
    public static func grams(_ text: String) -> String {
        var out: [String] = []
        for word in words(text) where word.count >= 2 {
            if word.unicodeScalars.allSatisfy(\.isASCII) {
                if word.count == 2 { out.append(word + String(marker)) }
                continue
            }
            let characters = Array(word)
            for i in 0..<(characters.count - 1) { out.append(String(characters[i...i + 1]) + String(marker)) }
        }
        return out.joined(separator: " ")
    }

    /// The words of `text`, lower-cased: runs of letters and digits.
    static func words(_ text: String) -> [String] {
        text.lowercased().split { !($0.isLetter || $0.isNumber) }.map(String.init)
    }

    public init(kind: SearchKind, key: String, department: String?, title: String, tags: [String], body: String) {
        self.kind = kind
        self.key = key
        self.department = department
        self.title = title
        self.tags = tags
        self.body = body
    }

    public init(_ entry: CatalogEntry) {
        self.init(
            kind: .catalog, key: entry.code, department: entry.owner, title: [entry.name, entry.code].joined(separator: " "),
            tags: entry.labels.map { "\($0.key)=\($0.value)" }.sorted() + ["kind=\(entry.kind.rawValue)", "sharing=\(entry.sharing.rawValue)", "level=\(entry.securityLevel)"]
                + (entry.nodeClass.map { ["class=\($0.rawValue)"] } ?? []),
            body: ([entry.description, entry.partition, entry.site ?? "", entry.version ?? ""] + (entry.gpu?.models ?? [])).joined(separator: " "))
    }

    public init(_ application: Application) {
        self.init(
            kind: .application, key: application.id, department: application.tenant, title: [application.purpose, application.id].joined(separator: " "),
            tags: (application.industry.map { ["industry=\($0)"] } ?? []) + (application.scenario.map { ["scenario=\($0)"] } ?? []),
            body: ([application.applicant, application.industry ?? "", application.scenario ?? ""] + application.items.compactMap(\.entry)).joined(separator: " "))
    }

    /// A request by its name (its tenant is the department), kind, priority, labels and what it
    /// runs: requests come thousands a second, and every word indexed is paid for at submission.
    public init(_ record: RequestRecord) {
        self.init(
            kind: .request, key: record.id, department: record.tenant, title: record.name,
            tags: record.spec.requiredLabels.map { "\($0.key)=\($0.value)" }.sorted() + ["kind=\(record.spec.kind.rawValue)", "priority=\(record.spec.priority.rawValue)"],
            body: ([record.catalogEntry, record.application, record.spec.component?.name].compactMap { $0 }).joined(separator: " "))
    }

    public init(_ node: Node) {
        self.init(
            kind: .node, key: node.id, department: nil, title: node.id,
            tags: node.labels.map { "\($0.key)=\($0.value)" }.sorted() + ["class=\(node.nodeClass.rawValue)", "site=\(node.site)"],
            body: [node.site, node.region, node.partition].joined(separator: " "))
    }
}

/// A search: every term must match (anywhere in the title, tags or text), as must the filters.
/// What a caller may not see is never returned: a tenant user sees the catalog and its own
/// tenant's applications and requests; nodes need the right to read nodes.
public struct SearchQuery: Sendable, Hashable {
    /// Words of at least two characters; each must appear.
    public var terms: [String]
    public var kinds: Set<SearchKind>
    public var department: String?
    /// `key=value`.
    public var tag: String?
    /// Applications and requests only of this tenant; nil for every tenant's.
    public var tenantOnly: String?
    public var limit: Int

    public init(terms: [String], kinds: Set<SearchKind>, department: String? = nil, tag: String? = nil, tenantOnly: String? = nil, limit: Int = 50) {
        self.terms = terms
        self.kinds = kinds
        self.department = department
        self.tag = tag
        self.tenantOnly = tenantOnly
        self.limit = limit
    }
}

/// One thing found: what it is and how to show it. Those whose title matches come first.
public struct SearchHit: Sendable, Hashable, Codable {
    public var kind: SearchKind
    public var key: String
    public var department: String?
    public var title: String

    public init(kind: SearchKind, key: String, department: String?, title: String) {
        self.kind = kind
        self.key = key
        self.department = department
        self.title = title
    }
}
