import Foundation
import Hummingbird
import SchedulerService

/// Signing in and out, the language switch, and the home page that sends each role to its own.
enum SignInPages {
    struct SignInView {
        var userName: String
        /// The sign-in form's token (there is no session yet).
        var csrf: String
        var returnPath: String
    }

    struct AccountView {
        var id: String
        var role: String
        var tenant: String
        var kind: String
        var clearance: Int
        var approver: String
        /// A stored user (not the token file's admin), who may hold a password.
        var stored: Bool
        var hasPassword: Bool
    }

    static let routes: [PortalRoute] = [
        .get("/", .anyone) { call in
            guard let caller = call.caller else { return .redirect("/login") }
            return .redirect(home(of: caller))
        },
        .get("/login", .anyone) { call in
            if let caller = call.caller { return .redirect(home(of: caller)) }
            // The form's token before there is a session: the same random value in the form and
            // in a cookie only this site can set (SameSite=Strict).
            let token = Token.generate(prefix: "si")
            call.setCookie(PortalServer.signInCookie, token, maxAge: 3_600, sameSite: "Strict")
            let view = SignInView(userName: call.queryValue("user") ?? "", csrf: token, returnPath: call.queryValue("return").flatMap(PortalServer.localPath) ?? "/")
            return .page("signin", title: call.language("title.signIn"), view)
        },
        .post("/login", .anyone, fields: ["user", "password", "token", "return"]) { call in
            let now = call.scheduler.now()
            let credential: PortalSessions.Credential
            if let token = call.optional("token") {
                do { _ = try call.scheduler.authenticate(token: token) } catch {
                    throw ServiceError(.unauthenticated, call.language("wrongToken"), field: "token")
                }
                credential = .tokenHash(Token.hash(token))
            } else {
                let user = try call.required("user")
                let password = try call.required("password")
                if let wait = call.sessions.wait(before: user, now: now) {
                    throw ServiceError(.unauthenticated, call.language("tooManyAttempts", String(Int(wait.rounded(.up)))), field: "user")
                }
                do { _ = try call.scheduler.authenticate(user: user, password: password) } catch {
                    call.sessions.failed(user, now: now)
                    throw ServiceError(.unauthenticated, call.language("wrongPassword"), field: "password")
                }
                call.sessions.succeeded(user)
                credential = .user(user)
            }
            let (id, _) = call.sessions.open(credential, now: now)
            call.sessions.setFlash(.init(ok: true, text: call.language("signedIn")), for: id)
            call.setCookie(PortalServer.sessionCookie, id)
            call.setCookie(PortalServer.signInCookie, "", maxAge: 0, sameSite: "Strict")
            let target = call.optional("return").flatMap(PortalServer.localPath) ?? "/"
            return .redirect(target)
        },
        .post("/logout", fields: []) { call in
            if let id = call.sessionID { call.sessions.close(id) }
            call.setCookie(PortalServer.sessionCookie, "", maxAge: 0)
            return .redirect("/login")
        },
        .get("/account") { call in
            let user = try call.scheduler.user(call.me.user, by: call.me)
            let language = call.language
            let stored = call.scheduler.principal(user: user.id) != nil
            let view = AccountView(
                id: user.id, role: language("role.\(user.role.rawValue)"), tenant: user.tenant ?? "—", kind: user.kind.rawValue, clearance: user.clearance,
                approver: language(user.approver ? "yes" : "no"), stored: stored, hasPassword: user.passwordHash != nil)
            return .page("account", title: language("title.account"), view)
        },
        .post("/account/password", fields: ["current", "password"]) { call in
            // Whoever holds the session proves it knows the password before changing it.
            if call.scheduler.principal(user: call.me.user) != nil, try call.scheduler.user(call.me.user, by: call.me).passwordHash != nil {
                do { _ = try call.scheduler.authenticate(user: call.me.user, password: try call.required("current")) } catch {
                    throw ServiceError(.forbidden, call.language("wrongPassword"), field: "current")
                }
            }
            _ = try call.scheduler.setPassword(of: call.me.user, to: call.form["password"] ?? "", by: call.me)
            return .redirect("/account", flash: .init(ok: true, text: call.language("passwordChanged")))
        },
        // Any other page: a page that says so, for browsers; the API's paths keep their JSON answers.
        .get("**", .anyone) { call in
            let path = call.request.uri.path
            guard !path.hasPrefix("/v1/") else { throw HTTPError(.notFound) }
            throw PortalServer.PortalRefusal(status: .notFound, message: call.language("pageNotFound", path))
        },
        .get("/language/:language", .anyone) { call in
            guard let language = Language(rawValue: call.path("language")) else { throw ServiceError.notFound("language \(call.path("language"))") }
            call.setCookie(PortalServer.languageCookie, language.rawValue, maxAge: 365 * 86_400)
            return .redirect(call.queryValue("return").flatMap(PortalServer.localPath) ?? "/")
        },
    ]

    /// Where a role starts: departments at their workbench, security officers at their queue,
    /// the platform's roles at the operations overview.
    static func home(of caller: Principal) -> String {
        switch caller.role {
        case .tenant: "/workbench"
        case .security: "/approvals"
        case .admin, .operator, .auditor: "/operations"
        }
    }
}
