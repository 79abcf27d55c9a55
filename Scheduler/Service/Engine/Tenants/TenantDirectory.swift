/// Who may use what: tenants, their users, the grants that open partitions and restricted catalog
/// entries to them, and the catalog itself.
struct TenantDirectory: Sendable {
    var tenants: [String: Tenant]
    var users: [String: User]
    var grants: [String: Grant]
    /// Grants whose expiry has been acted on.
    var expiredGrants: Set<String> = []
    /// The resource catalog by code.
    var catalog: [String: CatalogEntry] = [:]

    init(_ snapshot: StoreSnapshot) {
        tenants = Dictionary(uniqueKeysWithValues: snapshot.tenants.map { ($0.id, $0) })
        users = Dictionary(uniqueKeysWithValues: snapshot.users.map { ($0.id, $0) })
        grants = Dictionary(uniqueKeysWithValues: snapshot.grants.map { ($0.id, $0) })
        catalog = Dictionary(uniqueKeysWithValues: snapshot.catalog.map { ($0.code, $0) })
    }

    /// Whether `tenant` holds a live grant for `partition`; the public partition needs none.
    func mayUse(partition: String, tenant: String, at now: Double) -> Bool {
        partition == "public" || grants.values.contains { $0.tenant == tenant && $0.expiresAt > now && $0.partition == partition }
    }

    /// Whether `tenant` holds a live grant listing the restricted catalog entry `code`.
    func mayUse(entry code: String, tenant: String, at now: Double) -> Bool {
        grants.values.contains { $0.tenant == tenant && $0.expiresAt > now && $0.entries?.contains(code) == true }
    }

    /// Whether the grants `tenant` holds still cover an open request: its partition and its
    /// restricted entry, if any.
    func covers(_ record: RequestRecord, at now: Double) -> Bool {
        mayUse(partition: record.spec.partition, tenant: record.tenant, at: now)
            && (record.restrictedEntry.map { mayUse(entry: $0, tenant: record.tenant, at: now) } ?? true)
    }
}
