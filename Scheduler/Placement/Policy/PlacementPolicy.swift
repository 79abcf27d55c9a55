/// How many feasible nodes the placer scores before it chooses.
public enum ScanLimit: Sendable, Hashable, Codable {
    /// Score every feasible node: the best packing, slowest on large clusters.
    case all
    /// Stop once this many feasible nodes were scored, visiting nodes from a seeded random start
    /// (kube-scheduler's percentageOfNodesToScore, Nomad's candidate limit).
    case feasible(Int)

    /// The default: enough candidates for good packing, bounded work at 100,000 nodes.
    public static let standard = ScanLimit.feasible(64)

    /// The most nodes to compare.
    var maximum: Int {
        switch self {
        case .all: .max
        case .feasible(let n): max(1, n)
        }
    }
}

/// A scorer and its weight in a policy.
public struct WeightedScorer: Sendable {
    public var scorer: any PlacementScorer
    public var weight: Double

    public init(_ scorer: any PlacementScorer, weight: Double) {
        self.scorer = scorer
        self.weight = weight
    }
}

/// A placement policy: weighted scorers and a scan limit. Filters are not part of a policy: every
/// policy obeys every constraint.
public struct PlacementPolicy: Sendable {
    public var name: String
    public var scorers: [WeightedScorer]
    public var scan: ScanLimit
    /// How many nodes with a workable set of victims preemption compares before choosing.
    public var preemptionCandidates: ScanLimit

    public init(name: String, scorers: [WeightedScorer], scan: ScanLimit = .standard, preemptionCandidates: ScanLimit = .feasible(16)) {
        self.name = name
        self.scorers = scorers
        self.scan = scan
        self.preemptionCandidates = preemptionCandidates
    }

    /// The weighted score of a feasible node.
    func score(node: Int, in context: PlacementContext) -> Double {
        var total = 0.0
        for i in scorers.indices { total += scorers[i].weight * scorers[i].scorer.score(node: node, in: context) }
        return total
    }
}

/// Builds scorers and policies by name, so configuration files and command lines can compose them.
public enum PolicyRegistry {
    /// Names of the scorers `scorer(named:profile:)` builds.
    public static let scorerNames = [
        "best-fit", "dot-product", "least-allocated", "spread", "gpu-fragmentation", "green-power", "latency", "cost",
    ]

    /// Built-in policies and their scorer weights. `best-fit` is the default. Every policy keeps
    /// `spread`, which only acts on requests that name a spread key.
    public static let policies: [(name: String, weights: [(String, Double)])] = [
        ("best-fit", [("best-fit", 1), ("spread", 1)]),
        ("dot-product", [("dot-product", 1), ("spread", 1)]),
        ("spread", [("least-allocated", 1), ("spread", 1)]),
        ("fgd", [("gpu-fragmentation", 1), ("spread", 1)]),
        // Fragmentation gradient descent with uniform ties broken toward spreading load and
        // aligning shapes; the best of these on the openb trace (README).
        ("fgd-balanced", [("gpu-fragmentation", 1), ("least-allocated", 0.1), ("dot-product", 0.2), ("spread", 1)]),
        ("green", [("green-power", 1), ("best-fit", 0.5), ("spread", 1)]),
        ("latency", [("latency", 1), ("best-fit", 0.5), ("spread", 1)]),
        ("cost", [("cost", 1), ("best-fit", 0.5), ("spread", 1)]),
    ]

    public static let defaultPolicyName = "best-fit"

    public static func scorer(named name: String, profile: WorkloadProfile = WorkloadProfile(shapes: [])) throws(ValidationError) -> any PlacementScorer {
        switch name {
        case "best-fit": return BestFitScorer()
        case "dot-product": return DotProductScorer()
        case "least-allocated": return LeastAllocatedScorer()
        case "spread": return SpreadScorer()
        case "gpu-fragmentation": return GPUFragmentationScorer(profile: profile)
        case "green-power": return GreenPowerScorer()
        case "latency": return LatencyScorer()
        case "cost": return CostScorer()
        default:
            throw ValidationError(field: "scorers.\(name)", code: .unknown, message: "unknown scorer '\(name)'; known: \(scorerNames.joined(separator: ", "))")
        }
    }

    /// A policy composed from scorer names and weights.
    public static func policy(name: String, weights: [(String, Double)], profile: WorkloadProfile = WorkloadProfile(shapes: []), scan: ScanLimit = .standard) throws(ValidationError) -> PlacementPolicy {
        var scorers: [WeightedScorer] = []
        for (scorerName, weight) in weights {
            guard weight.isFinite && weight >= 0 else {
                throw ValidationError(field: "scorers.\(scorerName)", code: .outOfRange, message: "a weight must be a non-negative number")
            }
            scorers.append(WeightedScorer(try scorer(named: scorerName, profile: profile), weight: weight))
        }
        guard !scorers.isEmpty else { throw ValidationError(field: "scorers", code: .invalid, message: "a policy needs at least one scorer") }
        return PlacementPolicy(name: name, scorers: scorers, scan: scan)
    }

    /// A policy from a spec: a built-in name, or scorer weights `name=weight,name=weight`.
    public static func policy(spec: String, profile: WorkloadProfile = WorkloadProfile(shapes: []), scan: ScanLimit = .standard) throws(ValidationError) -> PlacementPolicy {
        guard spec.contains("=") else { return try policy(named: spec, profile: profile, scan: scan) }
        var weights: [(String, Double)] = []
        for part in spec.split(separator: ",") {
            let pieces = part.split(separator: "=", maxSplits: 1).map { String($0.filter { !$0.isWhitespace }) }
            guard pieces.count == 2, let weight = Double(pieces[1]) else {
                throw ValidationError(field: "policy", code: .invalid, message: "'\(part)' is not name=weight")
            }
            weights.append((pieces[0], weight))
        }
        return try policy(name: spec, weights: weights, profile: profile, scan: scan)
    }

    /// A built-in policy by name.
    public static func policy(named name: String, profile: WorkloadProfile = WorkloadProfile(shapes: []), scan: ScanLimit = .standard) throws(ValidationError) -> PlacementPolicy {
        guard let entry = policies.first(where: { $0.name == name }) else {
            throw ValidationError(field: "policy", code: .unknown, message: "unknown policy '\(name)'; known: \(policies.map(\.name).joined(separator: ", "))")
        }
        return try policy(name: name, weights: entry.weights, profile: profile, scan: scan)
    }
}
