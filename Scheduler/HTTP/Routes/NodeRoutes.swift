import Hummingbird
import Placement
import SchedulerService

/// The node registry: list, register ahead of an agent, read, and the administrative states.
enum NodeRoutes {
    static let idParameter = Operation.Parameter("id", Components.identifier, "The node's id.")

    static var endpoints: [Endpoint] {
        var endpoints = [
            Endpoint(Operation(
                .get, "/v1/nodes", id: "listNodes", summary: "List nodes", tag: "nodes", permission: .readNodes,
                query: [
                    .init("class", Components.choice(NodeClass.self), "Only this class."),
                    .init("site", Components.identifier, "Only this site."),
                    .init("partition", Components.identifier, "Only this partition."),
                    .init("label", labelFilter, "Only nodes with this label: KEY=VALUE."),
                ],
                success: [.json(200, "NodeList", "Nodes by id.")])) { call in
                let nodes = try call.scheduler.nodes(
                    nodeClass: call.query("class", as: NodeClass.self), site: call.query("site"), partition: call.query("partition"),
                    label: label(call.query("label")), by: call.caller)
                return try JSON.response(["nodes": nodes.map(NodeView.init)])
            },
            Endpoint(Operation(
                .post, "/v1/nodes", id: "registerNode", summary: "Register a node ahead of its agent, or update one that holds nothing",
                tag: "nodes", permission: .manageNodes, body: "NodeRegistration", success: [.json(201, "Node", "Registered.")], errors: [409, 422])) { call in
                let body = try call.body(NodeRegistration.self)
                return try JSON.response(NodeView(try call.scheduler.registerNode(try body.node(), awaitingAgent: true, by: call.caller)), status: .created)
            },
            Endpoint(Operation(
                .get, "/v1/nodes/{id}", id: "getNode", summary: "A node", tag: "nodes", permission: .readNodes,
                pathParameters: [idParameter], success: [.json(200, "Node", "The node.")])) { call in
                try JSON.response(NodeView(try call.scheduler.node(call.path("id"), by: call.caller)))
            },
        ]
        endpoints += [
            Endpoint(Operation(
                .patch, "/v1/nodes/{id}", id: "updateNode", summary: "Change a node's region and labels, or the capacity of one that holds nothing",
                tag: "nodes", permission: .manageNodes, pathParameters: [idParameter], body: "NodeUpdate",
                success: [.json(200, "Node", "The node as changed.")], errors: [409, 422])) { call in
                let body = try call.body(NodeUpdate.self)
                return try JSON.response(NodeView(try call.scheduler.updateNode(call.path("id"), try body.changes(), by: call.caller)))
            },
            Endpoint(Operation(
                .post, "/v1/nodes/{id}/retire", id: "retireNode", summary: "Retire a node: no new work for good; what runs there runs to its end",
                tag: "nodes", permission: .manageNodes, pathParameters: [idParameter], success: [.json(200, "Node", "Retired.")])) { call in
                try JSON.response(NodeView(try call.scheduler.retireNode(call.path("id"), by: call.caller)))
            },
            Endpoint(Operation(
                .delete, "/v1/nodes/{id}", id: "removeNode", summary: "Remove a node that holds nothing; its agent's credential stops working",
                tag: "nodes", permission: .manageNodes, pathParameters: [idParameter],
                success: [Operation.Answer(status: 204, description: "Removed.", content: .none)], errors: [409])) { call in
                try call.scheduler.removeNode(call.path("id"), by: call.caller)
                return Response(status: .noContent)
            },
        ]
        for (verb, state, summary) in [
            ("cordon", NodeState.cordoned, "Take no new work; what runs stays"), ("drain", .draining, "Take no new work and move restartable work elsewhere"),
            ("uncordon", .ready, "Take work again"),
        ] {
            endpoints.append(Endpoint(Operation(
                .post, "/v1/nodes/{id}/\(verb)", id: "\(verb)Node", summary: summary, tag: "nodes", permission: .manageNodes,
                pathParameters: [idParameter], success: [.json(200, "Node", "The node in its new state.")], errors: [409])) { call in
                try JSON.response(NodeView(try call.scheduler.setNodeState(call.path("id"), to: state, by: call.caller)))
            })
        }
        return endpoints
    }

    /// Changes to a node in API units (schema `NodeUpdate`).
    struct NodeUpdate: Decodable {
        var region: String?
        var labels: [String: String]?
        var cpu: Double?
        var memoryMiB: Int64?
        var diskGiB: Int64?
        var bandwidthMbps: Int64?
        var gpus: [NodeRegistration.GPU]?

        func changes() throws(ServiceError) -> Scheduler.NodeChanges {
            var cpuMillis: Int64?
            if let cpu {
                do { cpuMillis = try CPU.millicores(cpu, field: "cpu", minimum: 0.001) } catch { throw ServiceError(error) }
            }
            return Scheduler.NodeChanges(
                region: region, labels: labels, cpuMillis: cpuMillis, memoryMiB: memoryMiB, diskGiB: diskGiB, bandwidthMbps: bandwidthMbps,
                gpus: gpus?.map { GPUDevice(model: $0.model, memoryMiB: $0.memoryMiB ?? 0) })
        }
    }

    /// `KEY=VALUE`.
    static let labelFilter = Schema.string(
        maxLength: 2 * LabelRule.maxLength + 1, minLength: 2,
        pattern: "^[A-Za-z0-9]([A-Za-z0-9._/-]{0,61}[A-Za-z0-9])?=([A-Za-z0-9]([A-Za-z0-9._-]{0,61}[A-Za-z0-9])?)?$", "KEY=VALUE")

    static func label(_ raw: String?) -> (String, String)? {
        guard let raw, let equals = raw.firstIndex(of: "=") else { return nil }
        return (String(raw[..<equals]), String(raw[raw.index(after: equals)...]))
    }
}
