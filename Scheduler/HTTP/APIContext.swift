import Foundation
import HTTPTypes
import Hummingbird
import SchedulerService

/// The request context of the API: Hummingbird's core context and the authenticated caller.
public struct APIContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    /// Set by `BearerAuthentication` on every `/v1` route but the OpenAPI document.
    public var principal: Principal?

    public init(source: Source) {
        coreContext = .init(source: source)
    }

    /// The caller, or `unauthenticated`.
    func caller() throws(ServiceError) -> Principal {
        guard let principal else { throw ServiceError(.unauthenticated, "an Authorization: Bearer token is required") }
        return principal
    }
}

/// Establishes the caller from `Authorization: Bearer TOKEN`.
struct BearerAuthentication: RouterMiddleware {
    let scheduler: Scheduler

    func handle(_ request: Request, context: APIContext, next: (Request, APIContext) async throws -> Response) async throws -> Response {
        guard let header = request.headers[.authorization], header.hasPrefix("Bearer "), header.count > 7 else {
            throw ServiceError(.unauthenticated, "an Authorization: Bearer token is required")
        }
        var context = context
        let principal = try scheduler.authenticate(token: String(header.dropFirst(7)))
        if let tenant = principal.tenant { scheduler.countAPICall(tenant: tenant) }
        context.principal = principal
        return try await next(request, context)
    }
}


extension ServiceError: HTTPResponseError {
    public var status: HTTPResponse.Status {
        switch code {
        case .invalid: .badRequest
        case .notFound: .notFound
        case .conflict: .conflict
        case .unauthenticated: .unauthorized
        case .forbidden: .forbidden
        case .limitExceeded: .contentTooLarge
        case .unavailable: .serviceUnavailable
        default: .badRequest
        }
    }

    /// The JSON error body `{code, message, field}`.
    public func response(from request: Request, context: some RequestContext) throws -> Response {
        var response = try JSON.response(ErrorBody(code: code.rawValue, message: message, field: field), status: status)
        if code == .unauthenticated { response.headers[.wwwAuthenticate] = "Bearer" }
        return response
    }
}

struct ErrorBody: Codable {
    var code: String
    var message: String
    var field: String?
}

/// JSON in and out, with errors that name the field.
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

    /// Decodes a request body; a malformed body becomes `invalid` naming the field.
    static func decode<T: Decodable>(_ type: T.Type, from request: Request, limit: Int = 8 << 20) async throws -> T {
        var request = request
        let buffer: ByteBuffer
        do {
            buffer = try await request.collectBody(upTo: limit)
        } catch {
            throw ServiceError(.limitExceeded, "the body is larger than \(limit) bytes")
        }
        do {
            return try JSONDecoder().decode(T.self, from: Data(buffer.readableBytesView))
        } catch let error as DecodingError {
            throw serviceError(error)
        }
    }

    static func serviceError(_ error: DecodingError) -> ServiceError {
        func path(_ codingPath: [any CodingKey]) -> String {
            var out = ""
            for key in codingPath {
                if let index = key.intValue { out += "[\(index)]" } else { out += (out.isEmpty ? "" : ".") + key.stringValue }
            }
            return out
        }
        switch error {
        case .keyNotFound(let key, let context):
            return .invalid(path(context.codingPath + [key]), "is required")
        case .typeMismatch(let type, let context):
            return .invalid(path(context.codingPath), "must be of type \(type)")
        case .valueNotFound(let type, let context):
            return .invalid(path(context.codingPath), "must be a \(type), not null")
        case .dataCorrupted(let context):
            let field = path(context.codingPath)
            return context.codingPath.isEmpty
                ? ServiceError(.invalid, "the body is not valid JSON: \(context.debugDescription)", field: "body")
                : .invalid(field, "invalid value: \(context.debugDescription)")
        @unknown default:
            return ServiceError(.invalid, "the body cannot be read: \(error)", field: "body")
        }
    }
}

extension Request {
    /// A query parameter, or nil.
    func query(_ name: String) -> String? { uri.queryParameters.get(name) }

    /// A numeric query parameter; a malformed one is `invalid` naming it.
    func query<T: LosslessStringConvertible>(_ name: String, as: T.Type) throws(ServiceError) -> T? {
        guard let raw = query(name) else { return nil }
        guard let value = T(raw) else { throw ServiceError.invalid(name, "cannot read '\(raw)' as \(T.self)") }
        return value
    }

    /// An enumerated query parameter; an unknown value is `invalid` naming it and the known ones.
    func query<T: RawRepresentable & CaseIterable>(_ name: String, as: T.Type) throws(ServiceError) -> T? where T.RawValue == String {
        guard let raw = query(name) else { return nil }
        guard let value = T(rawValue: raw) else {
            throw ServiceError.invalid(name, "unknown value '\(raw)'; known: \(T.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        return value
    }
}
