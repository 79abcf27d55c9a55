import Foundation
import HTTPTypes
import Hummingbird
import Placement
import SchedulerService

/// An operation and the code that answers it.
struct Endpoint: Sendable {
    var operation: Operation
    var handler: @Sendable (Call) async throws -> Response

    init(_ operation: Operation, _ handler: @escaping @Sendable (Call) async throws -> Response) {
        self.operation = operation
        self.handler = handler
    }
}

/// What a handler gets: the caller and the input, already checked against the operation.
struct Call: Sendable {
    let scheduler: Scheduler
    /// Whether the scheduler is ready to serve (`/readyz`).
    let ready: @Sendable () -> Bool
    let request: Request
    /// Who calls; `Principal.anonymous` for operations without authentication.
    let caller: Principal
    /// Path parameters, percent-decoded once.
    let parameters: [String: String]
    let queryValues: [String: String]
    let bodyNode: JSONNode?

    func path(_ name: String) -> String { parameters[name]! }

    func query(_ name: String) -> String? { queryValues[name] }

    /// A whole-number query parameter (already checked against its range).
    func query<I: FixedWidthInteger>(_ name: String, as: I.Type) -> I? {
        guard let text = queryValues[name], case .value(let value) = JSONNumber.integer(text, as: I.self) else { return nil }
        return value
    }

    func query(_ name: String, as: Double.Type) -> Double? { queryValues[name].flatMap(Double.init) }

    /// An enumerated query parameter (already checked against its values).
    func query<T: RawRepresentable>(_ name: String, as: T.Type) -> T? where T.RawValue == String {
        queryValues[name].flatMap(T.init(rawValue:))
    }

    /// The body as `T`; it was checked against the operation's schema.
    func body<T: Decodable>(_ type: T.Type) throws(ServiceError) -> T {
        guard let bodyNode else { throw ServiceError.invalid("body", "a JSON body is required") }
        do { return try StrictJSON.decode(type, from: bodyNode) } catch { throw ServiceError(error) }
    }

    var idempotencyKey: String? { request.headers[.idempotencyKey] }
}

extension ServiceError {
    /// An input error as the API reports it: the field and what is wrong.
    init(_ error: JSONInputError) {
        self.init(.invalid, error.field.isEmpty ? "the body is not valid JSON: \(error.message)" : error.message, field: error.field.isEmpty ? "body" : error.field)
    }
}

extension Principal {
    /// The caller of an operation that needs no authentication (the probes): a tenant user of no
    /// tenant, who may do nothing with a tenant's resources or the operators'.
    static let anonymous = Principal(user: "anonymous", role: .tenant, tenant: nil)
}

/// The most a request body may hold.
public let maxBodyBytes = 8 << 20

extension Endpoint {
    /// Checks the request against the operation, in the order a caller can act on: who it is (401),
    /// whether its role may do this at all (403), then the path, the query and the body (400, 413,
    /// 415); then runs the handler.
    func serve(_ request: Request, context: APIContext, scheduler: Scheduler, ready: @escaping @Sendable () -> Bool, contract: SchemaRegistry) async throws -> Response {
        let operation = operation
        var caller = Principal.anonymous
        if let permission = operation.permission {
            caller = try Self.authenticate(request, scheduler: scheduler)
            guard caller.mayAtAll(permission) else {
                throw ServiceError.forbidden("\(caller.user) (\(caller.role.rawValue)) may not \(permission.words)")
            }
        }
        var parameters: [String: String] = [:]
        for parameter in operation.pathParameters {
            let raw = context.parameters.get(parameter.name) ?? ""
            guard let decoded = raw.removingPercentEncoding else {
                throw ServiceError.invalid(parameter.name, "the path holds a malformed percent-encoding: \(raw)")
            }
            if case .string(let rule) = parameter.schema, let problem = SchemaRegistry.problem(decoded, rule) {
                // Nothing by that name can exist: not found, with what a name looks like.
                throw ServiceError(
                    .notFound, "nothing is named '\(SchemaRegistry.shortened(decoded))' here (\(parameter.description.trimmingCharacters(in: .punctuationCharacters))): \(problem)",
                    field: parameter.name)
            }
            parameters[parameter.name] = decoded
        }
        let query = try Self.checkQuery(request, operation, contract)
        var body: JSONNode?
        if let schema = operation.body {
            body = try await Self.readBody(request, schema: schema, contract: contract)
        } else {
            try await Self.refuseBody(request)
        }
        let response = try await handler(Call(scheduler: scheduler, ready: ready, request: request, caller: caller, parameters: parameters, queryValues: query, bodyNode: body))
        // A tenant pays for the calls the API answered, not for those it refused.
        if let tenant = caller.tenant, response.status.code < 400 { scheduler.countAPICall(tenant: tenant) }
        return response
    }

    static func authenticate(_ request: Request, scheduler: Scheduler) throws(ServiceError) -> Principal {
        guard let header = request.headers[.authorization] else {
            throw ServiceError(.unauthenticated, "an Authorization: Bearer token is required")
        }
        let parts = header.split(separator: " ", maxSplits: 1, omittingEmptySubsequences: true)
        guard parts.count == 2, parts[0].lowercased() == "bearer" else {
            throw ServiceError(.unauthenticated, "the Authorization header must be 'Bearer TOKEN'")
        }
        return try scheduler.authenticate(token: parts[1].trimmingCharacters(in: .whitespaces))
    }

    /// The fields of a query string as browsers, `curl --data-urlencode` and form encoders write
    /// them: `&`-separated `NAME=VALUE`, `+` for a space, then percent-decoded.
    static func formFields(_ query: String) throws(ServiceError) -> [(String, String)] {
        var fields: [(String, String)] = []
        for pair in query.split(separator: "&", omittingEmptySubsequences: true) {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            var decoded: [String] = []
            for part in parts {
                guard let text = part.replacingOccurrences(of: "+", with: " ").removingPercentEncoding else {
                    throw ServiceError.invalid(String(parts[0]), "the query holds a malformed percent-encoding: \(SchemaRegistry.shortened(String(pair)))")
                }
                decoded.append(text)
            }
            fields.append((decoded[0], decoded.count > 1 ? decoded[1] : ""))
        }
        return fields
    }

    /// The query parameters, each known to the operation, given once and within its schema.
    static func checkQuery(_ request: Request, _ operation: Operation, _ contract: SchemaRegistry) throws(ServiceError) -> [String: String] {
        var values: [String: String] = [:]
        for (name, value) in try formFields(request.uri.query ?? "") {
            guard let parameter = operation.query.first(where: { $0.name == name }) else {
                let known = operation.query.map(\.name)
                let hint = Suggestion.nearest(name, among: known).map { "; did you mean '\($0)'?" }
                    ?? (known.isEmpty ? "; this operation takes none" : "; known: \(known.joined(separator: ", "))")
                throw ServiceError.invalid(name, "unknown query parameter '\(name)'\(hint)")
            }
            guard values[name] == nil else { throw ServiceError.invalid(name, "is given more than once") }
            // Checked as the JSON value it stands for.
            let node: JSONNode
            switch parameter.schema {
            case .integer, .number:
                guard let parsed = try? JSONNode.parse(Array(value.utf8)), case .number = parsed.value else {
                    throw ServiceError.invalid(name, "must be a number, got '\(SchemaRegistry.shortened(value))'")
                }
                node = parsed
            case .boolean:
                guard value == "true" || value == "false" else { throw ServiceError.invalid(name, "must be true or false") }
                node = JSONNode(value: .bool(value == "true"), line: 1, objectID: -1)
            default:
                node = JSONNode(value: .string(value), line: 1, objectID: -1)
            }
            do { try contract.check(node, against: parameter.schema, at: name) } catch { throw ServiceError.invalid(name, error.message) }
            values[name] = value
        }
        return values
    }

    /// An operation without a body refuses one (a stray field would otherwise pass unseen).
    static func refuseBody(_ request: Request) async throws {
        var request = request
        guard let buffer = try? await request.collectBody(upTo: maxBodyBytes) else {
            throw ServiceError(.limitExceeded, "the body is larger than \(maxBodyBytes) bytes", field: "body")
        }
        guard buffer.readableBytes == 0 else { throw ServiceError.invalid("body", "this operation takes no body") }
    }

    /// The body: JSON (415 otherwise), at most `maxBodyBytes` (413), valid against `schema` (400).
    static func readBody(_ request: Request, schema: String, contract: SchemaRegistry) async throws -> JSONNode {
        if let type = request.headers[.contentType] {
            let mediaType = type.split(separator: ";").first.map { $0.trimmingCharacters(in: .whitespaces).lowercased() } ?? ""
            guard mediaType == "application/json" else {
                throw ServiceError(.unsupportedMediaType, "the body must be JSON (Content-Type: application/json), not \(type)", field: "Content-Type")
            }
        }
        var request = request
        let buffer: ByteBuffer
        do {
            buffer = try await request.collectBody(upTo: maxBodyBytes)
        } catch {
            throw ServiceError(.limitExceeded, "the body is larger than \(maxBodyBytes) bytes", field: "body")
        }
        // An empty body where every field is optional is `{}`.
        let bytes = buffer.readableBytes == 0 && contract.schemas[schema]?.allOptional == true ? Array("{}".utf8) : Array(buffer.readableBytesView)
        do {
            let node = try JSONNode.parse(bytes)
            try contract.check(node, against: .ref(schema))
            return node
        } catch {
            throw ServiceError(error)
        }
    }
}
