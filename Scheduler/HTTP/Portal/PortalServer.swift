import Foundation
import HTTPTypes
import Hummingbird
import Logging
import Placement
import SchedulerService

/// Serves the portal's routes: the session, the language, the form and its CSRF token are
/// established before a page's handler runs; its result is rendered, and whatever it throws is
/// shown as a page that names the field and what is wrong, with the status the API would answer.
struct PortalServer: Sendable {
    let scheduler: Scheduler
    let sessions: PortalSessions
    let settings: PortalSettings
    let logger = Logger(label: "suanli.portal")

    static let sessionCookie = "suanli_session"
    static let signInCookie = "suanli_signin"
    static let languageCookie = "suanli_lang"
    /// The most a form may hold.
    static let maxFormBytes = 1 << 20

    /// On every page and asset: scripts and styles from this origin only, none inline; no framing;
    /// forms posted only here.
    static let securityHeaders: HTTPFields = [
        .contentSecurityPolicy:
            "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
        .xContentTypeOptions: "nosniff",
        .referrerPolicy: "same-origin",
        .xFrameOptions: "DENY",
    ]

    func serve(_ route: PortalRoute, _ request: Request, context: APIContext) async throws -> Response {
        // Paths under /v1/ are the API's (only the catch-all page matches them): its 404 and 405.
        guard !request.uri.path.hasPrefix("/v1/") else { throw HTTPError(.notFound) }
        let cookies = request.cookies
        let language = cookies[Self.languageCookie].flatMap { Language(rawValue: $0.value) } ?? .zh
        let now = scheduler.now()
        var sessionID = cookies[Self.sessionCookie]?.value
        var session = sessionID.flatMap { sessions.session($0, now: now) }
        let caller = session.flatMap { principal(of: $0.credential) }
        if caller == nil {
            session = nil
            sessionID = nil
        }
        do {
            if route.access == .signedIn, caller == nil {
                if route.method == .get {
                    // A browser whose session ended (not one that never had one) is told so.
                    let ended = cookies[Self.sessionCookie].map { $0.value.isEmpty ? "" : "&ended=yes" } ?? ""
                    return redirect("/login?return=" + Self.percentEncoded(request.uri.path + (request.uri.query.map { "?" + $0 } ?? "")) + ended)
                }
                throw PortalRefusal(status: .forbidden, message: language("sessionExpired"))
            }
            var form: [String: String] = [:]
            if route.method == .post {
                form = try await Self.readForm(request, fields: route.fields.union(["csrf"]), textAreas: route.textAreas, language: language)
                try checkOrigin(request, language: language)
                let expected = route.access == .anyone ? cookies[Self.signInCookie]?.value : session?.csrf
                guard let expected, let given = form["csrf"], Self.constantTimeEqual(given, expected) else {
                    throw PortalRefusal(status: .forbidden, message: language("csrfRefused"))
                }
            }
            var parameters: [String: String] = [:]
            for (key, value) in context.parameters { parameters[String(key)] = String(value).removingPercentEncoding ?? String(value) }
            var query: [String: String] = [:]
            for (name, value) in try Endpoint.formFields(request.uri.query ?? "") {
                guard route.query.contains(name) else {
                    let hint = Suggestion.nearest(name, among: route.query.sorted()).map { "; did you mean '\($0)'?" } ?? ""
                    throw ServiceError.invalid(name, "unknown query parameter '\(SchemaRegistry.shortened(name))'\(hint)")
                }
                guard query[name] == nil else { throw ServiceError.invalid(name, "is given more than once") }
                query[name] = value
            }
            let call = PortalCall(
                scheduler: scheduler, sessions: sessions, settings: settings, request: request, language: language, parameters: parameters, query: query,
                form: form, caller: caller, sessionID: sessionID, csrf: session?.csrf)
            let result = try await route.handler(call)
            return render(result, call: call)
        } catch {
            let (status, message, field) = describe(error)
            let back = request.headers[.referer].flatMap { Self.localPath($0) } ?? "/"
            let label = field.map { Self.label(of: $0, in: language) }
            let view = ErrorView(message: message, field: label, back: back, signIn: caller == nil ? "/login?return=" + Self.percentEncoded(back) : nil)
            let call = PortalCall(
                scheduler: scheduler, sessions: sessions, settings: settings, request: request, language: language, parameters: [:], query: [:], form: [:],
                caller: caller, sessionID: sessionID, csrf: session?.csrf)
            return render(.page("error", title: language("title.error"), view, status: status), call: call)
        }
    }

    /// A refusal of the portal's own (no session, a forged form).
    struct PortalRefusal: Error {
        var status: HTTPResponse.Status
        var message: String
    }

    struct ErrorView {
        var message: String
        var field: String?
        var back: String
        /// Where to sign in again, when there is no session.
        var signIn: String?
    }

    /// A field as its form labels it: the engine names it by its path in the API's body
    /// (`items[0].request.workload.vm.image`), which ends in the form's name (`image`).
    static func label(of field: String, in language: Language) -> String {
        var path = Substring(field)
        while true {
            if let word = language.text["field.\(path)"] ?? language.text[String(path)] { return word }
            guard let dot = path.firstIndex(of: ".") else { return field }
            path = path[path.index(after: dot)...]
        }
    }

    private func describe(_ error: any Error) -> (HTTPResponse.Status, String, String?) {
        switch error {
        case let refusal as PortalRefusal: return (refusal.status, refusal.message, nil)
        case let error as ServiceError: return (error.status, error.message, error.field)
        default:
            logger.error("a portal page failed", metadata: ["error": "\(error)"])
            return (.internalServerError, "the scheduler failed to answer; see its log", nil)
        }
    }

    private func principal(of credential: PortalSessions.Credential) -> Principal? {
        switch credential {
        case .user(let id, let generation): scheduler.principal(user: id, passwordGeneration: generation)
        case .tokenHash(let hash): scheduler.principal(tokenHash: hash)
        }
    }

    // MARK: Rendering

    /// The frame every page is rendered in: the words, the header's navigation and the page.
    struct Frame {
        struct Me {
            var user: String
            var roleText: String
        }
        struct NavItem {
            var id: String
            var href: String
            var label: String
            var current: Bool
            var badge: String?
        }
        struct FlashView {
            var kind: String
            var text: String
        }

        var t: [String: String]
        var lang: String
        var otherLang: String
        var languageSwitch: String
        var csrf: String?
        var me: Me?
        var nav: [NavItem]
        var flash: FlashView?
        var title: String
        var page: Any
        /// The assets' paths with their content's hash, so that a new build is never served from a
        /// browser's cache.
        var stylesheet: String
        var script: String
    }

    private func render(_ result: PortalResult, call: PortalCall) -> Response {
        switch result {
        case .redirect(let location, let flash):
            if let flash, let id = call.sessionID { sessions.setFlash(flash, for: id) }
            return redirect(location, cookies: call.cookies.set)
        case .page(let template, let title, let view, let status):
            // What the last form did is said once, on the page after it (not on a refusal).
            let flash = status.code < 400 ? call.sessionID.flatMap { sessions.takeFlash(for: $0) } : nil
            let language = call.language
            let here = call.request.uri.path + (call.request.uri.query.map { "?" + $0 } ?? "")
            let frame = Frame(
                t: language.text, lang: language == .zh ? "zh-CN" : "en", otherLang: language.other.rawValue,
                languageSwitch: "/language/\(language.other.rawValue)?return=" + Self.percentEncoded(here), csrf: call.csrf,
                me: call.caller.map { Frame.Me(user: $0.user, roleText: language("role.\($0.role.rawValue)")) },
                nav: call.caller.map { navigation(for: $0, language: language, path: call.request.uri.path) } ?? [],
                flash: flash.map { Frame.FlashView(kind: $0.ok ? "ok" : "error", text: $0.text) }, title: title, page: view,
                stylesheet: PortalAssets.stylesheet.versionedPath, script: PortalAssets.script.versionedPath)
            let html = Portal.templates.render(frame, withTemplate: template) ?? "template \(template) is missing"
            var headers = Self.securityHeaders
            headers[.contentType] = "text/html; charset=utf-8"
            headers[.cacheControl] = "no-store"
            for cookie in call.cookies.set { headers.append(HTTPField(name: .setCookie, value: cookie)) }
            return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(string: html)))
        }
    }

    /// The header's links: what the caller's role may use.
    private func navigation(for caller: Principal, language: Language, path: String) -> [Frame.NavItem] {
        var items: [(String, String)] = []
        if caller.role == .tenant { items.append(("workbench", "/workbench")) }
        if caller.mayAtAll(.readRequests) { items.append(("requests", "/requests")) }
        items.append(("catalog", "/catalog"))
        // A department's user decides only if it is one of its approvers.
        let decides = caller.role == .tenant ? (try? scheduler.user(caller.user, by: caller).approver) == true : caller.mayAtAll(.decideApplications)
        if decides { items.append(("approvals", "/approvals")) }
        // Counts that call for a visit: unread notifications, applications awaiting the caller.
        var badges: [String: Int] = [:]
        if caller.role == .tenant { badges["workbench"] = (try? scheduler.unreadNotifications(by: caller)) ?? 0 }
        if decides { badges["approvals"] = (try? scheduler.applications(ApplicationQuery(limit: 1000), awaitingMe: true, by: caller).count) ?? 0 }
        if caller.may(.readOperations) {
            items.append(("operations", "/operations"))
            items.append(("consolidation", "/operations/consolidation"))
        }
        if caller.may(.readAudit) { items.append(("audit", "/operations/audit")) }
        items.append(("search", "/search"))
        return items.map { id, href in
            Frame.NavItem(id: id, href: href, label: language("nav.\(id)"), current: path == href, badge: badges[id].flatMap { $0 > 0 ? String($0) : nil })
        }
    }

    func redirect(_ location: String, cookies: [String] = []) -> Response {
        var headers = Self.securityHeaders
        headers[.location] = location
        headers[.cacheControl] = "no-store"
        for cookie in cookies { headers.append(HTTPField(name: .setCookie, value: cookie)) }
        return Response(status: .seeOther, headers: headers)
    }

    // MARK: Input

    /// The form of a POST: `application/x-www-form-urlencoded` (415 otherwise), at most 1 MiB
    /// (413), each field known to the route and given once (400 naming it).
    static func readForm(_ request: Request, fields: Set<String>, textAreas: Set<String>, language: Language) async throws -> [String: String] {
        let type = request.headers[.contentType]?.split(separator: ";").first.map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
        guard type == "application/x-www-form-urlencoded" else {
            throw ServiceError(.unsupportedMediaType, "a form is sent as application/x-www-form-urlencoded, not \(type ?? "nothing")", field: "Content-Type")
        }
        var request = request
        let buffer: ByteBuffer
        do { buffer = try await request.collectBody(upTo: maxFormBytes) } catch {
            throw ServiceError(.limitExceeded, "the form is larger than \(maxFormBytes) bytes", field: "body")
        }
        var form: [String: String] = [:]
        for (name, value) in try Endpoint.formFields(String(decoding: buffer.readableBytesView, as: UTF8.self)) {
            guard fields.contains(name) else {
                let hint = Suggestion.nearest(name, among: fields.sorted()).map { "; did you mean '\($0)'?" } ?? ""
                throw ServiceError.invalid(name, "unknown form field '\(SchemaRegistry.shortened(name))'\(hint)")
            }
            guard form[name] == nil else { throw ServiceError.invalid(name, "is given more than once") }
            if textAreas.contains(name) {
                // A text area's line breaks become spaces: the engine keeps text on one line.
                form[name] = value.replacingOccurrences(of: "\r\n", with: " ").replacingOccurrences(of: "\n", with: " ").replacingOccurrences(of: "\r", with: " ")
            } else {
                guard !value.contains("\n"), !value.contains("\r") else { throw ServiceError.invalid(name, language("oneLine")) }
                form[name] = value
            }
        }
        return form
    }

    /// A form posted from another site's page is refused even before its token is compared.
    private func checkOrigin(_ request: Request, language: Language) throws {
        guard let origin = request.headers[.origin] else { return }
        let host = request.head.authority ?? ""
        guard let url = URL(string: origin), let originHost = url.host else {
            throw PortalRefusal(status: .forbidden, message: language("csrfRefused"))
        }
        let originAuthority = url.port.map { "\(originHost):\($0)" } ?? originHost
        guard originAuthority == host || originHost == host else {
            throw PortalRefusal(status: .forbidden, message: language("csrfRefused"))
        }
    }

    static func constantTimeEqual(_ a: String, _ b: String) -> Bool {
        let x = Array(a.utf8), y = Array(b.utf8)
        guard x.count == y.count else { return false }
        var difference: UInt8 = 0
        for i in 0..<x.count { difference |= x[i] ^ y[i] }
        return difference == 0
    }

    /// A path on this site from a `return` parameter or a Referer, or nil: never another site's.
    static func localPath(_ text: String) -> String? {
        var candidate = text
        if let url = URL(string: text), url.scheme != nil {
            candidate = url.path + (url.query.map { "?" + $0 } ?? "")
        }
        guard candidate.hasPrefix("/"), !candidate.hasPrefix("//"), !candidate.hasPrefix("/\\"), !candidate.contains("\r"), !candidate.contains("\n") else {
            return nil
        }
        return candidate
    }

    static func percentEncoded(_ text: String) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~/")
        return text.addingPercentEncoding(withAllowedCharacters: allowed) ?? ""
    }
}

extension HTTPField.Name {
    static let xFrameOptions = HTTPField.Name("X-Frame-Options")!
    static let referrerPolicy = HTTPField.Name("Referrer-Policy")!
}
