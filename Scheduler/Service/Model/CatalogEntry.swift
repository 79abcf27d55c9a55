import Placement

/// An entry of the unified resource catalog: a resource offering (a shape of capacity a class of
/// nodes provides at a site and partition) or a software component (a versioned workload with a
/// resource profile that requests naming it inherit). Each has a unique, standardized code.
public struct CatalogEntry: Sendable, Hashable, Codable {
    public enum Kind: String, Sendable, Hashable, Codable, CaseIterable {
        case offering, component
    }

    /// `SL-OFR-CLASS-NAME` or `SL-CMP-CLASS-NAME-VVERSION`, upper case: assigned at registration.
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
    public var labels: [String: String]
    /// The shape offered, or the component's default profile per replica.
    public var resources: Resources
    public var gpu: GPURequest?
    /// What a component runs as.
    public var workloadKind: WorkloadKind?
    /// Only tenants with a live grant listing the code may use it.
    public var restricted: Bool
    public var registeredAt: Double
    public var registeredBy: String

    /// The standardized code for an entry of `kind`, `nodeClass`, `name` and `version`: letters and
    /// digits upper-cased, every other run of characters one hyphen.
    public static func code(kind: Kind, nodeClass: NodeClass?, name: String, version: String?) -> String {
        func normalized(_ text: String) -> String {
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
        var parts = ["SL", kind == .offering ? "OFR" : "CMP", (nodeClass?.rawValue ?? "any").uppercased(), normalized(name)]
        if let version { parts.append("V" + normalized(version)) }
        return parts.joined(separator: "-")
    }

    /// The component as the placement core resolves requests against it.
    var component: ComponentEntry? {
        guard kind == .component, let version else { return nil }
        return ComponentEntry(
            name: name, version: version, kind: workloadKind ?? .component, resources: resources, gpu: gpu,
            allowedClasses: nodeClass.map { [$0] }, requiredLabels: labels)
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

    public init(kind: CatalogEntry.Kind? = nil, nodeClass: NodeClass? = nil, site: String? = nil, partition: String? = nil, label: (key: String, value: String)? = nil, text: String? = nil) {
        self.kind = kind
        self.nodeClass = nodeClass
        self.site = site
        self.partition = partition
        self.label = label
        self.text = text
    }

    func matches(_ entry: CatalogEntry) -> Bool {
        if let kind, entry.kind != kind { return false }
        if let nodeClass, entry.nodeClass != nodeClass { return false }
        if let site, entry.site != site { return false }
        if let partition, entry.partition != partition { return false }
        if let label, entry.labels[label.key] != label.value { return false }
        if let text, !text.isEmpty {
            let needle = text.lowercased()
            return [entry.code, entry.name, entry.description].contains { $0.lowercased().contains(needle) }
        }
        return true
    }
}
