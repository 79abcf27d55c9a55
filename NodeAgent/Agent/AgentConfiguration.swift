import Foundation

/// The agent's configuration file (JSON). Every field is optional; command-line flags override
/// it. See `NodeAgent/agent.example.json`.
public struct AgentConfiguration: Codable, Sendable, Equatable {
    /// `HOST:PORT` of the scheduler's gRPC endpoint, or several as `HOST:PORT,HOST:PORT,...` (schedulers sharing one store).
    public var scheduler: String?
    /// The bootstrap token, or a file holding it (`tokenFile`), for the first registration.
    public var token: String?
    public var tokenFile: String?
    /// A PEM file of certificates that sign the scheduler's: TLS when set.
    public var caFile: String?
    public var dataDir: String?
    /// The node's id in the catalog; the host name when unset.
    public var nodeID: String?
    /// general, ai, hpc or edge.
    public var nodeClass: String?
    public var site: String?
    public var region: String?
    public var partition: String?
    public var labels: [String: String]?
    /// A libvirt URI, or `none` for a node without virtual machines.
    public var libvirtURI: String?
    /// `libvirt` domain type (kvm, qemu); chosen from the host when unset.
    public var libvirtDomainType: String?
    /// A D-Bus address (`unix:path=...`), `system`, or `none` for a node without services.
    public var systemdBus: String?
    public var meteringIntervalSeconds: Double?
    public var reconcileIntervalSeconds: Double?
    /// How long a workload asked to stop may take before it is killed (default 30; 0 kills).
    public var stopGraceSeconds: Double?
    /// What the host keeps for itself and does not offer to the scheduler.
    public var reservedCPUMillis: Int64?
    public var reservedMemoryMiB: Int64?
    /// Disk offered (GiB); the data directory's file system size when unset.
    public var diskGiB: Int64?
    public var bandwidthMbps: Int64?
    /// The command that lists GPUs as `name, memory MiB` lines (nvidia-smi's CSV).
    public var gpuCommand: [String]?

    public init() {}

    enum CodingKeys: String, CodingKey, CaseIterable {
        case scheduler, token, tokenFile, caFile, dataDir, nodeID, nodeClass, site, region, partition, labels, libvirtURI
        case libvirtDomainType, systemdBus, meteringIntervalSeconds, reconcileIntervalSeconds, stopGraceSeconds
        case reservedCPUMillis, reservedMemoryMiB, diskGiB, bandwidthMbps, gpuCommand
    }

    /// Reads `path`; a malformed file, or one with a key the agent does not know (a typo would
    /// otherwise be ignored without a word), is reported with the file, the line and the field.
    public static func load(path: String) throws -> AgentConfiguration {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ConfigurationError("\(path): cannot read the file")
        }
        let configuration: AgentConfiguration
        do {
            configuration = try JSONDecoder().decode(AgentConfiguration.self, from: data)
        } catch let error as DecodingError {
            throw ConfigurationError("\(path): \(describe(error, in: data))")
        }
        if let unknown = unknownKey(in: data) { throw ConfigurationError("\(path): \(unknown)") }
        return configuration
    }

    /// The first top-level key that is not a setting, with its line and the setting it resembles.
    static func unknownKey(in data: Data) -> String? {
        guard let object = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] else { return nil }
        let known = CodingKeys.allCases.map(\.rawValue)
        let text = String(decoding: data, as: UTF8.self)
        let unknown = object.keys.filter { !known.contains($0) }.map { key -> (String, String.Index) in
            (key, text.range(of: "\"\(key)\"")?.lowerBound ?? text.endIndex)
        }
        guard let (key, position) = unknown.min(by: { $0.1 < $1.1 }) else { return nil }
        let line = text[..<position].reduce(1) { $1 == "\n" ? $0 + 1 : $0 }
        let near = known.filter { distance($0.lowercased(), key.lowercased()) <= 2 }.min { distance($0, key) < distance($1, key) }
        return "line \(line): field '\(key)': unknown field" + (near.map { "; did you mean '\($0)'?" } ?? "; known: \(known.joined(separator: ", "))")
    }

    /// Levenshtein distance, for "did you mean".
    static func distance(_ a: String, _ b: String) -> Int {
        let a = Array(a), b = Array(b)
        guard !a.isEmpty, !b.isEmpty else { return max(a.count, b.count) }
        var previous = Array(0...b.count)
        for i in 1...a.count {
            var current = [i] + Array(repeating: 0, count: b.count)
            for j in 1...b.count { current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1)) }
            previous = current
        }
        return previous[b.count]
    }

    private static func describe(_ error: DecodingError, in data: Data) -> String {
        func path(_ context: DecodingError.Context) -> String {
            context.codingPath.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }.joined(separator: ".")
        }
        switch error {
        case .typeMismatch(let type, let context): return "field '\(path(context))': expected \(type)"
        case .valueNotFound(let type, let context): return "field '\(path(context))': expected \(type), found null"
        case .keyNotFound(let key, _): return "field '\(key.stringValue)' is missing"
        case .dataCorrupted(let context):
            guard context.codingPath.isEmpty else { return "field '\(path(context))': \(context.debugDescription)" }
            // The decoder does not say where; JSONSerialization does ("around character N").
            var detail = "not valid JSON"
            do {
                _ = try JSONSerialization.jsonObject(with: data)
            } catch {
                let text = (error as NSError).userInfo[NSDebugDescriptionErrorKey] as? String ?? ""
                if let range = text.range(of: #"character \d+"#, options: .regularExpression), let offset = Int(text[range].dropFirst(10)) {
                    let line = data.prefix(offset).reduce(1) { $1 == UInt8(ascii: "\n") ? $0 + 1 : $0 }
                    detail = "line \(line): not valid JSON (\(text))"
                }
            }
            return detail
        @unknown default: return "\(error)"
        }
    }
}

public struct ConfigurationError: Error, CustomStringConvertible, Equatable {
    public var description: String
    public init(_ description: String) { self.description = description }
}
