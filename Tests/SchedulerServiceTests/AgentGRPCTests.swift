import Foundation
import GRPCCore
import GRPCNIOTransportHTTP2
import Logging
import Placement
import SchedulerGRPC
import SchedulerService
import ServiceLifecycle
import SuanliProto
import Testing

/// The agent contract over real gRPC on loopback: the scheduler's `AgentServer` on a free port and
/// the generated client.
@Suite("Agent gRPC service")
struct AgentGRPCTests {
    typealias Agent = Suanli_Agent_V1_AgentService.Client<HTTP2ClientTransport.Posix>

    /// Runs `body` with a scheduler (nodes n1, n2 pre-registered) serving agents on a free port,
    /// and a client connected to it.
    func withAgentService(_ body: (Scheduler, ManualClock, Agent) async throws -> Void) async throws {
        let (scheduler, _, clock) = try newScheduler(nodes: 2)
        let server = AgentServer(scheduler: scheduler, host: "127.0.0.1", port: 0, logger: Logger(label: "test"))
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await server.run() }
            var port: Int?
            for _ in 0..<200 where port == nil {
                port = await server.listeningPort
                if port == nil { try await Task.sleep(for: .milliseconds(10)) }
            }
            let transport = try HTTP2ClientTransport.Posix(target: .ipv4(address: "127.0.0.1", port: try #require(port)), transportSecurity: .plaintext)
            try await withGRPCClient(transport: transport) { client in
                try await body(scheduler, clock, Agent(wrapping: client))
            }
            group.cancelAll()
        }
    }

    static func bearer(_ token: String) -> Metadata { ["authorization": "Bearer \(token)"] }

    static func nodeInfo(_ id: String, nodeClass: String = "general") -> Suanli_Agent_V1_NodeInfo {
        var info = Suanli_Agent_V1_NodeInfo()
        info.id = id
        info.nodeClass = nodeClass
        info.site = "d1"
        info.capacity.cpuMillis = 16_000
        info.capacity.memoryMib = 65_536
        return info
    }

    @Test("an agent registers, receives its assignments, reports their states and metering, and a release stops the workload")
    func agentSession() async throws {
        try await withAgentService { scheduler, clock, agent in
            var register = Suanli_Agent_V1_RegisterRequest()
            register.node = Self.nodeInfo("n1")
            register.agentVersion = "0.1.0"
            let joined = try await agent.register(register, metadata: Self.bearer("boot"))
            #expect(joined.nodeID == "n1" && joined.heartbeatIntervalSeconds == 10)
            let credential = joined.nodeCredential
            #expect(credential.hasPrefix("node_"))
            #expect(try await agent.heartbeat(Suanli_Agent_V1_HeartbeatRequest(), metadata: Self.bearer(credential)).nodeState == "ready")

            let water = Principal(user: "w", role: .tenant, tenant: "water")
            let service = WorkloadSpec(service: ServiceSpec(command: ["/usr/bin/python3", "-m", "http.server"], environment: ["PORT": "8080"]), restart: .onFailure)
            _ = try scheduler.submit([RequestSpec(id: "web", cpu: 2, memoryMiB: 2048, requiredLabels: [:], workload: service)], by: water)

            let received = try await agent.watchAssignments(Suanli_Agent_V1_WatchAssignmentsRequest(), metadata: Self.bearer(credential)) { response in
                var assignments: [Suanli_Agent_V1_Assignment] = []
                for try await assignment in response.messages {
                    assignments.append(assignment)
                    switch assignments.count {
                    case 1:
                        // The stream is open: place the request now.
                        scheduler.placePending()
                    case 2:
                        var report = Suanli_Agent_V1_StatusReport()
                        for state in [Suanli_Agent_V1_WorkloadStatus.State.accepted, .running] {
                            var status = Suanli_Agent_V1_WorkloadStatus()
                            status.workloadID = "water:web/0"
                            status.state = state
                            report.statuses.append(status)
                        }
                        #expect(try await agent.reportStatus(report, metadata: Self.bearer(credential)).accepted == 2)
                        #expect(try scheduler.request("web", by: water).record.phase == .running)

                        var batch = Suanli_Agent_V1_MeteringBatch()
                        var sample = Suanli_Agent_V1_MeteringSample()
                        sample.sequence = 1
                        sample.workloadID = "water:web/0"
                        sample.start = clock.now()
                        sample.end = clock.now() + 3600
                        sample.usage.cpuCoreHours = 0.5
                        batch.samples = [sample]
                        #expect(try await agent.reportMetering(batch, metadata: Self.bearer(credential)).acknowledged == [1])
                        // Sent again (the answer was lost): acknowledged, not counted twice.
                        #expect(try await agent.reportMetering(batch, metadata: Self.bearer(credential)).acknowledged == [1])
                        _ = try scheduler.release("web", by: water)
                    default:
                        return assignments
                    }
                }
                return assignments
            }
            #expect(received.count == 3)
            #expect(received[0].sync.workloads.isEmpty)
            let start = received[1].start.workload
            #expect(start.id == "water:web/0" && start.tenant == "water" && start.resources.cpuMillis == 2000)
            #expect(start.spec.service.command == ["/usr/bin/python3", "-m", "http.server"] && start.spec.service.environment == ["PORT": "8080"])
            #expect(start.spec.restart == "on-failure")
            #expect(received[2].stop.workloadID == "water:web/0")

            var stopped = Suanli_Agent_V1_StatusReport()
            var status = Suanli_Agent_V1_WorkloadStatus()
            status.workloadID = "water:web/0"
            status.state = .stopped
            stopped.statuses = [status]
            _ = try await agent.reportStatus(stopped, metadata: Self.bearer(credential))
            scheduler.placePending()
            #expect(try scheduler.request("web", by: water).record.phase == .released)
            let usage = try scheduler.usage(UsageQuery(requestID: "water:web", from: 0, to: .greatestFiniteMagnitude), by: admin)
            #expect(usage.cpuCoreHours == 0.5)
        }
    }

    @Test("bad credentials and bad input get gRPC statuses naming the field, never a crash")
    func errors() async throws {
        try await withAgentService { _, _, agent in
            await #expect {
                _ = try await agent.heartbeat(Suanli_Agent_V1_HeartbeatRequest(), metadata: Self.bearer("who"))
            } throws: { error in
                (error as? RPCError)?.code == .unauthenticated
            }
            await #expect {
                _ = try await agent.heartbeat(Suanli_Agent_V1_HeartbeatRequest())
            } throws: { error in
                (error as? RPCError)?.message.contains("authorization") == true
            }
            var register = Suanli_Agent_V1_RegisterRequest()
            register.node = Self.nodeInfo("n1", nodeClass: "mainframe")
            await #expect {
                _ = try await agent.register(register, metadata: Self.bearer("boot"))
            } throws: { error in
                guard let error = error as? RPCError else { return false }
                return error.code == .invalidArgument && error.metadata[stringValues: "field"].first(where: { _ in true }) == "node.nodeClass"
            }
            register.node = Self.nodeInfo("n1")
            let credential = try await agent.register(register, metadata: Self.bearer("boot")).nodeCredential
            await #expect {
                _ = try await agent.register(register, metadata: Self.bearer("boot"))
            } throws: { error in
                (error as? RPCError)?.code == .failedPrecondition
            }
            var report = Suanli_Agent_V1_StatusReport()
            var status = Suanli_Agent_V1_WorkloadStatus()
            status.workloadID = "water:web/0"
            report.statuses = [status]
            await #expect {
                _ = try await agent.reportStatus(report, metadata: Self.bearer(credential))
            } throws: { error in
                guard let error = error as? RPCError else { return false }
                return error.code == .invalidArgument && error.message.contains("statuses[0].state")
            }
        }
    }
}
