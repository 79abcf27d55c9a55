import Hummingbird
import SchedulerService

/// Probes, metrics and the document itself; none needs a token.
enum ProbeRoutes {
    static var endpoints: [Endpoint] {
        [
            Endpoint(Operation(
                .get, "/healthz", id: "health", summary: "Alive", tag: "probes", permission: nil,
                success: [Operation.Answer(status: 200, description: "Alive.", content: .text(mediaType: "text/plain", description: "ok"))])) { _ in
                JSON.text("ok\n")
            },
            Endpoint(Operation(
                .get, "/readyz", id: "readiness", summary: "Ready to serve", tag: "probes", permission: nil,
                success: [.json(200, "Readiness", "Ready: the leader, or a standby passing calls on to it."), .json(503, "Readiness", "Starting, or a standby while no scheduler leads.")])) { call in
                call.ready() ? try JSON.response(Readiness(status: "ready", role: "leader")) : try JSON.response(Readiness(status: "starting", role: "leader"), status: .serviceUnavailable)
            },
            Endpoint(Operation(
                .get, "/metrics", id: "metrics", summary: "Prometheus metrics", tag: "probes", permission: nil,
                success: [Operation.Answer(status: 200, description: "The exposition.", content: .text(mediaType: "text/plain", description: "Prometheus text format 0.0.4"))])) { call in
                JSON.text(Metrics.text(call.scheduler), mediaType: "text/plain; version=0.0.4")
            },
            Endpoint(Operation(
                .get, "/v1/openapi.json", id: "openapi", summary: "This document", tag: "probes", permission: nil,
                success: [Operation.Answer(status: 200, description: "The OpenAPI 3.1 document.", content: .text(mediaType: "application/json", description: "OpenAPI 3.1"))])) { _ in
                Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: SchedulerAPI.openAPIDocument)))
            },
        ]
    }
}

/// `/readyz`: whether the scheduler serves, and whether it leads or stands by (schedulers sharing
/// a PostgreSQL store), with the leader's address on a standby.
public struct Readiness: Encodable, Sendable {
    public var status: String
    public var role: String
    public var leader: String?

    public init(status: String, role: String, leader: String? = nil) {
        self.status = status
        self.role = role
        self.leader = leader
    }

    /// A standby's answer: ready while a leader takes the calls it passes on.
    public static func standby(following leader: String?) throws -> Response {
        guard let leader else { return try JSON.response(Readiness(status: "starting", role: "standby"), status: .serviceUnavailable) }
        return try JSON.response(Readiness(status: "ready", role: "standby", leader: leader))
    }
}
