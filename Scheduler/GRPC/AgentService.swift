import GRPCCore
import Placement
import SchedulerService
import SuanliProto

/// The gRPC service node agents talk to: a thin translation between the contract in `Proto/`
/// and the scheduler's agent operations. Every call is authenticated from its `authorization`
/// metadata; an agent acts only on the node its credential belongs to.
public struct AgentService: Suanli_Agent_V1_AgentService.ServiceProtocol {
    let scheduler: Scheduler

    public init(scheduler: Scheduler) {
        self.scheduler = scheduler
    }

    public func register(
        request: ServerRequest<Suanli_Agent_V1_RegisterRequest>, context: ServerContext
    ) async throws -> ServerResponse<Suanli_Agent_V1_RegisterResponse> {
        try rpc {
            let node = try Node(request.message.node)
            let joined = try scheduler.registerAgent(node, agentVersion: request.message.agentVersion, token: try Self.bearer(request.metadata))
            var response = Suanli_Agent_V1_RegisterResponse()
            response.nodeID = joined.nodeID
            response.nodeCredential = joined.credential ?? ""
            response.heartbeatIntervalSeconds = joined.heartbeatIntervalSeconds
            return ServerResponse(message: response)
        }
    }

    public func heartbeat(
        request: ServerRequest<Suanli_Agent_V1_HeartbeatRequest>, context: ServerContext
    ) async throws -> ServerResponse<Suanli_Agent_V1_HeartbeatResponse> {
        try rpc {
            let node = try agent(request.metadata)
            var response = Suanli_Agent_V1_HeartbeatResponse()
            response.nodeState = try scheduler.heartbeat(node: node).rawValue
            return ServerResponse(message: response)
        }
    }

    public func watchAssignments(
        request: ServerRequest<Suanli_Agent_V1_WatchAssignmentsRequest>, context: ServerContext
    ) async throws -> StreamingServerResponse<Suanli_Agent_V1_Assignment> {
        let commands = try rpc { try scheduler.openAssignments(node: try agent(request.metadata)) }
        let cancellation = context.cancellation
        return StreamingServerResponse { writer in
            // Ends when the scheduler replaces or closes the stream, or when gRPC cancels the RPC
            // because the agent went away (it does not cancel this task: it signals the handle).
            // Ending the iteration ends the session.
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask {
                    for await command in commands { try await writer.write(Suanli_Agent_V1_Assignment(command)) }
                }
                group.addTask { try await cancellation.cancelled }
                try await group.next()
                group.cancelAll()
            }
            return [:]
        }
    }

    public func reportStatus(
        request: ServerRequest<Suanli_Agent_V1_StatusReport>, context: ServerContext
    ) async throws -> ServerResponse<Suanli_Agent_V1_StatusReportResponse> {
        try rpc {
            let node = try agent(request.metadata)
            var reports: [WorkloadReport] = []
            for (i, status) in request.message.statuses.enumerated() {
                let state: WorkloadReport.State
                switch status.state {
                case .accepted: state = .accepted
                case .running: state = .running
                case .stopped: state = .stopped
                case .failed: state = .failed
                case .unspecified, .UNRECOGNIZED:
                    throw ServiceError.invalid("statuses[\(i)].state", "must be accepted, running, stopped or failed")
                }
                reports.append(WorkloadReport(workloadID: status.workloadID, state: state, reason: status.reason))
            }
            var response = Suanli_Agent_V1_StatusReportResponse()
            response.accepted = Int32(try scheduler.reportWorkloads(reports, node: node))
            return ServerResponse(message: response)
        }
    }

    public func reportMetering(
        request: ServerRequest<Suanli_Agent_V1_MeteringBatch>, context: ServerContext
    ) async throws -> ServerResponse<Suanli_Agent_V1_MeteringAck> {
        try rpc {
            let node = try agent(request.metadata)
            let samples = request.message.samples.map { sample in
                AgentSample(
                    sequence: sample.sequence, workloadID: sample.workloadID, start: sample.start, end: sample.end,
                    amounts: UsageAmounts(
                        cpuCoreHours: sample.usage.cpuCoreHours, memoryGiBHours: sample.usage.memoryGibHours, gpuHours: sample.usage.gpuHours,
                        storageGiBHours: sample.usage.storageGibHours, bandwidthMbpsHours: sample.usage.bandwidthMbpsHours))
            }
            var response = Suanli_Agent_V1_MeteringAck()
            response.acknowledged = try scheduler.recordAgentSamples(samples, node: node)
            return ServerResponse(message: response)
        }
    }

    // MARK: Edges

    /// The node whose credential the call carries.
    private func agent(_ metadata: Metadata) throws(ServiceError) -> String {
        try scheduler.authenticateAgent(token: try Self.bearer(metadata))
    }

    static func bearer(_ metadata: Metadata) throws(ServiceError) -> String {
        for value in metadata[stringValues: "authorization"] where value.hasPrefix("Bearer ") {
            return String(value.dropFirst("Bearer ".count))
        }
        throw ServiceError(.unauthenticated, "the call needs 'authorization: Bearer TOKEN' metadata")
    }

    /// Runs `body`, turning a `ServiceError` into the gRPC status of the same meaning, with the
    /// field in the `field` metadata and in the message.
    private func rpc<T>(_ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch let error as ServiceError {
            var metadata = Metadata()
            metadata.addString(error.code.rawValue, forKey: "code")
            if let field = error.field { metadata.addString(field, forKey: "field") }
            throw RPCError(code: RPCError.Code(error.code), message: error.description, metadata: metadata)
        }
    }
}

extension RPCError.Code {
    /// The gRPC status for a scheduler error code.
    init(_ code: ServiceError.Code) {
        switch code {
        case .invalid: self = .invalidArgument
        case .notFound: self = .notFound
        case .conflict: self = .failedPrecondition
        case .unauthenticated: self = .unauthenticated
        case .forbidden: self = .permissionDenied
        case .limitExceeded: self = .resourceExhausted
        case .unavailable, .notLeader: self = .unavailable
        default: self = .unknown
        }
    }
}
