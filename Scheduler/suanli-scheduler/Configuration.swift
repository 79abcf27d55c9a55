import ArgumentParser
import Foundation
import Placement
import SchedulerConnections
import SchedulerHTTP
import SchedulerPostgres
import SchedulerService
import SchedulerSQLite

/// Everything `serve` needs, from the defaults, then the configuration file, then the environment,
/// then the flags, each overriding the one before; every value checked, naming where it came from.
struct Settings {
    var dataDir = "suanli-data"
    var httpHost = "127.0.0.1"
    var httpPort = 8420
    var grpcPort = 8421
    var tlsCertificate: String?
    var tlsKey: String?
    var durability = SQLiteStore.Durability.process
    /// A PostgreSQL store shared with other schedulers (`postgres://USER@HOST:PORT/DB`); nil keeps
    /// SQLite in the data directory.
    var store: String?
    var lease = LeaseSettings()
    /// This scheduler's URL for standbys passing calls on; nil: the address it listens on.
    var advertiseURL: String?
    var scheduler = SchedulerConfig()
    /// Both ports together; nil derives it from the descriptor limit.
    var maxConnections: Int?
    /// A connection that sends no complete request head (after opening or after its last response)
    /// for this long, or pauses this long within a body, is closed.
    var requestHeaderTimeoutSeconds = 10.0
    /// A request body must arrive in full within this long of its head.
    var requestBodyTimeoutSeconds = 60.0
    /// An agent's connection with no RPC in flight for this long is closed (the agent reconnects).
    var agentIdleTimeoutSeconds = 300.0

    /// Applies the configuration file at `path`; an unknown key or a bad value stops the start with
    /// the file, the line and the key.
    mutating func apply(file path: String) throws {
        let bytes: [UInt8]
        do { bytes = Array(try Data(contentsOf: URL(fileURLWithPath: path))) } catch {
            throw ValidationError("cannot read the configuration file \(path): \(error.localizedDescription)")
        }
        let node: JSONNode
        let file: ConfigFile
        do {
            node = try JSONNode.parse(bytes)
            file = try StrictJSON.decode(ConfigFile.self, from: node)
        } catch {
            throw ValidationError("\(path): \(error)")
        }
        do {
            try apply(file)
        } catch {
            let line = node.line(ofKey: error.key) ?? 1
            throw ValidationError("\(path): line \(line): field '\(error.key)': \(error.message)")
        }
    }

    mutating func apply(_ file: ConfigFile) throws(ConfigValueError) {
        if let value = file.dataDir { dataDir = try Self.nonEmpty(value, "dataDir") }
        if let value = file.httpHost { httpHost = try Self.nonEmpty(value, "httpHost") }
        if let value = file.httpPort { httpPort = try Self.port(value, "httpPort") }
        if let value = file.grpcPort { grpcPort = try Self.port(value, "grpcPort") }
        if let value = file.tlsCertificate { tlsCertificate = try Self.nonEmpty(value, "tlsCertificate") }
        if let value = file.tlsKey { tlsKey = try Self.nonEmpty(value, "tlsKey") }
        if let value = file.durability { durability = value }
        if let value = file.store { store = try Self.storeURL(value, "store") }
        if let value = file.leaseSeconds { lease.leaseSeconds = try Self.range(value, 1...600, "leaseSeconds") }
        if let value = file.leaseRenewSeconds { lease.renewSeconds = try Self.range(value, 0.1...300, "leaseRenewSeconds") }
        // The lease's renewal must come well within the lease.
        guard lease.renewSeconds * 2 <= lease.leaseSeconds else {
            throw ConfigValueError(
                key: file.leaseRenewSeconds != nil ? "leaseRenewSeconds" : "leaseSeconds",
                message: "leaseRenewSeconds (\(lease.renewSeconds)) must be at most half of leaseSeconds (\(lease.leaseSeconds)): a leader renews at least twice per lease")
        }
        if let value = file.advertiseURL { advertiseURL = try Self.httpURL(value, "advertiseURL") }
        if let value = file.policy {
            do { _ = try PolicyRegistry.policy(spec: value) } catch { throw ConfigValueError(key: "policy", message: error.message) }
            scheduler.policy = value
        }
        if let value = file.seed { scheduler.seed = value }
        if let value = file.maxBatch { scheduler.maxBatch = try Self.range(value, 1...10_000, "maxBatch") }
        if let value = file.maxRetries { scheduler.maxRetries = try Self.range(value, 0...100, "maxRetries") }
        if let value = file.retryBackoffSeconds { scheduler.retryBackoffSeconds = try Self.range(value, 0...86_400, "retryBackoffSeconds") }
        if let value = file.decisionsPerCommit { scheduler.decisionsPerCommit = try Self.range(value, 1...100_000, "decisionsPerCommit") }
        if let value = file.queueDepth { scheduler.queueDepth = try Self.range(value, 1...1_000_000, "queueDepth") }
        if let value = file.topology { (scheduler.sites, scheduler.links) = try value.declarations() }
        if let value = file.storagePools { scheduler.storagePools = try ConfigFile.pools(value) }
        if let value = file.idleCPUShare { scheduler.idle.cpuShare = try Self.range(value, 0...1, "idleCPUShare") }
        if let value = file.idleSeconds { scheduler.idle.idleSeconds = try Self.seconds(value, "idleSeconds") }
        if let value = file.idleNoticeSeconds { scheduler.idle.noticeSeconds = try Self.seconds(value, "idleNoticeSeconds") }
        if let value = file.reclaimIdleByDefault { scheduler.idle.reclaimByDefault = value }
        if let value = file.scalingIntervalSeconds { scheduler.scalingIntervalSeconds = try Self.range(value, 1...3600, "scalingIntervalSeconds") }
        if let value = file.heartbeatIntervalSeconds { scheduler.health.heartbeatInterval = try Self.range(value, 1...3600, "heartbeatIntervalSeconds") }
        if let value = file.maxConnections { maxConnections = try Self.range(value, 16...10_000_000, "maxConnections") }
        if let value = file.requestHeaderTimeoutSeconds { requestHeaderTimeoutSeconds = try Self.range(value, 1...3600, "requestHeaderTimeoutSeconds") }
        if let value = file.requestBodyTimeoutSeconds { requestBodyTimeoutSeconds = try Self.range(value, 1...3600, "requestBodyTimeoutSeconds") }
        if let value = file.prices {
            do { scheduler.prices = try value.priceList(field: "prices.") } catch { throw ConfigValueError(key: error.field ?? "prices", message: error.message) }
        }
        if let value = file.meteringRetentionDays { scheduler.meteringRetentionDays = try Self.range(value, 1...36_600, "meteringRetentionDays") }
        if let value = file.agentIdleTimeoutSeconds { agentIdleTimeoutSeconds = try Self.range(value, 10...86_400, "agentIdleTimeoutSeconds") }
        if let value = file.webhookPrivateAddresses { scheduler.webhookPrivateAddresses = value }
    }

    /// A `postgres://` URL, checked.
    static func storeURL(_ value: String, _ key: String) throws(ConfigValueError) -> String {
        do { _ = try PostgresAddress(url: value) } catch { throw ConfigValueError(key: key, message: error.message.replacingOccurrences(of: "store: ", with: "")) }
        return value
    }

    /// An `http://` or `https://` URL with a host others can reach (not 0.0.0.0 or ::), a port
    /// from 1 to 65535 if any, and no path.
    static func httpURL(_ value: String, _ key: String) throws(ConfigValueError) -> String {
        let refusal = ConfigValueError(key: key, message: "must be an http:// or https:// URL with a host the other schedulers reach and no path, like http://10.1.2.3:8420, got '\(value)'")
        // The port as written: URLComponents wraps one above 65535.
        guard let url = URLComponents(string: value), ["http", "https"].contains(url.scheme ?? ""), let host = url.host, !host.isEmpty,
              !["0.0.0.0", "::", "[::]"].contains(host), ["", "/"].contains(url.path), url.query == nil, url.fragment == nil,
              url.user == nil, url.rangeOfPort.map({ Int(value[$0]).map { (1...65535).contains($0) } ?? false }) ?? true
        else { throw refusal }
        return value.hasSuffix("/") ? String(value.dropLast()) : value
    }

    static func nonEmpty(_ value: String, _ key: String) throws(ConfigValueError) -> String {
        guard !value.isEmpty, !value.contains("\0") else { throw ConfigValueError(key: key, message: "must not be empty") }
        return value
    }

    static func port(_ value: Int, _ key: String) throws(ConfigValueError) -> Int {
        try range(value, 0...65535, key)
    }

    static func seconds(_ value: Double, _ key: String) throws(ConfigValueError) -> Double {
        try range(value, 1...(366 * 86_400), key)
    }

    static func range<T: Comparable>(_ value: T, _ range: ClosedRange<T>, _ key: String) throws(ConfigValueError) -> T {
        guard range.contains(value) else {
            throw ConfigValueError(key: key, message: "must be between \(range.lowerBound) and \(range.upperBound), got \(value)")
        }
        return value
    }

    /// The TLS files when both are set; an error naming the missing one when only one is.
    func tls() throws -> (certificateChain: String, privateKey: String)? {
        switch (tlsCertificate, tlsKey) {
        case (nil, nil): return nil
        case (let certificate?, let key?):
            for (name, path) in [("tlsCertificate", certificate), ("tlsKey", key)] where !FileManager.default.isReadableFile(atPath: path) {
                throw ValidationError("\(name): cannot read \(path)")
            }
            return (certificate, key)
        case (nil, _): throw ValidationError("tlsCertificate (--tls-cert) is needed with tlsKey")
        case (_, nil): throw ValidationError("tlsKey (--tls-key) is needed with tlsCertificate")
        }
    }
}

/// A configuration value out of its range, by key.
struct ConfigValueError: Error {
    var key: String
    var message: String
}

/// The configuration file (JSON): every key optional, every unknown key refused.
struct ConfigFile: Decodable {
    var dataDir: String?
    var httpHost: String?
    var httpPort: Int?
    var grpcPort: Int?
    var tlsCertificate: String?
    var tlsKey: String?
    var durability: SQLiteStore.Durability?
    /// `postgres://USER@HOST:PORT/DB`: several schedulers on one PostgreSQL store.
    var store: String?
    var leaseSeconds: Double?
    var leaseRenewSeconds: Double?
    var advertiseURL: String?
    var policy: String?
    var seed: UInt64?
    var maxBatch: Int?
    var maxRetries: Int?
    var retryBackoffSeconds: Double?
    var decisionsPerCommit: Int?
    var queueDepth: Int?
    var topology: TopologyFile?
    var storagePools: [StoragePoolFile]?
    var idleCPUShare: Double?
    var idleSeconds: Double?
    var idleNoticeSeconds: Double?
    var reclaimIdleByDefault: Bool?
    /// Seconds between evaluations of scaling policies (default 15).
    var scalingIntervalSeconds: Double?
    var heartbeatIntervalSeconds: Double?
    var maxConnections: Int?
    var requestHeaderTimeoutSeconds: Double?
    var requestBodyTimeoutSeconds: Double?
    var agentIdleTimeoutSeconds: Double?
    /// The price list (`PriceListSpec`); published at a start when it differs from the latest.
    var prices: PriceListSpec?
    var meteringRetentionDays: Double?
    /// Lets webhooks go to loopback, private and link-local addresses (default false).
    var webhookPrivateAddresses: Bool?

    /// `{"sites": [{"id": "district-1", "region": "north"}, {"id": "edge-7"}],
    ///   "links": [{"from": "district-1", "to": "edge-7", "latencyMs": 1.5}]}`.
    struct TopologyFile: Decodable {
        var sites: [SiteFile]?
        var links: [LinkFile]?

        struct SiteFile: Decodable {
            var id: String
            var region: String?
            var description: String?
        }

        struct LinkFile: Decodable {
            var from: String
            var to: String
            var latencyMs: Double
        }

        func declarations() throws(ConfigValueError) -> ([Site], [SiteLink]) {
            var sites: [Site] = []
            for (i, site) in (self.sites ?? []).enumerated() {
                guard Identifier.isValid(site.id) else { throw ConfigValueError(key: "topology.sites[\(i)].id", message: Identifier.rule) }
                if let region = site.region, !Identifier.isValid(region) { throw ConfigValueError(key: "topology.sites[\(i)].region", message: Identifier.rule) }
                if let description = site.description, !DisplayText.isValid(description, maxLength: 4000) {
                    throw ConfigValueError(key: "topology.sites[\(i)].description", message: "at most 4000 characters, none a control character")
                }
                guard !sites.contains(where: { $0.id == site.id }) else { throw ConfigValueError(key: "topology.sites[\(i)].id", message: "'\(site.id)' appears twice") }
                sites.append(Site(id: site.id, region: site.region, description: site.description))
            }
            var links: [SiteLink] = []
            for (i, link) in (self.links ?? []).enumerated() {
                for (field, site) in [("from", link.from), ("to", link.to)] where !Identifier.isValid(site) {
                    throw ConfigValueError(key: "topology.links[\(i)].\(field)", message: Identifier.rule)
                }
                guard link.from != link.to else { throw ConfigValueError(key: "topology.links[\(i)].to", message: "a link joins two different sites") }
                guard link.latencyMs.isFinite, (0...Limits.maxLatencyMs).contains(link.latencyMs) else {
                    throw ConfigValueError(key: "topology.links[\(i)].latencyMs", message: "must be between 0 and \(Int(Limits.maxLatencyMs)) milliseconds")
                }
                links.append(SiteLink(from: link.from, to: link.to, latencyMs: link.latencyMs))
            }
            return (sites, links)
        }
    }

    /// `{"id": "pool-1", "site": "district-1", "kind": "block", "capacityGiB": 10240, "partition": "public"}`.
    struct StoragePoolFile: Decodable {
        var id: String
        var site: String
        var kind: StorageKind
        var capacityGiB: Int64
        var partition: String?
    }

    static func pools(_ pools: [StoragePoolFile]) throws(ConfigValueError) -> [StoragePool] {
        var seen: Set<String> = []
        return try pools.enumerated().map { (i, pool) throws(ConfigValueError) in
            for (field, name) in [("id", pool.id), ("site", pool.site), ("partition", pool.partition ?? "public")] where !Identifier.isValid(name) {
                throw ConfigValueError(key: "storagePools[\(i)].\(field)", message: Identifier.rule)
            }
            guard seen.insert(pool.id).inserted else { throw ConfigValueError(key: "storagePools[\(i)].id", message: "'\(pool.id)' appears twice") }
            guard (1...Resources.maximumAmount).contains(pool.capacityGiB) else {
                throw ConfigValueError(key: "storagePools[\(i)].capacityGiB", message: "must be between 1 and \(Resources.maximumAmount) GiB")
            }
            return StoragePool(id: pool.id, site: pool.site, kind: pool.kind, capacityGiB: pool.capacityGiB, partition: pool.partition ?? "public")
        }
    }
}

extension SQLiteStore.Durability: KnownValues {}

extension JSONNode {
    /// The line of the value at a dotted key path with `[i]` indexes, for messages.
    func line(ofKey path: String) -> Int? {
        var node = self
        for part in path.split(separator: ".") {
            var name = Substring(part)
            var indexes: [Int] = []
            while let open = name.lastIndex(of: "["), let index = Int(name[name.index(after: open)...].dropLast()) {
                indexes.insert(index, at: 0)
                name = name[..<open]
            }
            guard case .object(let members) = node.value, let member = members.first(where: { $0.key == name }) else { return nil }
            node = member.value
            for index in indexes {
                guard case .array(let elements) = node.value, elements.indices.contains(index) else { return nil }
                node = elements[index]
            }
        }
        return node.line
    }
}
