import Placement
import SchedulerService

/// The Prometheus text exposition of the scheduler's counters and gauges.
enum Metrics {
    static func text(_ scheduler: Scheduler) -> String {
        let m = scheduler.metrics()
        var out = ""
        func counter(_ name: String, _ help: String, _ value: Int) {
            out += "# HELP suanli_\(name) \(help)\n# TYPE suanli_\(name) counter\nsuanli_\(name) \(value)\n"
        }
        func gauge(_ name: String, _ help: String, _ value: Int, labels: String = "") {
            out += "# HELP suanli_\(name) \(help)\n# TYPE suanli_\(name) gauge\nsuanli_\(name)\(labels) \(value)\n"
        }
        counter("requests_submitted_total", "Requests submitted.", m.counters.submitted)
        counter("requests_placed_total", "Requests placed.", m.counters.placed)
        counter("requests_rejected_total", "Requests rejected.", m.counters.rejected)
        counter("requests_preempted_total", "Requests preempted.", m.counters.preempted)
        counter("requests_released_total", "Requests released.", m.counters.released)
        counter("requests_expired_total", "Requests whose lease ended.", m.counters.expired)
        counter("requests_revoked_total", "Requests revoked with their grant.", m.counters.revoked)
        counter("requests_reclaimed_total", "Idle requests reclaimed.", m.counters.reclaimed)
        counter("requests_failed_total", "Requests failed for good.", m.counters.failed)
        counter("placement_decisions_total", "Placement decisions made.", m.counters.decisions)
        counter("placement_passes_total", "Passes of the applier over the queue.", m.counters.placementPasses)
        counter("commit_conflicts_total", "Decisions refused at commit.", m.counters.commitConflicts)
        gauge("requests_pending", "Requests waiting in the queue.", m.pending)
        gauge("requests_open", "Requests that have not ended.", m.open)
        out += "# HELP suanli_nodes Nodes by state.\n# TYPE suanli_nodes gauge\n"
        for state in NodeState.allCases { out += "suanli_nodes{state=\"\(state.rawValue)\"} \(m.nodesByState[state] ?? 0)\n" }
        return out
    }
}
