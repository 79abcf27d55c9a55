/// What the scheduler learns about an open request from agents and samples, beyond its stored
/// record: lost on a restart and learned again.
struct RequestRuntime: Sendable, Hashable {
    /// Workloads a releasing request waits to hear are stopped; nil when it waits for no report.
    var awaitingStop: Set<String>?
    /// Replicas agents report running.
    var runningReplicas: Set<Int> = []
    /// Since when its samples stay under the idle threshold; nil while it is active.
    var idleSince: Double?
    /// When its idle notice went out.
    var idleNoticeAt: Double?
    /// For an autoscaled request: its autoscaler and the readings it decides on.
    var scaling = ScalingMetrics()

    /// What an allocation given back leaves behind: nothing.
    static let released = RequestRuntime()
}

/// The requests that have not ended, each with its runtime facts: one owner, so that a request
/// that ends takes every fact about it along, and one that gives its allocation back keeps none
/// about it.
struct OpenRequests: Sendable {
    private struct Entry: Sendable {
        var record: RequestRecord
        var runtime = RequestRuntime()
    }

    private var entries: [String: Entry] = [:]
    /// Requests with an idle observation or a release waiting for stop reports, so that the
    /// passes that act on them visit only those.
    private(set) var idle: Set<String> = []
    private(set) var stopping: Set<String> = []
    /// Requests with a scaling policy, which the autoscaler visits.
    private(set) var scaled: Set<String> = []

    /// The record of an open request. Setting a record keeps its runtime facts; setting nil (it
    /// ended) forgets them.
    subscript(id: String) -> RequestRecord? {
        get { entries[id]?.record }
        set {
            guard let newValue else {
                entries[id] = nil
                idle.remove(id)
                stopping.remove(id)
                scaled.remove(id)
                return
            }
            entries[id, default: Entry(record: newValue)].record = newValue
            if newValue.spec.scaling != nil { scaled.insert(id) }
        }
    }

    var count: Int { entries.count }
    var records: [RequestRecord] { entries.values.map(\.record) }

    func runtime(of id: String) -> RequestRuntime? { entries[id]?.runtime }

    /// Changes an open request's runtime facts; nothing for a request that is not open.
    mutating func updateRuntime(of id: String, _ change: (inout RequestRuntime) -> Void) {
        guard entries[id] != nil else { return }
        change(&entries[id]!.runtime)
        let runtime = entries[id]!.runtime
        if runtime.idleSince != nil || runtime.idleNoticeAt != nil { idle.insert(id) } else { idle.remove(id) }
        if runtime.awaitingStop != nil { stopping.insert(id) } else { stopping.remove(id) }
    }
}
