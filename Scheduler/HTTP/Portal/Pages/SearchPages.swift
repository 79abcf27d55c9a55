import Foundation
import SchedulerService

/// One search over everything the caller may read: catalog entries, applications, requests and
/// nodes, by name, code, department, tag or content.
enum SearchPages {
    struct Hit {
        var kind: String
        var title: String
        var href: String
        var department: String?
    }

    struct SearchView {
        var query: String
        var searched: Bool
        /// Why the words could not be searched for (one character, too many words).
        var problem: String?
        var hits: [Hit]
    }

    static let routes: [PortalRoute] = [
        .get("/search", query: ["q"]) { call in
            let format = PortalFormat(language: call.language)
            let query = call.queryValue("q")
            var hits: [Hit] = []
            var problem: String?
            if let query {
                do {
                    let names = call.scheduler.tenantNames()
                    hits = try call.scheduler.search(text: query, limit: 100, by: call.me).map { hit in
                        Hit(kind: format.word("search", hit.kind.rawValue), title: hit.title, href: href(hit), department: hit.department.map { names[$0] ?? $0 })
                    }
                } catch let error as ServiceError where error.code == .unprocessable {
                    // Said beside the search box, which keeps what was typed.
                    problem = error.message
                }
            }
            return .page(
                "search", title: call.language("nav.search"), SearchView(query: query ?? "", searched: query != nil && problem == nil, problem: problem, hits: hits))
        }
    ]

    private static func href(_ hit: SearchHit) -> String {
        switch hit.kind {
        case .catalog: CatalogPages.href(hit.key)
        case .application: ApplicationPages.href(hit.key)
        case .request: WorkbenchPages.href(ofRequest: hit.key)
        case .node: "/operations#node-" + PortalServer.percentEncoded(hit.key)
        }
    }
}
