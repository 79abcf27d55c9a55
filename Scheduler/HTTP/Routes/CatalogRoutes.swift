import Hummingbird
import Placement
import SchedulerService

/// The unified resource catalog: offerings and components.
enum CatalogRoutes {
    struct RatingBody: Decodable {
        var stars: Int
        var comment: String?
    }
    struct PostBody: Decodable {
        var text: String
    }

    static let codeParameter = Operation.Parameter("code", .string(maxLength: 200, minLength: 1, pattern: "^SL-[A-Z0-9-]+$"), "The entry's code.")

    static var endpoints: [Endpoint] {
        [
            Endpoint(Operation(
                .post, "/v1/catalog", id: "registerCatalogEntry", summary: "Register an offering or a component", tag: "catalog",
                permission: .manageCatalog, body: "CatalogRegistration", success: [.json(201, "CatalogEntry", "Registered under its code.")],
                errors: [409, 422])) { call in
                let body = try call.body(CatalogRegistration.self)
                return try JSON.response(CatalogEntryView(try call.scheduler.registerCatalogEntry(body, by: call.caller)), status: .created)
            },
            Endpoint(Operation(
                .get, "/v1/catalog", id: "listCatalog", summary: "Search the catalog", tag: "catalog", permission: .readCatalog,
                query: [
                    .init("kind", Components.choice(CatalogEntry.Kind.self), "Only offerings or components."),
                    .init("class", Components.choice(NodeClass.self), "Only entries of this node class."),
                    .init("site", Components.identifier, "Only entries at this site."),
                    .init("partition", Components.identifier, "Only entries of this partition."),
                    .init("label", NodeRoutes.labelFilter, "Only entries with this label: KEY=VALUE."),
                    .init("q", Components.text(200), "Text in the code, name or description, ignoring case."),
                    .init("retired", .boolean, "Only retired entries (true) or only live ones (false)."),
                ],
                success: [.json(200, "CatalogList", "Entries by code.")])) { call in
                let query = CatalogQuery(
                    kind: call.query("kind", as: CatalogEntry.Kind.self), nodeClass: call.query("class", as: NodeClass.self),
                    site: call.query("site"), partition: call.query("partition"), label: NodeRoutes.label(call.query("label")), text: call.query("q"),
                    retired: call.query("retired").map { $0 == "true" })
                let entries = try call.scheduler.catalog(query, by: call.caller)
                let ratings = try call.scheduler.ratingSummaries()
                return try JSON.response(["entries": entries.map { CatalogEntryView($0, rating: ratings[$0.code]) }])
            },
            Endpoint(Operation(
                .get, "/v1/search", id: "search",
                summary: "Search catalog entries, applications, requests and nodes by name, department, tag and text, in any script", tag: "catalog",
                permission: .readCatalog,
                query: [
                    .init("q", Components.text(400), "Words, each of two characters or more, all of which must appear (a name, a code, 视频, traffic)."),
                    .init("kind", Components.choice(SearchKind.self), "Only this kind of thing."),
                    .init("department", Components.identifier, "Only what belongs to this tenant: entries it owns, its applications and requests."),
                    .init("tag", NodeRoutes.labelFilter, "Only what carries this tag: KEY=VALUE (labels, kind=, sharing=, level=, class=, site=, industry=)."),
                    .init("limit", .integer(1...500), "The most hits, default 50."),
                ],
                success: [.json(200, "SearchResults", "What matched and the caller may see: title matches first, each part newest first.")],
                errors: [422])) { call in
                let hits = try call.scheduler.search(
                    text: call.query("q"), kinds: call.query("kind", as: SearchKind.self).map { [$0] }, department: call.query("department"),
                    tag: call.query("tag"), limit: call.query("limit", as: Int.self) ?? 50, by: call.caller)
                return try JSON.response(["hits": hits])
            },
            Endpoint(Operation(
                .get, "/v1/catalog/{code}", id: "getCatalogEntry", summary: "A catalog entry", tag: "catalog", permission: .readCatalog,
                pathParameters: [codeParameter], success: [.json(200, "CatalogEntry", "The entry.")])) { call in
                let entry = try call.scheduler.catalogEntry(code: call.path("code"), by: call.caller)
                return try JSON.response(CatalogEntryView(entry, rating: try call.scheduler.ratingSummaries()[entry.code]))
            },
            Endpoint(Operation(
                .post, "/v1/catalog/{code}/ratings", id: "rateCatalogEntry",
                summary: "Rate an entry your department has used, 1 to 5 stars; rating again replaces your rating", tag: "catalog",
                permission: .readCatalog, pathParameters: [codeParameter], body: "RatingSubmission",
                success: [.json(200, "RatingSummary", "The entry's ratings in sum.")])) { call in
                let body = try call.body(RatingBody.self)
                return try JSON.response(RatingView(try call.scheduler.rate(entry: call.path("code"), stars: body.stars, comment: body.comment, by: call.caller)))
            },
            Endpoint(Operation(
                .get, "/v1/catalog/{code}/feedback", id: "getCatalogFeedback", summary: "An entry's ratings, questions and answers", tag: "catalog",
                permission: .readCatalog, pathParameters: [codeParameter], query: [.init("limit", .integer(1...1000), "The newest ratings and questions, default 100.")],
                success: [.json(200, "EntryFeedback", "Ratings newest first; questions newest first, each with its answers.")])) { call in
                try JSON.response(FeedbackView(try call.scheduler.feedback(entry: call.path("code"), limit: call.query("limit", as: Int.self) ?? 100, by: call.caller)))
            },
            Endpoint(Operation(
                .post, "/v1/catalog/{code}/questions", id: "askAboutCatalogEntry", summary: "Ask a question about an entry", tag: "catalog",
                permission: .readCatalog, pathParameters: [codeParameter], body: "PostSubmission",
                success: [.json(201, "Post", "Asked.")], errors: [422])) { call in
                let body = try call.body(PostBody.self)
                return try JSON.response(try call.scheduler.post(entry: call.path("code"), question: nil, text: body.text, by: call.caller), status: .created)
            },
            Endpoint(Operation(
                .post, "/v1/catalog/{code}/questions/{question}/answers", id: "answerAboutCatalogEntry",
                summary: "Answer a question about an entry (official from its owner department or an operator); the asker is told", tag: "catalog",
                permission: .readCatalog, pathParameters: [codeParameter, .init("question", .string(maxLength: 64, minLength: 1, pattern: "^p_[0-9a-f]{1,62}$"), "The question's id.")], body: "PostSubmission",
                success: [.json(201, "Post", "Answered.")], errors: [422])) { call in
                let body = try call.body(PostBody.self)
                return try JSON.response(try call.scheduler.post(entry: call.path("code"), question: call.path("question"), text: body.text, by: call.caller), status: .created)
            },
            Endpoint(Operation(
                .patch, "/v1/catalog/{code}", id: "updateCatalogEntry", summary: "Change an entry; submitted requests keep what they were given",
                tag: "catalog", permission: .manageCatalog, pathParameters: [codeParameter], body: "CatalogUpdate",
                success: [.json(200, "CatalogEntry", "The entry as changed.")], errors: [422])) { call in
                let update = try call.body(CatalogUpdate.self)
                return try JSON.response(CatalogEntryView(try call.scheduler.updateCatalogEntry(code: call.path("code"), update, by: call.caller)))
            },
            Endpoint(Operation(
                .post, "/v1/catalog/{code}/retire", id: "retireCatalogEntry", summary: "Retire an entry: no new use; what uses it runs to its end",
                tag: "catalog", permission: .manageCatalog, pathParameters: [codeParameter], success: [.json(200, "CatalogEntry", "Retired.")])) { call in
                try JSON.response(CatalogEntryView(try call.scheduler.retireCatalogEntry(code: call.path("code"), by: call.caller)))
            },
            Endpoint(Operation(
                .delete, "/v1/catalog/{code}", id: "removeCatalogEntry", summary: "Remove an entry no open request or live grant uses",
                tag: "catalog", permission: .manageCatalog, pathParameters: [codeParameter],
                success: [Operation.Answer(status: 204, description: "Removed.", content: .none)], errors: [409])) { call in
                try call.scheduler.removeCatalogEntry(code: call.path("code"), by: call.caller)
                return Response(status: .noContent)
            },
        ]
    }
}
