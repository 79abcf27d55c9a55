import Placement

/// A scenario with its files read: the node lists and the traces, ready to run any number of
/// times (the capacity search runs it once per candidate size).
public struct SimulationInput: Sendable {
    public var scenario: Scenario
    /// Nodes from the node lists, with their idle power.
    public let listedNodes: [(node: Node, idleWatts: Double)]
    /// Recorded requests of every trace, by arrival time (stable: file order among equal times).
    public let traceRequests: [TimedRequest]

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
        for trace in scenario.traces {
            switch trace.format {
            case .csv: requests += try CSVTrace.load(file: trace.path, timeScale: trace.timeScale, offset: trace.offset)
            case .openb:
                requests += try OpenBTrace.loadPods(file: trace.path).map { pod in
                    var timed = pod
                    timed.request.submittedAt = pod.request.submittedAt * trace.timeScale + trace.offset
                    timed.duration = max(1, pod.duration * trace.timeScale)
                    return timed
                }
            }
        }
        var seen = Set<String>()
        for timed in requests where !seen.insert(timed.request.id).inserted {
            throw InputFileError(file: scenario.traces.map(\.path).joined(separator: ", "), line: 0, field: "id", message: "request id '\(timed.request.id)' appears in more than one trace")
        }
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
