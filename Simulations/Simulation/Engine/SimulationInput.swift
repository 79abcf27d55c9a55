import Placement

/// A scenario with its files read: the node lists and the traces, ready to run any number of
/// times (the capacity search runs it once per candidate size).
public struct SimulationInput: Sendable {
    public var scenario: Scenario
    /// Nodes from the node lists, with their idle power.
    public let listedNodes: [(node: Node, idleWatts: Double)]
    /// Recorded requests of every trace, by arrival time (stable: file order among equal times).
    public let traceRequests: [TimedRequest]
    /// What a person running the scenario should know about how its inputs were read.
    public let notes: [String]

    public init(scenario: Scenario) throws(InputFileError) {
        self.scenario = scenario
        var listed: [(Node, Double)] = []
        for list in scenario.nodeLists {
            switch list.format {
            case .csv: listed += try CSVNodeList.load(file: list.path)
            case .openb: listed += try OpenBTrace.loadNodes(file: list.path, site: list.site, nodeClass: list.nodeClass).map { ($0, 0) }
            }
        }
        listedNodes = listed
        var requests: [TimedRequest] = []
        var notes: [String] = []
        let tenants = Set(scenario.tenants.map(\.name))
        for trace in scenario.traces {
            switch trace.format {
            case .csv:
                let (read, split) = try CSVTrace.read(file: trace.path, timeScale: trace.timeScale, offset: trace.offset, tenants: tenants)
                requests += read
                if split > 0 {
                    notes.append("\(trace.path): \(split) task\(split == 1 ? "" : "s") of more than \(CSVTrace.maxReplicas) instances split into requests of at most \(CSVTrace.maxReplicas) (ID, ID#2, ...)")
                }
            case .openb:
                requests += try OpenBTrace.loadPods(file: trace.path).map { pod in
                    var timed = pod
                    timed.request.submittedAt = pod.request.submittedAt * trace.timeScale + trace.offset
                    timed.duration = max(1, pod.duration * trace.timeScale)
                    return timed
                }
            }
        }
        var seen: [String: (file: String, line: Int)] = [:]
        for timed in requests {
            let here = timed.origin ?? (scenario.source, 0)
            if let first = seen.updateValue(here, forKey: timed.request.id) {
                throw InputFileError(file: here.file, line: here.line, field: "id", message: "request id '\(timed.request.id)' appears in \(first.file) too (line \(first.line))")
            }
        }
        self.notes = notes
        traceRequests = requests.enumerated().sorted { ($0.element.request.submittedAt, $0.offset) < ($1.element.request.submittedAt, $1.offset) }.map(\.element)
    }

    /// Node counts per pool, in the scenario's order.
    public var poolCounts: [Int] { scenario.pools.map(\.count) }

    /// The cluster with `counts` nodes in each pool (default: the scenario's), then the listed nodes.
    func nodes(poolCounts counts: [Int]? = nil) -> (nodes: [Node], pool: [Int?], idleWatts: [Double]) {
        var nodes: [Node] = [], pool: [Int?] = [], idle: [Double] = []
        for (index, var spec) in scenario.pools.enumerated() {
            spec.count = counts?[index] ?? spec.count
            let made = spec.nodes()
            nodes += made
            pool += Array(repeating: index, count: made.count)
            idle += Array(repeating: spec.idleWatts, count: made.count)
        }
        for (node, watts) in listedNodes {
            nodes.append(node)
            pool.append(nil)
            idle.append(watts)
        }
        return (nodes, pool, idle)
    }
}
