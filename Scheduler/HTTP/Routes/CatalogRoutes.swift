import Hummingbird
import Placement
import SchedulerService

/// The unified resource catalog: offerings and components.
enum CatalogRoutes {
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
                return try JSON.response(["entries": try call.scheduler.catalog(query, by: call.caller).map(CatalogEntryView.init)])
            },
            Endpoint(Operation(
                .get, "/v1/catalog/{code}", id: "getCatalogEntry", summary: "A catalog entry", tag: "catalog", permission: .readCatalog,
                pathParameters: [codeParameter], success: [.json(200, "CatalogEntry", "The entry.")])) { call in
                try JSON.response(CatalogEntryView(try call.scheduler.catalogEntry(code: call.path("code"), by: call.caller)))
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
