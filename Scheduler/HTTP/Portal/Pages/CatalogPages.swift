import Foundation
import Placement
import SchedulerService

/// The catalog: browse and search, an entry's detail with its ratings and questions, applying
/// for it, rating it and asking about it.
enum CatalogPages {
    struct Choice {
        var value: String
        var label: String
        var selected: Bool
    }

    struct EntryRow {
        var href: String
        var code: String
        var name: String
        var kind: String
        var place: String
        var sharing: String
        var level: String
        var owner: String
        var rating: String
    }

    struct CatalogView {
        var query: String
        var kinds: [Choice]
        var countText: String
        var hasEntries: Bool
        var entries: [EntryRow]
    }

    struct PostView {
        var id: String
        var user: String
        var tenant: String
        var text: String
        var at: String
        var official: Bool
        var stars: String
        var comment: String?
        var answers: [PostView]
    }

    struct EntryView {
        var href: String
        var code: String
        var description: String
        var kind: String
        var resources: String
        var place: String
        var sharing: String
        var level: String
        var owner: String
        var rating: String
        var sharingHint: String
        /// An hour of one, under the prices in effect.
        var price: String
        var version: String?
        var gpuModel: String?
        var mayApply: String
        var canApply: Bool
        /// Why the caller may not apply, when its clearance or kind rules it out.
        var cannotApply: String?
        /// The application form's idempotency key: sending the form twice applies once.
        var applyKey: String
        var asksImage: Bool
        var asksCommand: Bool
        var canRate: Bool
        var starChoices: [Choice]
        var ratings: [PostView]
        var canPost: Bool
        var questions: [PostView]
    }

    static let routes: [PortalRoute] = [
        .get("/catalog", query: ["q", "kind"]) { call in
            let format = PortalFormat(language: call.language)
            let kind = call.queryValue("kind").flatMap(CatalogEntry.Kind.init(rawValue:))
            let text = call.queryValue("q")
            let entries = try call.scheduler.catalog(CatalogQuery(kind: kind, text: text, retired: false), by: call.me)
            let ratings = try call.scheduler.ratingSummaries()
            let names = call.scheduler.tenantNames()
            let kinds = [Choice(value: "", label: call.language("all"), selected: kind == nil)]
                + CatalogEntry.Kind.allCases.map { Choice(value: $0.rawValue, label: format.word("kind", $0.rawValue), selected: kind == $0) }
            let rows = entries.prefix(500).map { row($0, rating: ratings[$0.code], names: names, format: format) }
            return .page(
                "catalog", title: call.language("catalog"),
                CatalogView(query: text ?? "", kinds: kinds, countText: call.language("entriesFound", String(entries.count)), hasEntries: !rows.isEmpty, entries: rows))
        },
        .get("/catalog/:code") { call in
            let entry = try call.scheduler.catalogEntry(code: call.path("code"), by: call.me)
            let feedback = try call.scheduler.feedback(entry: entry.code, limit: 100, by: call.me)
            let format = PortalFormat(language: call.language)
            let names = call.scheduler.tenantNames()
            let row = row(entry, rating: feedback.summary, names: names, format: format)
            // Whether the caller could apply at all: its clearance and kind, as the engine checks them.
            let me = try call.scheduler.user(call.me.user, by: call.me)
            var cannotApply: String?
            if entry.securityLevel > me.clearance {
                cannotApply = call.language("cannotApplyLevel", String(me.clearance), String(entry.securityLevel))
            } else if let kinds = entry.userKinds, !kinds.contains(me.kind) {
                cannotApply = call.language("cannotApplyKind", kinds.map { format.word("kindOfUser", $0.rawValue) }.joined(separator: "、"))
            }
            let ratings = feedback.ratings.map {
                PostView(
                    id: "", user: $0.user, tenant: names[$0.tenant] ?? $0.tenant, text: "", at: format.time($0.at), official: false,
                    stars: String(repeating: "★", count: $0.stars) + String(repeating: "☆", count: 5 - $0.stars), comment: $0.comment, answers: [])
            }
            let questions = feedback.questions.map { thread in
                PostView(
                    id: thread.question.id, user: thread.question.user, tenant: thread.question.tenant ?? "", text: thread.question.text,
                    at: format.time(thread.question.at), official: thread.question.official, stars: "", comment: nil,
                    answers: thread.answers.map {
                        PostView(id: $0.id, user: $0.user, tenant: $0.tenant ?? "", text: $0.text, at: format.time($0.at), official: $0.official, stars: "", comment: nil, answers: [])
                    })
            }
            let workload = entry.workloadKind
            let view = EntryView(
                href: row.href, code: entry.code, description: entry.description, kind: row.kind,
                resources: format.resources(entry.resources, gpuMilli: entry.gpu.map { Int64($0.count) * Int64($0.milliPerGPU) } ?? 0), place: row.place,
                sharing: row.sharing, level: row.level, owner: row.owner, rating: row.rating, sharingHint: format.word("sharingHint", entry.sharing.rawValue),
                price: { let (amount, currency) = call.scheduler.hourlyPrice(of: entry); return call.language("perHour", format.money(amount, currency: currency)) }(),
                version: entry.version, gpuModel: entry.gpu.map { $0.models.isEmpty ? call.language("anyModel") : $0.models.joined(separator: ", ") },
                mayApply: entry.userKinds.map { $0.map { format.word("kindOfUser", $0.rawValue) }.joined(separator: "、") } ?? call.language("everyone"),
                canApply: call.me.mayAtAll(.applyForResources) && cannotApply == nil, cannotApply: call.me.mayAtAll(.applyForResources) ? cannotApply : nil,
                applyKey: Token.generate(prefix: "portal"), asksImage: workload == nil || workload == .vm, asksCommand: workload == nil || workload == .service,
                canRate: call.scheduler.mayRate(entry: entry.code, by: call.me), starChoices: (1...5).reversed().map { Choice(value: "\($0)", label: String(repeating: "★", count: $0), selected: $0 == 5) },
                ratings: ratings, canPost: true, questions: questions)
            return .page("entry", title: entry.name, view)
        },
        .post("/catalog/:code/rating", fields: ["stars", "comment"]) { call in
            let code = call.path("code")
            let stars = try call.number("stars", in: 1...5)
            _ = try call.scheduler.rate(entry: code, stars: Int(stars), comment: call.optional("comment"), by: call.me)
            return .redirect(href(code), flash: .init(ok: true, text: call.language("rated")))
        },
        .post("/catalog/:code/questions", fields: ["text", "question"]) { call in
            let code = call.path("code")
            _ = try call.scheduler.post(entry: code, question: call.optional("question"), text: try call.required("text"), by: call.me)
            return .redirect(href(code) + "#questions-heading", flash: .init(ok: true, text: call.language("posted")))
        },
        .post("/applications", fields: ["entry", "key", "purpose", "industry", "scenario", "quantity", "durationHours", "image", "command"], textAreas: ["purpose"]) { call in
            let entry = try call.required("entry")
            let quantity = try call.number("quantity", in: 1...Int64(Limits.maxReplicas))
            let hours = try call.number("durationHours", in: 1...Limits.maxLeaseSeconds / 3_600)
            var request: RequestSpec?
            if let image = call.optional("image") {
                guard call.optional("command") == nil else { throw ServiceError.unprocessable("command", "give a VM image or a service command, not both") }
                request = RequestSpec(kind: .vm, workload: WorkloadSpec(vm: VirtualMachineSpec(image: image)))
            } else if let command = call.optional("command") {
                request = RequestSpec(kind: .service, workload: WorkloadSpec(service: ServiceSpec(command: command.split(separator: " ").map(String.init))))
            }
            let input = ApplicationInput(
                purpose: try call.required("purpose"), industry: call.optional("industry"), scenario: call.optional("scenario"), durationSeconds: hours * 3_600,
                items: [ApplicationItem(entry: entry, quantity: Int(quantity), request: request)])
            let result = try call.scheduler.apply(input, idempotencyKey: call.optional("key"), by: call.me)
            let id = result.application.id
            return .redirect(ApplicationPages.href(id), flash: .init(ok: true, text: call.language("applied", id)))
        },
    ]

    static func href(_ code: String) -> String { "/catalog/" + PortalServer.percentEncoded(code) }

    static func row(_ entry: CatalogEntry, rating: RatingSummary?, names: [String: String], format: PortalFormat) -> EntryRow {
        let place = [entry.nodeClass.map(format.nodeClass), entry.site, entry.partition == "public" ? nil : entry.partition].compactMap { $0 }
        return EntryRow(
            href: href(entry.code), code: entry.code, name: entry.name, kind: format.word("kind", entry.kind.rawValue),
            place: place.isEmpty ? format.language("anywhere") : place.joined(separator: " · "), sharing: format.word("sharing", entry.sharing.rawValue),
            level: "\(entry.securityLevel)", owner: entry.owner.map { names[$0] ?? $0 } ?? format.language("platform"), rating: format.rating(rating))
    }
}
