/// A user's rating of a catalog entry its department has used: 1 to 5 stars and a comment. A user
/// has one rating per entry; rating again replaces it.
public struct Rating: Sendable, Hashable, Codable {
    public var entry: String
    public var user: String
    public var tenant: String
    public var stars: Int
    public var comment: String?
    public var at: Double

    public init(entry: String, user: String, tenant: String, stars: Int, comment: String?, at: Double) {
        self.entry = entry
        self.user = user
        self.tenant = tenant
        self.stars = stars
        self.comment = comment
        self.at = at
    }
}

/// A question about a catalog entry, or an answer to one.
public struct Post: Sendable, Hashable, Codable {
    public var id: String
    public var entry: String
    /// The question it answers; nil for a question.
    public var question: String?
    public var user: String
    public var tenant: String?
    /// An answer from the entry's owner department or the platform's operators.
    public var official: Bool
    public var text: String
    public var at: Double

    public init(id: String, entry: String, question: String?, user: String, tenant: String?, official: Bool, text: String, at: Double) {
        self.id = id
        self.entry = entry
        self.question = question
        self.user = user
        self.tenant = tenant
        self.official = official
        self.text = text
        self.at = at
    }
}

/// An entry's ratings in sum: what the catalog shows beside it and the efficiency report averages.
public struct RatingSummary: Sendable, Hashable, Codable {
    public var count: Int
    public var total: Int

    public init(count: Int = 0, total: Int = 0) {
        self.count = count
        self.total = total
    }

    /// The mean of the stars; nil before the first rating.
    public var average: Double? { count > 0 ? Double(total) / Double(count) : nil }
}

/// A question with its answers, oldest first.
public struct QuestionThread: Sendable, Hashable {
    public var question: Post
    public var answers: [Post]

    public init(question: Post, answers: [Post]) {
        self.question = question
        self.answers = answers
    }
}

/// What users said about an entry: its ratings, newest first, and its questions, newest first,
/// with their answers.
public struct EntryFeedback: Sendable, Hashable {
    public var summary: RatingSummary
    public var ratings: [Rating]
    public var questions: [QuestionThread]

    public init(summary: RatingSummary, ratings: [Rating], questions: [QuestionThread]) {
        self.summary = summary
        self.ratings = ratings
        self.questions = questions
    }
}
