import Placement
import SchedulerService
import Testing

struct NodeHealthTests {
    static let policy = NodeHealthPolicy(heartbeatInterval: 10, missedBeforeSuspect: 3, lostAfter: [.general: 300, .edge: 86_400])

    /// (class, silent until, expected state, actions of that tick)
    static let cases: [(nodeClass: NodeClass, at: Double, state: NodeState, actions: [HealthAction])] = [
        (.general, 30, .ready, []),
        (.general, 31, .suspect, [.stopPlacing]),
        (.general, 330, .suspect, [.stopPlacing]),
        (.general, 331, .lost, [.stopPlacing, .markLost, .replaceWorkloads]),
        // Edge nodes get a day and keep their workloads even when lost.
        (.edge, 3_600, .suspect, [.stopPlacing]),
        (.edge, 86_431, .lost, [.stopPlacing, .markLost]),
    ]

    @Test(arguments: cases.indices)
    func silenceLeadsToSuspectThenLost(_ i: Int) {
        let (nodeClass, at, state, actions) = Self.cases[i]
        var health = NodeHealth(nodeClass: nodeClass, policy: Self.policy, registeredAt: 0)
        #expect(health.tick(at: at) == actions)
        #expect(health.nodeState == state)
    }

    @Test func ticksAreIncrementalAndHeartbeatsBringNodesBack() {
        var health = NodeHealth(nodeClass: .general, policy: Self.policy, registeredAt: 0)
        #expect(health.tick(at: 20) == [])
        #expect(health.heartbeat(at: 25) == [])
        #expect(health.tick(at: 50) == [])
        #expect(health.tick(at: 56) == [.stopPlacing])
        #expect(health.tick(at: 100) == [])
        #expect(health.tick(at: 400) == [.markLost, .replaceWorkloads])
        #expect(health.tick(at: 500) == [])
        #expect(health.heartbeat(at: 510) == [.reconcile])
        #expect(health.nodeState == .ready)
        #expect(health.heartbeat(at: 505) == [], "a late, reordered heartbeat changes nothing")
        #expect(health.lastHeartbeat == 510)
    }
}
