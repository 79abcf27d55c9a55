/// Every page and form of the portal, by the part of the pipeline a user walks: signing in, the
/// catalog, the workbench, applications and approvals, operations, search.
enum PortalRoutes {
    static let all: [PortalRoute] =
        SignInPages.routes + CatalogPages.routes + WorkbenchPages.routes + ApplicationPages.routes + OperationsPages.routes + SearchPages.routes
}
