import Hummingbird
import Placement
import SchedulerService

/// Sites, the latency between them, and storage pools.
enum InfrastructureRoutes {
    struct SiteBody: Decodable {
        var region: String?
        var description: String?
    }
    struct LinkBody: Decodable { var latencyMs: Double }
    struct PoolBody: Decodable {
        var id: String
        var site: String
        var kind: StorageKind
        var capacityGiB: Int64
        var partition: String?
    }
    struct PoolResize: Decodable { var capacityGiB: Int64 }

    struct SiteView: Encodable {
        var id: String
        var region: String?
        var description: String?
        var registered: Bool
        var nodes: Int
        var storagePools: Int

        init(_ status: SiteStatus) {
            id = status.site.id
            region = status.site.region
            description = status.site.description
            registered = status.registered
            nodes = status.nodes
            storagePools = status.storagePools
        }
    }
    struct PoolView: Encodable {
        var id: String
        var site: String
        var kind: StorageKind
        var partition: String
        var capacityGiB: Int64
        var usedGiB: Int64
        var retired: Bool

        init(_ status: StoragePoolStatus) {
            id = status.pool.id
            site = status.pool.site
            kind = status.pool.kind
            partition = status.pool.partition
            capacityGiB = status.pool.capacityGiB
            usedGiB = status.usedGiB
            retired = status.pool.retired
        }
    }

    static let siteParameter = Operation.Parameter("site", Components.identifier, "The site's id.")
    static let poolParameter = Operation.Parameter("id", Components.identifier, "The pool's id.")

    static var endpoints: [Endpoint] {
        [
            Endpoint(Operation(
                .get, "/v1/sites", id: "listSites", summary: "Sites: registered ones and those nodes or pools name", tag: "infrastructure",
                permission: .readNodes, success: [.json(200, "SiteList", "Sites by id.")])) { call in
                try JSON.response(["sites": try call.scheduler.sites(by: call.caller).map(SiteView.init)])
            },
            Endpoint(Operation(
                .put, "/v1/sites/{site}", id: "putSite", summary: "Register a site or change its region and description", tag: "infrastructure",
                permission: .manageNodes, pathParameters: [siteParameter], body: "SiteRegistration",
                success: [.json(201, "Site", "Registered."), .json(200, "Site", "Changed.")])) { call in
                let body = try call.body(SiteBody.self)
                let (site, created) = try call.scheduler.putSite(Site(id: call.path("site"), region: body.region, description: body.description), by: call.caller)
                let status = try call.scheduler.sites(by: call.caller).first { $0.site.id == site.id }!
                return try JSON.response(SiteView(status), status: created ? .created : .ok)
            },
            Endpoint(Operation(
                .delete, "/v1/sites/{site}", id: "removeSite", summary: "Remove a site no node or pool is at, with its links", tag: "infrastructure",
                permission: .manageNodes, pathParameters: [siteParameter],
                success: [Operation.Answer(status: 204, description: "Removed.", content: .none)], errors: [409])) { call in
                try call.scheduler.removeSite(call.path("site"), by: call.caller)
                return Response(status: .noContent)
            },
            Endpoint(Operation(
                .get, "/v1/links", id: "listLinks", summary: "Latencies between sites", tag: "infrastructure", permission: .readNodes,
                success: [.json(200, "LinkList", "Links by their sites.")])) { call in
                try JSON.response(["links": try call.scheduler.links(by: call.caller)])
            },
            Endpoint(Operation(
                .put, "/v1/links/{from}/{to}", id: "putLink", summary: "Set the round-trip latency between two sites (both ways)", tag: "infrastructure",
                permission: .manageNodes,
                pathParameters: [.init("from", Components.identifier, "One site."), .init("to", Components.identifier, "The other site.")],
                body: "LinkLatency", success: [.json(200, "Link", "The link.")], errors: [422])) { call in
                let body = try call.body(LinkBody.self)
                return try JSON.response(try call.scheduler.putLink(SiteLink(from: call.path("from"), to: call.path("to"), latencyMs: body.latencyMs), by: call.caller))
            },
            Endpoint(Operation(
                .delete, "/v1/links/{from}/{to}", id: "removeLink", summary: "Remove a link: the sites become unreachable from each other",
                tag: "infrastructure", permission: .manageNodes,
                pathParameters: [.init("from", Components.identifier, "One site."), .init("to", Components.identifier, "The other site.")],
                success: [Operation.Answer(status: 204, description: "Removed.", content: .none)])) { call in
                try call.scheduler.removeLink(from: call.path("from"), to: call.path("to"), by: call.caller)
                return Response(status: .noContent)
            },
            Endpoint(Operation(
                .get, "/v1/storage-pools", id: "listStoragePools", summary: "Storage pools with what their volumes take", tag: "infrastructure",
                permission: .readNodes, success: [.json(200, "StoragePoolList", "Pools by id.")])) { call in
                try JSON.response(["storagePools": try call.scheduler.storagePools(by: call.caller).map(PoolView.init)])
            },
            Endpoint(Operation(
                .post, "/v1/storage-pools", id: "registerStoragePool", summary: "Register a storage pool", tag: "infrastructure",
                permission: .manageNodes, body: "StoragePoolRegistration", success: [.json(201, "StoragePool", "Registered.")], errors: [409])) { call in
                let body = try call.body(PoolBody.self)
                let pool = StoragePool(id: body.id, site: body.site, kind: body.kind, capacityGiB: body.capacityGiB, partition: body.partition ?? "public")
                return try JSON.response(PoolView(try call.scheduler.registerStoragePool(pool, by: call.caller)), status: .created)
            },
            Endpoint(Operation(
                .get, "/v1/storage-pools/{id}", id: "getStoragePool", summary: "A storage pool", tag: "infrastructure", permission: .readNodes,
                pathParameters: [poolParameter], success: [.json(200, "StoragePool", "The pool.")])) { call in
                try JSON.response(PoolView(try call.scheduler.storagePool(call.path("id"), by: call.caller)))
            },
            Endpoint(Operation(
                .patch, "/v1/storage-pools/{id}", id: "resizeStoragePool", summary: "Change a pool's capacity (not below what its volumes take)",
                tag: "infrastructure", permission: .manageNodes, pathParameters: [poolParameter], body: "StoragePoolUpdate",
                success: [.json(200, "StoragePool", "The pool as changed.")], errors: [409])) { call in
                let body = try call.body(PoolResize.self)
                return try JSON.response(PoolView(try call.scheduler.resizeStoragePool(call.path("id"), capacityGiB: body.capacityGiB, by: call.caller)))
            },
            Endpoint(Operation(
                .post, "/v1/storage-pools/{id}/retire", id: "retireStoragePool", summary: "Retire a pool: no new volumes; those on it stay until released",
                tag: "infrastructure", permission: .manageNodes, pathParameters: [poolParameter], success: [.json(200, "StoragePool", "Retired.")])) { call in
                try JSON.response(PoolView(try call.scheduler.retireStoragePool(call.path("id"), by: call.caller)))
            },
            Endpoint(Operation(
                .delete, "/v1/storage-pools/{id}", id: "removeStoragePool", summary: "Remove a pool that holds no volume", tag: "infrastructure",
                permission: .manageNodes, pathParameters: [poolParameter],
                success: [Operation.Answer(status: 204, description: "Removed.", content: .none)], errors: [409])) { call in
                try call.scheduler.removeStoragePool(call.path("id"), by: call.caller)
                return Response(status: .noContent)
            },
        ]
    }
}
