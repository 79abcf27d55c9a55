import Hummingbird
import Logging
import SchedulerService

/// The HTTP/JSON API: every operation is stated once (`Operation`), served with its input checked
/// against the contract, and rendered into the OpenAPI document at `/v1/openapi.json`.
public enum SchedulerAPI {
    /// Every endpoint, in the document's order.
    static let endpoints: [Endpoint] =
        RequestRoutes.endpoints + NodeRoutes.endpoints + InfrastructureRoutes.endpoints + CatalogRoutes.endpoints + TenantRoutes.endpoints + AccountRoutes.endpoints + OperationRoutes.endpoints
        + ApplicationRoutes.endpoints + NotificationRoutes.endpoints
        + ProbeRoutes.endpoints

    /// The schemas every body is checked against.
    static let contract = SchemaRegistry(Components.all)

    /// The operations, for the document and for callers that list them (tests).
    public static var operations: [Operation] { endpoints.map(\.operation) }

    /// The OpenAPI 3.1 document.
    public static let openAPIDocument: [UInt8] = OpenAPIDocument.render(operations: operations, components: Components.all, examples: Components.examples, version: version)

    /// The API's version, in the document.
    public static let version = "1.1.0"

    /// The router with every route. `ready` answers `/readyz`.
    public static func router(
        scheduler: Scheduler, ready: @escaping @Sendable () -> Bool = { true }, logger: Logger = Logger(label: "suanli.http")
    ) -> Router<APIContext> {
        let router = Router(context: APIContext.self)
        router.add(middleware: ErrorBodies(operations: operations, logger: logger))
        let contract = contract
        for endpoint in endpoints {
            router.on(RouterPath(endpoint.operation.routerPath), method: endpoint.operation.method) { request, context in
                try await endpoint.serve(request, context: context, scheduler: scheduler, ready: ready, contract: contract)
            }
        }
        return router
    }
}
