import HTTPTypes
import SchedulerService

/// One operation of the API as the document states it and the router serves it: its route, who
/// may call it, the parameters and body it takes and the answers it gives. The route, the checks
/// of its input and its entry in the OpenAPI document all come from this one value.
public struct Operation: Sendable {
    public var method: HTTPRequest.Method
    /// With `{name}` for path parameters: `/v1/requests/{id}`.
    public var path: String
    public var id: String
    public var summary: String
    public var tag: String
    /// What the caller's role must allow at all (checked before the body is read); nil for an
    /// operation without authentication.
    public var permission: Permission?
    public var pathParameters: [Parameter]
    public var query: [Parameter]
    /// A component schema's name.
    public var body: String?
    public var success: [Answer]
    /// Error statuses besides those every operation of its kind can give.
    public var errors: Set<Int>

    public struct Parameter: Sendable {
        public var name: String
        public var schema: Schema
        public var description: String

        public init(_ name: String, _ schema: Schema, _ description: String) {
            self.name = name
            self.schema = schema
            self.description = description
        }
    }

    /// A successful answer: its status and body (a component schema's name, or text).
    public struct Answer: Sendable {
        public enum Content: Sendable {
            case json(String)
            case text(mediaType: String, description: String)
            /// JSON by default, text on request (a query parameter chooses).
            case jsonOrText(schema: String, mediaType: String, description: String)
            case none
        }
        public var status: Int
        public var description: String
        public var content: Content

        public static func json(_ status: Int, _ schema: String, _ description: String) -> Answer {
            Answer(status: status, description: description, content: .json(schema))
        }
    }

    public init(
        _ method: HTTPRequest.Method, _ path: String, id: String, summary: String, tag: String, permission: Permission?,
        pathParameters: [Parameter] = [], query: [Parameter] = [], body: String? = nil, success: [Answer], errors: Set<Int> = []
    ) {
        self.method = method
        self.path = path
        self.id = id
        self.summary = summary
        self.tag = tag
        self.permission = permission
        self.pathParameters = pathParameters
        self.query = query
        self.body = body
        self.success = success
        self.errors = errors
    }

    /// Every error status the operation can answer.
    var errorStatuses: Set<Int> {
        // Any operation refuses a body it does not take (400) and one over the size limit (413).
        var statuses = errors.union([400, 413])
        if permission != nil { statuses.formUnion([401, 403]) }
        if body != nil { statuses.insert(415) }
        if !pathParameters.isEmpty { statuses.insert(404) }
        return statuses
    }

    /// The path as Hummingbird's router writes it: `/v1/requests/:id`.
    var routerPath: String {
        path.split(separator: "/").map { $0.hasPrefix("{") ? ":" + $0.dropFirst().dropLast() : String($0) }.joined(separator: "/")
    }

    /// How well a request path (percent-encoded, as received) falls under this operation's path:
    /// nil when it does not, else the number of its literal segments (a literal beats a parameter).
    func match(path requested: String) -> Int? {
        let ours = path.split(separator: "/", omittingEmptySubsequences: false)
        let theirs = requested.split(separator: "/", omittingEmptySubsequences: false)
        guard ours.count == theirs.count, zip(ours, theirs).allSatisfy({ $0.hasPrefix("{") ? !$1.isEmpty : $0 == $1 }) else { return nil }
        return ours.filter { !$0.hasPrefix("{") }.count
    }
}
