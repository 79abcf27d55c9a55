/// Why a node cannot take a replica: the first filter it failed.
public enum NoFitReason: Sendable, Hashable, Codable, Comparable {
    case nodeNotReady
    case nodeClass
    case partition
    case latency
    case labels
    case gpuModel
    case spread
    /// The request failed on the node before (`PlacementRequest.avoidNodes`).
    case failedHere
    /// The node lacks free capacity in a dimension.
    case insufficient(Dimension)

    /// A stable identifier for APIs and statistics, e.g. `insufficient_memory`.
    public var code: String {
        switch self {
        case .nodeNotReady: "node_not_ready"
        case .nodeClass: "node_class"
        case .partition: "partition"
        case .latency: "latency"
        case .labels: "labels"
        case .gpuModel: "gpu_model"
        case .spread: "spread"
        case .failedHere: "failed_here"
        case .insufficient(let dimension): "insufficient_\(dimension.rawValue)"
        }
    }

    /// Whether nodes fail for this reason whatever is allocated: only a change of the nodes (or
    /// the topology) can change it.
    public var dependsOnlyOnNodes: Bool {
        switch self {
        case .nodeClass, .partition, .latency, .labels, .gpuModel, .failedHere: true
        case .nodeNotReady, .spread, .insufficient: false
        }
    }

    /// Every reason, in attribution order (static reasons before capacity).
    static let all: [NoFitReason] =
        [.nodeNotReady, .nodeClass, .partition, .latency, .labels, .gpuModel, .spread, .failedHere] + Dimension.allCases.map { .insufficient($0) }

    /// Position in `all`.
    var index: Int {
        switch self {
        case .nodeNotReady: 0
        case .nodeClass: 1
        case .partition: 2
        case .latency: 3
        case .labels: 4
        case .gpuModel: 5
        case .spread: 6
        case .failedHere: 7
        case .insufficient(let dimension): 8 + Dimension.allCases.firstIndex(of: dimension)!
        }
    }

    public static func < (a: NoFitReason, b: NoFitReason) -> Bool { a.index < b.index }
}

/// Why a request (or some of its replicas) did not fit: how many nodes failed for each reason.
///
/// Each node is counted once, under the first filter it failed, as Nomad and kube-scheduler do;
/// the counts add up to `nodesEvaluated`. The API shows it for pending requests and the simulator
/// aggregates it into "pending by reason".
public struct NoFitReport: Sendable, Hashable, Codable, CustomStringConvertible {
    public struct Entry: Sendable, Hashable, Codable {
        public var reason: NoFitReason
        public var nodes: Int
    }

    /// Counts per reason, most frequent first (ties in reason order).
    public private(set) var entries: [Entry]
    public var nodesEvaluated: Int
    /// Replicas that were not placed.
    public var unplacedReplicas: Int
    /// The latency bound, to explain `latency` counts.
    public var maxLatencyMs: Double?
    /// Whether preemption was tried and found no set of victims that would make the request fit.
    public var preemptionTried: Bool

    public init(counts: [NoFitReason: Int], nodesEvaluated: Int, unplacedReplicas: Int, maxLatencyMs: Double? = nil, preemptionTried: Bool = false) {
        entries = counts.filter { $0.value > 0 }.map { Entry(reason: $0.key, nodes: $0.value) }
            .sorted { ($0.nodes, $1.reason) > ($1.nodes, $0.reason) }
        self.nodesEvaluated = nodesEvaluated
        self.unplacedReplicas = unplacedReplicas
        self.maxLatencyMs = maxLatencyMs
        self.preemptionTried = preemptionTried
    }

    public func nodes(failing reason: NoFitReason) -> Int {
        entries.first { $0.reason == reason }?.nodes ?? 0
    }

    /// E.g. "memory exhausted on 812 nodes, wrong partition on 40, latency above 20 ms on 3,100".
    public var description: String {
        if entries.isEmpty { return nodesEvaluated == 0 ? "no nodes in the cluster" : "no node fits" }
        return entries.map { entry in
            let count = "\(Self.grouped(entry.nodes)) node\(entry.nodes == 1 ? "" : "s")"
            switch entry.reason {
            case .nodeNotReady: return "not ready on \(count)"
            case .nodeClass: return "wrong node class on \(count)"
            case .partition: return "wrong partition on \(count)"
            case .latency:
                let bound = maxLatencyMs.map { "above \(Self.trimmed($0)) ms" } ?? "unreachable"
                return "latency \(bound) on \(count)"
            case .labels: return "labels not matched on \(count)"
            case .gpuModel: return "no allowed GPU model on \(count)"
            case .spread: return "spread already used on \(count)"
            case .failedHere: return "failed there before on \(count)"
            case .insufficient(let dimension): return "\(dimension.rawValue) exhausted on \(count)"
            }
        }.joined(separator: ", ")
    }

    static func grouped(_ n: Int) -> String {
        let digits = Array(String(n))
        var out = ""
        for (i, c) in digits.enumerated() {
            if i > 0 && (digits.count - i) % 3 == 0 { out.append(",") }
            out.append(c)
        }
        return out
    }

    static func trimmed(_ x: Double) -> String {
        abs(x) < 1e15 && x == x.rounded() ? String(Int64(x)) : String(x)
    }
}
