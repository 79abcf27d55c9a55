import Foundation
import Placement

/// Every decision of a run's scheduling passes, in order: what was placed where (and whom it
/// preempted), what was set aside and why. `suanli-sim run --decisions FILE` writes it as CSV; it is
/// what the simulator and the scheduler service are compared on.
public struct DecisionLog: Sendable, Hashable {
    public struct Entry: Sendable, Hashable {
        public var time: Double
        public var requestID: String
        /// `placed`, `waiting`, `invalid` or `rejected` (refused at arrival: larger than its quota).
        public var outcome: String
        /// Node of each replica placed, by replica.
        public var nodes: [String]
        public var preempted: [String]
        /// Why it waits (`WaitReason.code`) or why it is invalid.
        public var reason: String
    }

    public private(set) var entries: [Entry] = []

    public init() {}

    mutating func record(_ decision: SchedulingDecision, at time: Double) {
        switch decision {
        case .placed(let id, let placement, _):
            entries.append(Entry(
                time: time, requestID: id, outcome: "placed", nodes: placement.replicas.sorted { $0.replica < $1.replica }.map(\.nodeID),
                preempted: placement.preempted.map(\.requestID), reason: placement.unplaced.map { WaitReason.capacity($0).code } ?? ""))
        case .waiting(let id, let reason):
            entries.append(Entry(time: time, requestID: id, outcome: "waiting", nodes: [], preempted: [], reason: reason.code))
        case .invalid(let id, let error):
            entries.append(Entry(time: time, requestID: id, outcome: "invalid", nodes: [], preempted: [], reason: error.message))
        }
    }

    /// A request the queue refused at arrival.
    mutating func rejected(_ requestID: String, reason: String, at time: Double) {
        entries.append(Entry(time: time, requestID: requestID, outcome: "rejected", nodes: [], preempted: [], reason: reason))
    }

    /// One line per decision: `time,request,outcome,nodes,preempted,reason`, lists `|`-separated.
    public var csv: String {
        var out = "time,request,outcome,nodes,preempted,reason\n"
        for e in entries {
            let fields = [String(e.time), e.requestID, e.outcome, e.nodes.joined(separator: "|"), e.preempted.joined(separator: "|"), e.reason]
            out += fields.map(Self.quoted).joined(separator: ",") + "\n"
        }
        return out
    }

    static func quoted(_ field: String) -> String {
        guard field.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" }) else { return field }
        return "\"" + field.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
}
