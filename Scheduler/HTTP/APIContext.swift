import Foundation
import HTTPTypes
import Hummingbird
import Logging
import SchedulerService

/// The request context of the API: Hummingbird's core context; the caller is established per
/// operation (`Endpoint.serve`).
public struct APIContext: RequestContext {
    public var coreContext: CoreRequestContextStorage

    public init(source: Source) {
        coreContext = .init(source: source)
    }
}

extension ServiceError: HTTPResponseError {
    public var status: HTTPResponse.Status {
        switch code {
        case .invalid: .badRequest
        case .unprocessable: .unprocessableContent
        case .notFound: .notFound
        case .conflict: .conflict
        case .unauthenticated: .unauthorized
        case .forbidden, .quotaExceeded: .forbidden
        case .limitExceeded: .contentTooLarge
        case .unsupportedMediaType: .unsupportedMediaType
        case .methodNotAllowed: .methodNotAllowed
        case .unavailable, .notLeader: .serviceUnavailable
        default: .badRequest
        }
    }

    /// The JSON error body `{code, message, field}`.
    public func response(from request: Request, context: some RequestContext) throws -> Response {
        try response()
    }

    /// The JSON error body `{code, message, field}`; a standby's `not_leader` says when to retry.
    public func response() throws -> Response {
        var response = try JSON.response(ErrorBody(code: code.rawValue, message: message, field: field), status: status)
        if code == .unauthenticated { response.headers[.wwwAuthenticate] = "Bearer" }
        if code == .notLeader { response.headers[.retryAfter] = "1" }
        return response
    }
}

/// A path the API has, called with a method it does not take: 405 with the methods it takes.
struct MethodNotAllowed: HTTPResponseError {
    var allowed: [HTTPRequest.Method]

    var status: HTTPResponse.Status { .methodNotAllowed }

    func response(from request: Request, context: some RequestContext) throws -> Response {
        let methods = allowed.map(\.rawValue).sorted().joined(separator: ", ")
        var response = try JSON.response(
            ErrorBody(code: ServiceError.Code.methodNotAllowed.rawValue, message: "\(request.method.rawValue) is not allowed on \(request.uri.path); allowed: \(methods)"),
            status: .methodNotAllowed)
        response.headers[.allow] = methods
        return response
    }
}

/// Gives every error a JSON body: an unknown path is 404, a known path with another method 405
/// with `Allow`; errors raised by the HTTP layer keep their status; anything else is logged and
/// answered 500 without internals.
struct ErrorBodies: RouterMiddleware {
    let operations: [Operation]
    let logger: Logger

    func handle(_ request: Request, context: APIContext, next: (Request, APIContext) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as ServiceError {
            throw error
        } catch let error as HTTPError where error.status == .notFound {
            let matches = operations.compactMap { operation in operation.match(path: request.uri.path).map { (operation.method, $0) } }
            if let best = matches.map(\.1).max() { throw MethodNotAllowed(allowed: matches.filter { $0.1 == best }.map(\.0)) }
            throw ServiceError(.notFound, "the API has no path \(request.uri.path) (see /v1/openapi.json)")
        } catch let error as HTTPError {
            throw ServiceError(error.status.code == 413 ? .limitExceeded : .invalid, error.body ?? error.status.reasonPhrase)
        } catch {
            logger.error("unexpected error", metadata: ["path": "\(request.uri.path)", "error": "\(error)"])
            return try JSON.response(ErrorBody(code: "internal", message: "the scheduler failed to answer; see its log"), status: .internalServerError)
        }
    }
}

struct ErrorBody: Codable {
    var code: String
    var message: String
    var field: String?
}

/// JSON out.
enum JSON {
    static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return encoder
    }()

    static func response<T: Encodable>(_ value: T, status: HTTPResponse.Status = .ok) throws -> Response {
        let data = try encoder.encode(value)
        return Response(status: status, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }

    static func text(_ text: String, mediaType: String = "text/plain; charset=utf-8", status: HTTPResponse.Status = .ok) -> Response {
        Response(status: status, headers: [.contentType: mediaType], body: .init(byteBuffer: ByteBuffer(string: text)))
    }
}

extension HTTPField.Name {
    static let idempotencyKey = HTTPField.Name("Idempotency-Key")!
}
