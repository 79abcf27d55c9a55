import Foundation
import GRDB
import SchedulerService

/// Ratings, questions and answers about catalog entries, and which departments used which entries
/// (written with each new request that runs an entry, so that only users of an entry rate it).
enum SQLiteFeedback {
    static let schema = """
        CREATE TABLE rating (
            entry TEXT NOT NULL, user TEXT NOT NULL, tenant TEXT NOT NULL, stars INTEGER NOT NULL, comment TEXT, at REAL NOT NULL,
            PRIMARY KEY (entry, user)) WITHOUT ROWID;
        CREATE TABLE post (
            seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL UNIQUE, entry TEXT NOT NULL, question TEXT, user TEXT NOT NULL, tenant TEXT,
            official INTEGER NOT NULL, text TEXT NOT NULL, at REAL NOT NULL);
        CREATE INDEX post_entry ON post (entry, seq);
        CREATE TABLE entryUse (entry TEXT NOT NULL, tenant TEXT NOT NULL, PRIMARY KEY (entry, tenant)) WITHOUT ROWID;
        """

    static func write(_ batch: StoreBatch, in db: Database) throws {
        for rating in batch.ratings {
            try db.execute(
                sql: "INSERT OR REPLACE INTO rating (entry, user, tenant, stars, comment, at) VALUES (?, ?, ?, ?, ?, ?)",
                arguments: [rating.entry, rating.user, rating.tenant, rating.stars, rating.comment, rating.at])
        }
        for post in batch.posts {
            try db.execute(
                sql: "INSERT INTO post (id, entry, question, user, tenant, official, text, at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                arguments: [post.id, post.entry, post.question, post.user, post.tenant, post.official, post.text, post.at])
        }
        let use = try db.cachedStatement(sql: "INSERT OR IGNORE INTO entryUse (entry, tenant) VALUES (?, ?)")
        for record in batch.requests {
            if record.usesEntry, let entry = record.catalogEntry { try use.execute(arguments: [entry, record.tenant]) }
        }
    }

    /// Every entry's ratings in sum.
    static func summaries(in db: Database) throws -> [String: RatingSummary] {
        var out: [String: RatingSummary] = [:]
        for row in try Row.fetchAll(db, sql: "SELECT entry, COUNT(*) AS count, SUM(stars) AS total FROM rating GROUP BY entry") {
            out[row["entry"]] = RatingSummary(count: row["count"], total: row["total"])
        }
        return out
    }

    static func feedback(entry: String, limit: Int, in db: Database) throws -> EntryFeedback {
        let summary = try Row.fetchOne(db, sql: "SELECT COUNT(*) AS count, COALESCE(SUM(stars), 0) AS total FROM rating WHERE entry = ?", arguments: [entry])
            .map { RatingSummary(count: $0["count"], total: $0["total"]) } ?? RatingSummary()
        let ratings = try Row.fetchAll(db, sql: "SELECT * FROM rating WHERE entry = ? ORDER BY at DESC, user LIMIT \(max(0, limit))", arguments: [entry]).map {
            Rating(entry: entry, user: $0["user"], tenant: $0["tenant"], stars: $0["stars"], comment: $0["comment"], at: $0["at"])
        }
        let posts = try Row.fetchAll(db, sql: "SELECT * FROM post WHERE entry = ? ORDER BY seq", arguments: [entry]).map {
            Post(id: $0["id"], entry: entry, question: $0["question"], user: $0["user"], tenant: $0["tenant"], official: $0["official"], text: $0["text"], at: $0["at"])
        }
        let answers = Dictionary(grouping: posts.filter { $0.question != nil }) { $0.question! }
        let questions = posts.filter { $0.question == nil }.reversed().prefix(limit).map { QuestionThread(question: $0, answers: answers[$0.id] ?? []) }
        return EntryFeedback(summary: summary, ratings: ratings, questions: Array(questions))
    }

    static func post(id: String, in db: Database) throws -> Post? {
        try Row.fetchOne(db, sql: "SELECT * FROM post WHERE id = ?", arguments: [id]).map {
            Post(id: $0["id"], entry: $0["entry"], question: $0["question"], user: $0["user"], tenant: $0["tenant"], official: $0["official"], text: $0["text"], at: $0["at"])
        }
    }

    static func hasUsed(entry: String, tenant: String, in db: Database) throws -> Bool {
        try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM entryUse WHERE entry = ? AND tenant = ?)", arguments: [entry, tenant]) ?? false
    }
}
