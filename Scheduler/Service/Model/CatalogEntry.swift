import Crypto
import Foundation
import Placement

/// An entry of the unified resource catalog: a resource offering (a shape of capacity a class of
/// nodes provides at a site and partition) or a software component (a versioned workload with a
/// resource profile that requests naming it inherit). Each has a unique, standardized code.
public struct CatalogEntry: Sendable, Hashable, Codable {
    public enum Kind: String, Sendable, Hashable, Codable, CaseIterable {
        case offering, component
    }

    /// `SL-OFR-CLASS-NAME` or `SL-CMP-CLASS-NAME-VVERSION`, upper case: assigned at registration
    /// and never changed (see `code(kind:nodeClass:name:version:)`).
    public var code: String
    public var kind: Kind
    public var name: String
    /// Components only.
    public var version: String?
    public var description: String
    /// The node class it runs on or is offered by; nil for any.
    public var nodeClass: NodeClass?
    public var site: String?
    public var partition: String
    /// Search labels: they describe the entry and never constrain placement.
    public var labels: [String: String]
    /// Labels a node must carry to run the component.
    public var requiredLabels: [String: String]
    /// The shape offered, or the component's default profile per replica.
    public var resources: Resources
    public var gpu: GPURequest?
    /// What a component runs as.
    public var workloadKind: WorkloadKind?
    /// How requests running a component scale unless they say otherwise.
    public var scaling: ScalingPolicy?
    /// Who may use it: open entries need no grant, the others a live grant listing the code.
    public var sharing: Sharing
    /// Its protection level: users below it may not apply for it (`SecurityLevel`).
    public var securityLevel: Int
    /// The department (tenant) that owns it and approves its use; nil for the platform's own.
    public var owner: String?
    /// The kinds of users that may apply for it; nil for every kind.
    public var userKinds: [UserKind]?
    /// Retired entries take no new use; what uses them runs to its end.
    public var retired: Bool
    public var registeredAt: Double
    public var registeredBy: String

    public init(
        code: String, kind: Kind, name: String, version: String?, description: String, nodeClass: NodeClass?, site: String?, partition: String,
        labels: [String: String], requiredLabels: [String: String], resources: Resources, gpu: GPURequest?, workloadKind: WorkloadKind?,
        sharing: Sharing = .open, securityLevel: Int = 1, owner: String? = nil, userKinds: [UserKind]? = nil, retired: Bool = false,
        registeredAt: Double, registeredBy: String
    ) {
        self.code = code
        self.kind = kind
        self.name = name
        self.version = version
        self.description = description
        self.nodeClass = nodeClass
        self.site = site
        self.partition = partition
        self.labels = labels
        self.requiredLabels = requiredLabels
        self.resources = resources
        self.gpu = gpu
        self.workloadKind = workloadKind
        self.sharing = sharing
        self.securityLevel = securityLevel
        self.owner = owner
        self.userKinds = userKinds
        self.retired = retired
        self.registeredAt = registeredAt
        self.registeredBy = registeredBy
    }

    enum CodingKeys: String, CodingKey {
        case code, kind, name, version, description, nodeClass, site, partition, labels, requiredLabels, resources, gpu, workloadKind
        case sharing, securityLevel, owner, userKinds, retired, registeredAt, registeredBy
    }

    /// What entries stored before `sharing` existed said instead.
    private enum LegacyKeys: String, CodingKey { case restricted }

    /// Whether using it needs a grant listing its code.
    public var needsGrant: Bool { sharing != .open }

    /// Entries stored before `requiredLabels`, `retired` and the access attributes existed read as
    /// having no required labels, live, at level 1 with no owner; a `restricted` one as restricted.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        code = try c.decode(String.self, forKey: .code)
        kind = try c.decode(Kind.self, forKey: .kind)
        name = try c.decode(String.self, forKey: .name)
        version = try c.decodeIfPresent(String.self, forKey: .version)
        description = try c.decode(String.self, forKey: .description)
        nodeClass = try c.decodeIfPresent(NodeClass.self, forKey: .nodeClass)
        site = try c.decodeIfPresent(String.self, forKey: .site)
        partition = try c.decode(String.self, forKey: .partition)
        labels = try c.decode([String: String].self, forKey: .labels)
        requiredLabels = try c.decodeIfPresent([String: String].self, forKey: .requiredLabels) ?? [:]
        resources = try c.decode(Resources.self, forKey: .resources)
        gpu = try c.decodeIfPresent(GPURequest.self, forKey: .gpu)
        workloadKind = try c.decodeIfPresent(WorkloadKind.self, forKey: .workloadKind)
        let legacyRestricted = try decoder.container(keyedBy: LegacyKeys.self).decodeIfPresent(Bool.self, forKey: .restricted) ?? false
        sharing = try c.decodeIfPresent(Sharing.self, forKey: .sharing) ?? (legacyRestricted ? .restricted : .open)
        securityLevel = try c.decodeIfPresent(Int.self, forKey: .securityLevel) ?? 1
        owner = try c.decodeIfPresent(String.self, forKey: .owner)
        userKinds = try c.decodeIfPresent([UserKind].self, forKey: .userKinds)
        retired = try c.decodeIfPresent(Bool.self, forKey: .retired) ?? false
        registeredAt = try c.decode(Double.self, forKey: .registeredAt)
        registeredBy = try c.decode(String.self, forKey: .registeredBy)
    }

    /// The standardized code for an entry of `kind`, `nodeClass`, `name` and `version`: the name
    /// in Latin letters (names in other scripts transliterated, e.g. 视频分析 as SHI-PIN-FEN-XI),
    /// letters and digits upper-cased, every other run of characters one hyphen. `taken` says
    /// whether a code belongs to another entry already: two names that read the same (homophones,
    /// or names differing only in case or punctuation) are told apart by a short hash of the name.
    public static func code(kind: Kind, nodeClass: NodeClass?, name: String, version: String?, taken: (String) -> Bool = { _ in false }) -> String {
        var parts = ["SL", kind == .offering ? "OFR" : "CMP", (nodeClass?.rawValue ?? "any").uppercased()]
        let readable = normalized(transliterated(name))
        if !readable.isEmpty { parts.append(readable) }
        let versionPart = version.map { "V" + normalized($0) }
        var code = (parts + (versionPart.map { [$0] } ?? [])).joined(separator: "-")
        if readable.isEmpty || taken(code) {
            let digest = SHA256.hash(data: Array(name.utf8)).prefix(3).map { String($0, radix: 16, uppercase: true).leftPadded(to: 2) }.joined()
            code = (parts + ["H" + digest] + (versionPart.map { [$0] } ?? [])).joined(separator: "-")
        }
        return code
    }

    /// `text` in Latin letters without diacritics (ICU's Any-Latin, then Latin-ASCII).
    static func transliterated(_ text: String) -> String {
        guard !text.unicodeScalars.allSatisfy(\.isASCII) else { return text }
        let latin = text.applyingTransform(.toLatin, reverse: false) ?? text
        return latin.applyingTransform(.stripDiacritics, reverse: false) ?? latin
    }

    /// ASCII letters and digits upper-cased, every other run of characters one hyphen.
    static func normalized(_ text: String) -> String {
        var out = ""
        var pendingHyphen = false
        for scalar in text.unicodeScalars {
            if scalar.isASCII, scalar.properties.isAlphabetic || ("0"..."9").contains(scalar) {
                if pendingHyphen, !out.isEmpty { out.append("-") }
                out.unicodeScalars.append(scalar)
                pendingHyphen = false
            } else {
                pendingHyphen = true
            }
        }
        return out.uppercased()
    }

    /// The component as the placement core resolves requests against it.
    var component: ComponentEntry? {
        guard kind == .component, let version else { return nil }
        return ComponentEntry(
            name: name, version: version, kind: workloadKind ?? .component, resources: resources, gpu: gpu,
            allowedClasses: nodeClass.map { [$0] }, requiredLabels: requiredLabels, scaling: scaling)
    }
}

/// Which catalog entries to list: every given filter must match; `text` searches the code, name
/// and description, ignoring case.
public struct CatalogQuery: Sendable {
    public var kind: CatalogEntry.Kind?
    public var nodeClass: NodeClass?
    public var site: String?
    public var partition: String?
    public var label: (key: String, value: String)?
    public var text: String?
    /// Only retired entries (true) or only live ones (false); nil for both.
    public var retired: Bool?

    public init(
        kind: CatalogEntry.Kind? = nil, nodeClass: NodeClass? = nil, site: String? = nil, partition: String? = nil,
        label: (key: String, value: String)? = nil, text: String? = nil, retired: Bool? = nil
    ) {
        self.kind = kind
        self.nodeClass = nodeClass
        self.site = site
        self.partition = partition
        self.label = label
        self.text = text
        self.retired = retired
    }

    func matches(_ entry: CatalogEntry) -> Bool {
        if let kind, entry.kind != kind { return false }
        if let nodeClass, entry.nodeClass != nodeClass { return false }
        if let site, entry.site != site { return false }
        if let partition, entry.partition != partition { return false }
        if let label, entry.labels[label.key] != label.value { return false }
        if let retired, entry.retired != retired { return false }
        if let text, !text.isEmpty {
            let needle = text.lowercased()
            if [entry.code, entry.name, entry.description].contains(where: { $0.lowercased().contains(needle) }) { return true }
            // Also as a code would write it: `shi pin` and `视频` find SL-…-SHI-PIN-….
            let coded = CatalogEntry.normalized(CatalogEntry.transliterated(text))
            return !coded.isEmpty && entry.code.contains(coded)
        }
        return true
    }
}

extension String {
    public func leftPadded(to width: Int) -> String { String(repeating: "0", count: max(0, width - count)) + self }
}
