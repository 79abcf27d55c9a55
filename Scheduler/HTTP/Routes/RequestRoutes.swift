import Placement
import SchedulerService

/// Submitting, listing, reading, releasing and extending requests.
enum RequestRoutes {
    static let idParameter = Operation.Parameter("id", Components.requestID, "TENANT:NAME, or a tenant user's own NAME.")

    struct Extension: Decodable { var seconds: Int64 }
    struct CallCount: Decodable { var total: Double }
    struct CallRate: Encodable {
        var request: String
        /// Nil until two readings in the policy's window give a rate.
        var callsPerSecondPerReplica: Double?
        var runningReplicas: Int?
    }
    struct Batch: Decodable { var requests: [RequestSpec] }
    struct List: Encodable {
        var requests: [RequestView]
        var nextCursor: String?
    }

    static var endpoints: [Endpoint] {
        [
            Endpoint(Operation(
                .post, "/v1/requests", id: "submitRequest", summary: "Submit a request", tag: "requests", permission: .submitRequests,
                body: "RequestSubmission",
                success: [.json(201, "Request", "Queued."), .json(200, "Request", "A retry with the same Idempotency-Key: the first submission's request.")],
                errors: [409, 422])) { call in
                let spec = try call.body(RequestSpec.self)
                let result = try await call.scheduler.submitGrouped([spec], idempotencyKey: call.idempotencyKey, by: call.caller)
                return try JSON.response(RequestView(RequestStatus(record: result.requests[0])), status: result.replayed ? .ok : .created)
            },
            Endpoint(Operation(
                .post, "/v1/requests/batch", id: "submitBatch", summary: "Submit requests together: all or none", tag: "requests",
                permission: .submitRequests, body: "BatchSubmission",
                success: [.json(201, "Requests", "All queued."), .json(200, "Requests", "A retry with the same Idempotency-Key.")],
                errors: [409, 422])) { call in
                let batch = try call.body(Batch.self)
                let result = try await call.scheduler.submitGrouped(batch.requests, idempotencyKey: call.idempotencyKey, batch: true, by: call.caller)
                return try JSON.response(["requests": result.requests.map { RequestView(RequestStatus(record: $0)) }], status: result.replayed ? .ok : .created)
            },
            Endpoint(Operation(
                .get, "/v1/requests", id: "listRequests", summary: "List requests, newest first", tag: "requests", permission: .readRequests,
                query: [
                    .init("tenant", Components.identifier, "Only this tenant's (a tenant user may name only its own)."),
                    .init("phase", Components.phase, "Only requests in this phase."),
                    .init("priority", Components.choice(PriorityClass.self), "Only this priority class."),
                    .init("kind", Components.choice(WorkloadKind.self), "Only this kind."),
                    .init("cursor", .string(maxLength: 160, minLength: 18, pattern: "^[0-9a-f]{16}/[^/]{1,140}$"), "The previous page's nextCursor."),
                    .init("limit", .integer(1...1000), "Page size, default 100."),
                ],
                success: [.json(200, "RequestList", "A page of requests.")], errors: [422])) { call in
                let limit = call.query("limit", as: Int.self) ?? 100
                let query = RequestQuery(
                    tenant: call.query("tenant"), phase: call.query("phase"), priority: call.query("priority", as: PriorityClass.self),
                    kind: call.query("kind", as: WorkloadKind.self), after: try call.query("cursor").map { (text) throws(ServiceError) in try RequestCursor(text: text) },
                    limit: limit)
                let found = try call.scheduler.requests(query, by: call.caller)
                let next = found.count == limit ? found.last.map { RequestCursor(after: $0.record).text } : nil
                return try JSON.response(List(requests: found.map { RequestView($0) }, nextCursor: next))
            },
            Endpoint(Operation(
                .get, "/v1/requests/{id}", id: "getRequest", summary: "A request with its history", tag: "requests", permission: .readRequests,
                pathParameters: [idParameter], success: [.json(200, "Request", "The request.")])) { call in
                try JSON.response(RequestView(try call.scheduler.request(call.path("id"), by: call.caller), withHistory: true))
            },
            Endpoint(Operation(
                .post, "/v1/requests/{id}/release", id: "releaseRequest", summary: "Release a request", tag: "requests",
                permission: .changeRequests, pathParameters: [idParameter],
                success: [.json(200, "Request", "Released, or releasing while its agents stop it.")], errors: [409])) { call in
                try JSON.response(RequestView(RequestStatus(record: try call.scheduler.release(call.path("id"), by: call.caller))))
            },
            Endpoint(Operation(
                .post, "/v1/requests/{id}/extend", id: "extendLease", summary: "Extend a request's lease", tag: "requests",
                permission: .changeRequests, pathParameters: [idParameter], body: "LeaseExtension",
                success: [.json(200, "Request", "The lease is longer.")], errors: [409])) { call in
                let body = try call.body(Extension.self)
                return try JSON.response(RequestView(RequestStatus(record: try call.scheduler.extendLease(call.path("id"), bySeconds: body.seconds, by: call.caller))))
            },
            Endpoint(Operation(
                .post, "/v1/requests/{id}/calls", id: "reportCalls", summary: "Report an autoscaled service's calls counter", tag: "requests",
                permission: .changeRequests, pathParameters: [idParameter], body: "CallCount",
                success: [.json(200, "CallRate", "Taken; the rate its scaling policy sees now.")], errors: [409])) { call in
                let body = try call.body(CallCount.self)
                let id = Scheduler.resolveRequestID(call.path("id"), for: call.caller)
                let reading = try call.scheduler.reportCalls(id, total: body.total, by: call.caller)
                return try JSON.response(CallRate(request: id, callsPerSecondPerReplica: reading?.value, runningReplicas: reading?.replicas))
            },
        ]
    }
}

extension RequestCursor {
    /// The page after `record` (the list is newest first).
    init(after record: RequestRecord) {
        self.init(submittedAt: record.spec.submittedAt, id: record.id)
    }

    /// As lists give it out: `SUBMITTED_AT/ID`, the time as the 16 hexadecimal digits of its
    /// Double's bits so that it is exact.
    var text: String { String(submittedAt.bitPattern, radix: 16).leftPadded(to: 16) + "/" + id }

    init(text: String) throws(ServiceError) {
        guard let slash = text.firstIndex(of: "/"), let bits = UInt64(text[..<slash], radix: 16) else {
            throw ServiceError.invalid("cursor", "not a cursor returned by this API")
        }
        self.init(submittedAt: Double(bitPattern: bits), id: String(text[text.index(after: slash)...]))
    }
}
