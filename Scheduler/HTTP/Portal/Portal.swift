import Foundation
import HTTPTypes
import Hummingbird
import Mustache
import SchedulerService
import Synchronization

/// How the portal is served.
public struct PortalSettings: Sendable {
    /// Cookies marked `Secure` (the scheduler serves TLS).
    public var secureCookies: Bool

    public init(secureCookies: Bool = false) {
        self.secureCookies = secureCookies
    }
}

/// The web portal, served by the scheduler under `/` beside the API: pages rendered on the server
/// from the Mustache templates in `Templates` (compiled into the binary with the stylesheet and
/// script in `Assets`), signed in by a session cookie, every form carrying its session's CSRF
/// token, every value escaped by the templates, no inline script or style (the Content Security
/// Policy forbids them). Pages call the engine as the API's operations do, as the signed-in user.
public enum Portal {
    /// Adds the portal's pages and assets to the API's router.
    public static func add(to router: Router<APIContext>, scheduler: Scheduler, settings: PortalSettings = PortalSettings()) {
        let server = PortalServer(scheduler: scheduler, sessions: PortalSessions(), settings: settings)
        for route in PortalRoutes.all {
            router.on(RouterPath(route.path), method: route.method) { request, context in
                try await server.serve(route, request, context: context)
            }
        }
        for asset in PortalAssets.all {
            router.get(RouterPath(asset.path)) { _, _ in asset.response }
        }
    }

    /// The templates, parsed once; a template that does not parse stops the scheduler at start
    /// (and the portal's tests long before).
    static let templates: MustacheLibrary = {
        var library = MustacheLibrary()
        for (name, bytes) in PortalAssets.templateSources {
            do { try library.register(String(decoding: bytes, as: UTF8.self), named: name) } catch {
                fatalError("portal template \(name) does not parse: \(error)")
            }
        }
        return library
    }()
}

/// The stylesheet and script, from the binary; pages link them with their content's hash, so
/// browsers may keep them for a day.
struct PortalAssets: Sendable {
    var path: String
    var mediaType: String
    var bytes: [UInt8]

    var response: Response {
        var headers = PortalServer.securityHeaders
        headers[.contentType] = mediaType
        headers[.cacheControl] = "public, max-age=86400"
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
    }

    /// The path pages link to: with a hash of the content, which changes with every change.
    var versionedPath: String { path + "?v=" + String(Token.hash(String(decoding: bytes, as: UTF8.self)).prefix(12)) }

    static let stylesheet = PortalAssets(path: "/assets/portal.css", mediaType: "text/css; charset=utf-8", bytes: PackageResources.portal_css)
    static let script = PortalAssets(path: "/assets/portal.js", mediaType: "text/javascript; charset=utf-8", bytes: PackageResources.portal_js)
    static let all = [stylesheet, script]

    static let templateSources: [(String, [UInt8])] = [
        ("header", PackageResources.header_mustache), ("footer", PackageResources.footer_mustache), ("signin", PackageResources.signin_mustache),
        ("error", PackageResources.error_mustache), ("catalog", PackageResources.catalog_mustache), ("entry", PackageResources.entry_mustache),
        ("workbench", PackageResources.workbench_mustache), ("application", PackageResources.application_mustache),
        ("request", PackageResources.request_mustache), ("approvals", PackageResources.approvals_mustache),
        ("operations", PackageResources.operations_mustache), ("consolidation", PackageResources.consolidation_mustache),
        ("audit", PackageResources.audit_mustache), ("search", PackageResources.search_mustache), ("account", PackageResources.account_mustache),
        ("resources", PackageResources.resources_mustache), ("requests", PackageResources.requests_mustache),
        ("notification-list", PackageResources.notification_list_mustache), ("notifications", PackageResources.notifications_mustache),
    ]
}

/// One page or form of the portal.
struct PortalRoute: Sendable {
    enum Access: Sendable {
        /// Anyone (the sign-in page).
        case anyone
        /// A signed-in user; others are sent to sign in.
        case signedIn
    }

    var method: HTTPRequest.Method
    var path: String
    var access: Access
    /// The form's fields besides `csrf`, for a POST: any other is refused, naming it.
    var fields: Set<String>
    /// Those of them typed in a text area, whose line breaks become spaces; in any other a line
    /// break is refused.
    var textAreas: Set<String>
    /// The query parameters a page takes: any other is refused, naming it.
    var query: Set<String>
    var handler: @Sendable (PortalCall) async throws -> PortalResult

    static func get(
        _ path: String, _ access: Access = .signedIn, query: Set<String> = [], _ handler: @escaping @Sendable (PortalCall) async throws -> PortalResult
    ) -> PortalRoute {
        PortalRoute(method: .get, path: path, access: access, fields: [], textAreas: [], query: query, handler: handler)
    }

    static func post(
        _ path: String, _ access: Access = .signedIn, fields: Set<String>, textAreas: Set<String> = [],
        _ handler: @escaping @Sendable (PortalCall) async throws -> PortalResult
    ) -> PortalRoute {
        PortalRoute(method: .post, path: path, access: access, fields: fields, textAreas: textAreas, query: [], handler: handler)
    }
}

/// What a page handler answers.
enum PortalResult {
    /// A page: the template, its title, and what it shows.
    case page(_ template: String, title: String, _ view: Any, status: HTTPResponse.Status = .ok)
    /// After a form: where to go next, and what to say there.
    case redirect(_ location: String, flash: PortalSessions.Flash? = nil)
}

/// The `Set-Cookie` values of one answer.
final class CookieJar: Sendable {
    private let values = Mutex<[String]>([])

    func add(_ value: String) { values.withLock { $0.append(value) } }
    var set: [String] { values.withLock { $0 } }
}

/// What a page handler gets: the signed-in caller, the language, the path, query and form.
struct PortalCall: Sendable {
    let scheduler: Scheduler
    let sessions: PortalSessions
    let settings: PortalSettings
    let request: Request
    let language: Language
    /// Path parameters, percent-decoded.
    let parameters: [String: String]
    let query: [String: String]
    /// The form's fields (a POST), already checked against the route's.
    let form: [String: String]
    /// The signed-in caller, its session's cookie value and CSRF token; nil on the sign-in page.
    let caller: Principal?
    let sessionID: String?
    let csrf: String?
    /// The cookies the answer sets.
    let cookies = CookieJar()

    var me: Principal { caller! }

    /// Sets a cookie with the answer: HttpOnly, SameSite, Secure under TLS; `maxAge` 0 removes it.
    func setCookie(_ name: String, _ value: String, maxAge: Int? = nil, sameSite: Cookie.SameSite = .lax) {
        cookies.add(Cookie(name: name, value: value, maxAge: maxAge, path: "/", secure: settings.secureCookies, httpOnly: true, sameSite: sameSite).description)
    }
    func path(_ name: String) -> String { parameters[name] ?? "" }

    /// A form field that must be given and not blank.
    func required(_ name: String) throws(ServiceError) -> String {
        guard let value = form[name]?.trimmingCharacters(in: .whitespacesAndNewlines), !value.isEmpty else {
            throw ServiceError.invalid(name, "is required")
        }
        return value
    }

    /// A form field left blank is nil.
    func optional(_ name: String) -> String? {
        guard let value = form[name]?.trimmingCharacters(in: .whitespacesAndNewlines), !value.isEmpty else { return nil }
        return value
    }

    /// A whole number in `range`, from a form field or the query.
    func number(_ name: String, in range: ClosedRange<Int64>, default fallback: Int64? = nil, fromQuery: Bool = false) throws(ServiceError) -> Int64 {
        let text = (fromQuery ? query[name] : form[name])?.trimmingCharacters(in: .whitespaces) ?? ""
        if text.isEmpty, let fallback { return fallback }
        guard let value = Int64(text), range.contains(value) else {
            throw ServiceError.invalid(name, "must be a whole number from \(range.lowerBound) to \(range.upperBound), got '\(SchemaRegistry.shortened(text))'")
        }
        return value
    }

    /// A query parameter left out or blank is nil.
    func queryValue(_ name: String) -> String? {
        guard let value = query[name]?.trimmingCharacters(in: .whitespaces), !value.isEmpty else { return nil }
        return value
    }
}
