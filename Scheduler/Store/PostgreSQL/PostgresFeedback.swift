import PostgresNIO
import SchedulerService

/// Ratings, questions and answers about catalog entries, and which departments used which
/// entries, as in the SQLite store (`SQLiteFeedback`).
enum PostgresFeedback {
    private struct UseRow: Encodable {
        var entry: String, tenant: String
    }

    static func statements(_ batch: StoreBatch, into out: inout StatementBatch) throws {
        var ratings: [String: Rating] = [:]
        for rating in batch.ratings { ratings[rating.entry + "\u{0}" + rating.user] = rating }
        if !ratings.isEmpty {
            try out.add(ratings.values.sorted { ($0.entry, $0.user) < ($1.entry, $1.user) }, """
                INSERT INTO rating (entry, user_id, tenant, stars, comment, at)
                SELECT entry, "user", tenant, stars, comment, at FROM json_to_recordset(%@) AS x(entry text, "user" text, tenant text, stars integer, comment text, at float8)
                ON CONFLICT (entry, user_id) DO UPDATE SET tenant = excluded.tenant, stars = excluded.stars, comment = excluded.comment, at = excluded.at
                """)
        }
        if !batch.posts.isEmpty {
            try out.add(batch.posts, """
                INSERT INTO post (id, entry, question, user_id, tenant, official, text, at)
                SELECT id, entry, question, "user", tenant, official, text, at FROM json_to_recordset(%@)
                    AS x(id text, entry text, question text, "user" text, tenant text, official boolean, text text, at float8)
                """)
        }
        let uses = Set(batch.requests.compactMap { record in record.usesEntry ? record.catalogEntry.map { "\($0)\u{0}\(record.tenant)" } : nil }).sorted()
        if !uses.isEmpty {
            let rows = uses.map { pair in
                let parts = pair.split(separator: "\u{0}", maxSplits: 1).map(String.init)
                return UseRow(entry: parts[0], tenant: parts[1])
            }
            try out.add(rows, "INSERT INTO entry_use (entry, tenant) SELECT entry, tenant FROM json_to_recordset(%@) AS x(entry text, tenant text) ON CONFLICT DO NOTHING")
        }
    }

    static func feedback(entry: String, limit: Int, in db: PostgresConnection, logger: Logger) async throws -> EntryFeedback {
        var summarySQL = SQL()
        summarySQL.text = "SELECT COUNT(*), COALESCE(SUM(stars), 0) FROM rating WHERE entry = \(summarySQL.bind(entry))"
        let summary = try await db.rows(summarySQL, logger: logger).first.map {
            let (count, total) = try $0.decode((Int64, Int64).self)
            return RatingSummary(count: Int(count), total: Int(total))
        } ?? RatingSummary()
        var ratingsSQL = SQL()
        ratingsSQL.text = "SELECT user_id, tenant, stars, comment, at FROM rating WHERE entry = \(ratingsSQL.bind(entry)) ORDER BY at DESC, user_id LIMIT \(max(0, limit))"
        let ratings = try await db.rows(ratingsSQL, logger: logger).map {
            let (user, tenant, stars, comment, at) = try $0.decode((String, String, Int32, String?, Double).self)
            return Rating(entry: entry, user: user, tenant: tenant, stars: Int(stars), comment: comment, at: at)
        }
        var postsSQL = SQL()
        postsSQL.text = "\(postColumns) WHERE entry = \(postsSQL.bind(entry)) ORDER BY seq"
        let posts = try await db.rows(postsSQL, logger: logger).map(post)
        let answers = Dictionary(grouping: posts.filter { $0.question != nil }) { $0.question! }
        let questions = posts.filter { $0.question == nil }.reversed().prefix(limit).map { QuestionThread(question: $0, answers: answers[$0.id] ?? []) }
        return EntryFeedback(summary: summary, ratings: ratings, questions: Array(questions))
    }

    private static let postColumns = "SELECT id, entry, question, user_id, tenant, official, text, at FROM post"

    static func post(id: String) -> SQL {
        var sql = SQL()
        sql.text = "\(postColumns) WHERE id = \(sql.bind(id))"
        return sql
    }

    @Sendable static func post(_ row: PostgresRow) throws -> Post {
        let (id, entry, question, user, tenant, official, text, at) = try row.decode((String, String, String?, String, String?, Bool, String, Double).self)
        return Post(id: id, entry: entry, question: question, user: user, tenant: tenant, official: official, text: text, at: at)
    }
}
