import Foundation
import SchedulerService

/// Signing in and out, the language switch, and the home page that sends each role to its own.
enum SignInPages {
    struct SignInView {
        var userName: String
        /// The sign-in form's token (there is no session yet).
        var csrf: String
        var returnPath: String
        /// Why the last try failed.
        var problem: String?
        /// What happened before (signed out, the session ended).
        var notice: String?
    }

    /// The sign-in page, with a new form token; after a failed try, with why and the name typed.
    static func signInPage(_ call: PortalCall, user: String = "", returnPath: String?, problem: String? = nil, notice: String? = nil) -> PortalResult {
        // The form's token before there is a session: the same random value in the form and in a
        // cookie only this site can set (SameSite=Strict).
        let token = Token.generate(prefix: "si")
        call.setCookie(PortalServer.signInCookie, token, maxAge: 3_600, sameSite: .strict)
        let view = SignInView(userName: user, csrf: token, returnPath: returnPath.flatMap(PortalServer.localPath) ?? "/", problem: problem, notice: notice)
        return .page("signin", title: call.language("title.signIn"), view, status: problem == nil ? .ok : .unauthorized)
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
        /// A department's user: its kind, clearance and approver flag mean something.
        var department: Bool
        var hasPassword: Bool
    }

    static let routes: [PortalRoute] = [
        .get("/", .anyone) { call in
            guard let caller = call.caller else { return .redirect("/login") }
            return .redirect(home(of: caller))
        },
        .get("/login", .anyone, query: ["return", "user", "ended", "signedOut"]) { call in
            if let caller = call.caller { return .redirect(home(of: caller)) }
            let notice = call.queryValue("signedOut") != nil ? call.language("signedOut") : call.queryValue("ended") != nil ? call.language("sessionEnded") : nil
            return signInPage(call, user: call.queryValue("user") ?? "", returnPath: call.queryValue("return"), notice: notice)
        },
        .post("/login", .anyone, fields: ["user", "password", "token", "return"]) { call in
            let now = call.scheduler.now()
            let returnPath = call.optional("return")
            let credential: PortalSessions.Credential
            let principal: Principal
            if let token = call.optional("token") {
                do { principal = try call.scheduler.authenticate(token: token) } catch {
                    return signInPage(call, returnPath: returnPath, problem: call.language("wrongToken"))
                }
                credential = .tokenHash(Token.hash(token))
            } else {
                let user = call.optional("user") ?? ""
                // A name no user can have is refused before it is counted or logged.
                guard Identifier.isValid(user) else {
                    return signInPage(call, returnPath: returnPath, problem: call.language("wrongPassword"))
                }
                if let wait = call.sessions.wait(before: user, now: now) {
                    return signInPage(call, user: user, returnPath: returnPath, problem: call.language("tooManyAttempts", String(Int(wait.rounded(.up)))))
                }
                do { principal = try call.scheduler.authenticate(user: user, password: call.form["password"] ?? "") } catch {
                    if call.sessions.failed(user, now: now) {
                        call.scheduler.recordSession("session.refused", user: user, detail: "five or more wrong passwords in a row: further tries are slowed down")
                    }
                    return signInPage(call, user: user, returnPath: returnPath, problem: call.language("wrongPassword"))
                }
                call.sessions.succeeded(user)
                credential = .user(user, passwordGeneration: call.scheduler.passwordGeneration(of: user) ?? 0)
            }
            call.scheduler.recordSession("session.open", user: principal.user, detail: "portal, with a \(credential.word)")
            let (id, _) = call.sessions.open(credential, now: now)
            call.sessions.setFlash(.init(ok: true, text: call.language("signedIn")), for: id)
            call.setCookie(PortalServer.sessionCookie, id)
            call.setCookie(PortalServer.signInCookie, "", maxAge: 0, sameSite: .strict)
            return .redirect(returnPath.flatMap(PortalServer.localPath) ?? "/")
        },
        .post("/logout", fields: []) { call in
            if let id = call.sessionID { call.sessions.close(id) }
            call.scheduler.recordSession("session.close", user: call.me.user, detail: "portal")
            call.setCookie(PortalServer.sessionCookie, "", maxAge: 0)
            return .redirect("/login?signedOut=yes")
        },
        .get("/account") { call in
            let user = try call.scheduler.user(call.me.user, by: call.me)
            let language = call.language
            let stored = call.scheduler.passwordGeneration(of: user.id) != nil
            let view = AccountView(
                id: user.id, role: language("role.\(user.role.rawValue)"), tenant: user.tenant.map { call.scheduler.tenantNames()[$0] ?? $0 } ?? "—",
                kind: PortalFormat(language: language).word("kindOfUser", user.kind.rawValue), clearance: user.clearance,
                approver: language(user.approver ? "yes" : "no"), stored: stored, department: user.role == .tenant, hasPassword: user.passwordHash != nil)
            return .page("account", title: language("title.account"), view)
        },
        .post("/account/password", fields: ["current", "password"]) { call in
            // Whoever holds the session proves it knows the password before changing it, and is
            // slowed down as the sign-in is.
            let user = call.me.user, now = call.scheduler.now()
            if try call.scheduler.user(user, by: call.me).passwordHash != nil {
                if let wait = call.sessions.wait(before: user, now: now) {
                    throw ServiceError(.forbidden, call.language("tooManyAttempts", String(Int(wait.rounded(.up)))), field: "current")
                }
                do { _ = try call.scheduler.authenticate(user: user, password: call.form["current"] ?? "") } catch {
                    call.sessions.failed(user, now: now)
                    throw ServiceError(.forbidden, call.language("wrongCurrentPassword"), field: "current")
                }
                call.sessions.succeeded(user)
            }
            _ = try call.scheduler.setPassword(of: user, to: call.form["password"] ?? "", by: call.me)
            // Every session begun before ends with the old password; this browser gets a new one.
            if let old = call.sessionID { call.sessions.close(old) }
            let (id, _) = call.sessions.open(.user(user, passwordGeneration: call.scheduler.passwordGeneration(of: user) ?? 0), now: call.scheduler.now())
            call.setCookie(PortalServer.sessionCookie, id)
            call.sessions.setFlash(.init(ok: true, text: call.language("passwordChanged")), for: id)
            return .redirect("/account")
        },
        // Any other page: a page that says so, for browsers; the API's paths keep their JSON answers.
        .get("**", .anyone) { call in
            throw PortalServer.PortalRefusal(status: .notFound, message: call.language("pageNotFound", call.request.uri.path))
        },
        .get("/language/:language", .anyone, query: ["return"]) { call in
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
