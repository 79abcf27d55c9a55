import Foundation
import Hummingbird
import HummingbirdTesting
import Placement
@testable import SchedulerHTTP
import SchedulerService
import Testing

/// The portal's pages and forms through the router, as a browser sends them: sessions and their
/// cookies, CSRF refusals, unknown form fields, escaping, the Content Security Policy, who sees
/// which page. The journeys in a real browser are in `PortalBrowserTests` (NodeAgentTests).
@Suite("Web portal")
struct PortalTests {
    /// A browser's cookie jar over the test client: follows nothing, keeps what `Set-Cookie` sets.
    final class Browser: @unchecked Sendable {
        let client: any TestClientProtocol
        var cookies: [String: String] = [:]

        init(_ client: any TestClientProtocol) { self.client = client }

        struct Page {
            var status: HTTPResponse.Status
            var headers: HTTPFields
            var body: String

            var location: String? { headers[.location] }
            /// The first hidden `csrf` field's value.
            var csrf: String? {
                guard let range = body.range(of: #"name="csrf" value=""#) else { return nil }
                return String(body[range.upperBound...].prefix { $0 != "\"" })
            }
        }

        func get(_ uri: String, headers extra: HTTPFields = [:]) async throws -> Page {
            try await send(.get, uri, body: nil, headers: extra)
        }

        func post(_ uri: String, _ fields: [(String, String)], headers extra: HTTPFields = [:]) async throws -> Page {
            var allowed = CharacterSet.alphanumerics
            allowed.insert(charactersIn: "-._~")
            let body = fields.map { "\($0.0)=\($0.1.addingPercentEncoding(withAllowedCharacters: allowed)!)" }.joined(separator: "&")
            var headers = extra
            headers[.contentType] = "application/x-www-form-urlencoded"
            return try await send(.post, uri, body: body, headers: headers)
        }

        private func send(_ method: HTTPRequest.Method, _ uri: String, body: String?, headers extra: HTTPFields) async throws -> Page {
            var headers = extra
            if !cookies.isEmpty { headers[.cookie] = cookies.map { "\($0.key)=\($0.value)" }.joined(separator: "; ") }
            let page = try await client.execute(uri: uri, method: method, headers: headers, body: body.map { ByteBuffer(string: $0) }) { response in
                Page(status: response.status, headers: response.headers, body: String(buffer: response.body))
            }
            for cookie in page.headers[values: .setCookie] {
                let pair = cookie.split(separator: ";")[0].split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
                let name = String(pair[0]), value = pair.count > 1 ? String(pair[1]) : ""
                if value.isEmpty || cookie.contains("Max-Age=0") { cookies[name] = nil } else { cookies[name] = value }
            }
            return page
        }

        /// Signs in with a password (or a token), as the sign-in page's form does.
        @discardableResult
        func signIn(user: String? = nil, password: String? = nil, token: String? = nil, return target: String = "/") async throws -> Page {
            let form = try await get("/login")
            let csrf = try #require(form.csrf)
            var fields = [("csrf", csrf), ("return", target)]
            if let token { fields.append(("token", token)) } else { fields += [("user", user ?? ""), ("password", password ?? "")] }
            return try await post("/login", fields)
        }
    }

    /// Runs `body` against the API and the portal of a scheduler with two tenants, two nodes,
    /// and users with passwords: alice (water), tom (transport's approver), olga (operator).
    func withPortal(_ body: @Sendable (any TestClientProtocol, Scheduler, ManualClock) async throws -> Void) async throws {
        let (scheduler, _, clock) = try newScheduler()
        _ = try scheduler.createUser(id: "alice", role: .tenant, tenant: "water", clearance: 2, password: "alice-password", by: admin)
        _ = try scheduler.createUser(id: "tom", role: .tenant, tenant: "transport", approver: true, password: "tom-password-1", by: admin)
        _ = try scheduler.createUser(id: "olga", role: .operator, tenant: nil, password: "olga-password-1", by: admin)
        let router = SchedulerAPI.router(scheduler: scheduler)
        Portal.add(to: router, scheduler: scheduler)
        try await Application(router: router).test(.router) { client in try await body(client, scheduler, clock) }
    }

    @Test("every word a template shows is in both languages")
    func everyWordInBothLanguages() throws {
        #expect(PortalText.chinese.count == PortalText.rows.count, "a key is in the table twice")
        for (name, bytes) in PortalAssets.templateSources {
            let text = String(decoding: bytes, as: UTF8.self)
            let keys = text.matches(of: /\{\{t\.([A-Za-z.]+)\}\}/).map { String($0.output.1) }
            for key in keys {
                #expect(PortalText.chinese[key] != nil && PortalText.english[key] != nil, "template \(name) shows t.\(key), which the table lacks")
                #expect(!key.contains("."), "template \(name) shows t.\(key): Mustache reads the dot as a path, not part of the key")
            }
            #expect(!text.contains(" style=") && !text.contains(" onclick=") && !text.contains("<script>"), "template \(name) holds an inline style or script")
        }
    }

    @Test("a password signs in with an HttpOnly, SameSite session cookie; a wrong one, and a sixth try in a row, are refused")
    func passwordSignIn() async throws {
        try await withPortal { client, scheduler, _ in
            let browser = Browser(client)
            let login = try await browser.get("/login")
            #expect(login.status == .ok && login.body.contains(#"<html lang="zh-CN">"#) && login.body.contains("用户名和密码登录"))
            #expect(login.headers[.contentSecurityPolicy]?.contains("script-src 'self'") == true && login.headers[.contentSecurityPolicy]?.contains("unsafe-inline") == false)
            #expect(login.headers[values: .setCookie].contains { $0.hasPrefix("suanli_signin=") && $0.contains("HttpOnly") && $0.contains("SameSite=Strict") })

            let wrong = try await browser.signIn(user: "alice", password: "not-her-password")
            #expect(wrong.status == .unauthorized && wrong.body.contains("用户名或密码不正确") && wrong.body.contains("password"))
            let signedIn = try await browser.signIn(user: "alice", password: "alice-password", return: "/catalog")
            #expect(signedIn.status == .seeOther && signedIn.location == "/catalog")
            let session = signedIn.headers[values: .setCookie].first { $0.hasPrefix("suanli_session=") } ?? ""
            #expect(session.contains("HttpOnly") && session.contains("SameSite=Lax") && !session.contains("Secure"), "\(session)")
            let catalog = try await browser.get("/catalog")
            #expect(catalog.status == .ok && catalog.body.contains("alice · 部门用户") && catalog.body.contains("已登录"))
            let signedOut = try await browser.post("/logout", [("csrf", catalog.csrf ?? "")])
            #expect(signedOut.location == "/login?signedOut=yes")
            let afterSignOut = try await browser.get("/login?signedOut=yes")
            #expect(afterSignOut.body.contains("已退出"))
            try await browser.signIn(user: "alice", password: "alice-password")
            #expect(try scheduler.audit(AuditQuery(actor: "alice", action: "session.open"), by: admin).count == 2, "sign-ins are in the audit log")
            #expect(try scheduler.audit(AuditQuery(actor: "alice", action: "session.close"), by: admin).count == 1)

            // A name no user can have is refused at once: neither counted nor logged.
            let odd = try await Browser(client).signIn(user: String(repeating: "<x>", count: 5_000), password: "whatever-password")
            #expect(odd.status == .unauthorized && odd.body.contains("用户名或密码不正确"))
            #expect(try scheduler.audit(AuditQuery(action: "session.refused"), by: admin).isEmpty)
            // Guessing is slowed: after five failures in a row even the right password waits.
            let guesser = Browser(client)
            for _ in 0..<5 { try await guesser.signIn(user: "tom", password: "wrong-guess-1") }
            let blocked = try await guesser.signIn(user: "tom", password: "tom-password-1")
            #expect(blocked.status == .unauthorized && blocked.body.contains("登录失败次数过多"), "\(blocked.body)")
        }
    }

    @Test("a user changes its own password on its account page, proving it knows the current one")
    func passwordChange() async throws {
        try await withPortal { client, _, _ in
            let browser = Browser(client)
            try await browser.signIn(user: "alice", password: "alice-password")
            let elsewhere = Browser(client)
            try await elsewhere.signIn(user: "alice", password: "alice-password")
            let account = try await browser.get("/account")
            #expect(account.status == .ok && account.body.contains("password-change") && account.body.contains("Water Bureau"))
            let csrf = try #require(account.csrf)
            let wrong = try await browser.post("/account/password", [("csrf", csrf), ("current", "guess-guess-1"), ("password", "a new passphrase")])
            #expect(wrong.status == .forbidden)
            let short = try await browser.post("/account/password", [("csrf", csrf), ("current", "alice-password"), ("password", "short")])
            #expect(short.status == .badRequest && short.body.contains("10 to 72 bytes"))
            let changed = try await browser.post("/account/password", [("csrf", csrf), ("current", "alice-password"), ("password", "a new passphrase")])
            #expect(changed.status == .seeOther)
            #expect(try await browser.get("/account").body.contains("密码已修改"), "this browser stays signed in")
            #expect(try await elsewhere.get("/account").location?.hasPrefix("/login") == true, "a session begun with the old password ends")
            #expect(try await Browser(client).signIn(user: "alice", password: "alice-password").status == .unauthorized)
            #expect(try await Browser(client).signIn(user: "alice", password: "a new passphrase").status == .seeOther)
        }
    }

    @Test("all of a department's resources, a page at a time, by phase; the workbench lists some and links there")
    func resourcePages() async throws {
        try await withPortal { client, scheduler, _ in
            let alice = try scheduler.principal(user: "alice").unwrap()
            _ = try scheduler.submit((0..<120).map { RequestSpec(id: "job-\($0)", cpu: 0.1, memoryMiB: 64) }, batch: true, by: alice)
            let browser = Browser(client)
            try await browser.signIn(user: "alice", password: "alice-password")
            let workbench = try await browser.get("/workbench")
            #expect(workbench.body.components(separatedBy: "<tr id=\"resource-").count - 1 == WorkbenchPages.resourcesListed)
            #expect(workbench.body.contains("此处仅列出 50 项") && workbench.body.contains(#"href="/requests""#))
            var seen = Set<String>()
            var page = try await browser.get("/requests")
            for _ in 0..<5 {
                for match in page.body.matches(of: /<tr id="resource-(job-\d+)">/) { seen.insert(String(match.output.1)) }
                guard let range = page.body.range(of: #"id="requests-next""#) else { break }
                let before = page.body[..<range.lowerBound]
                let href = try #require(before.range(of: #"href=""#, options: .backwards).map { String(before[$0.upperBound...].prefix { $0 != "\"" }) })
                page = try await browser.get(href.replacingOccurrences(of: "&amp;", with: "&"))
            }
            #expect(seen.count == 120, "every resource, once, over the pages: \(seen.count)")
            #expect(try await browser.get("/requests?phase=released").body.contains("没有找到"))
            #expect(try await browser.get("/requests?phase=bogus").status == .badRequest)
        }
    }

    @Test("every notification, a page at a time, newest first; marking them read from there")
    func notificationPages() async throws {
        try await withPortal { client, scheduler, _ in
            let alice = try scheduler.principal(user: "alice").unwrap()
            let entry = try scheduler.registerCatalogEntry(CatalogRegistration(kind: .offering, name: "通用", nodeClass: .general, cpu: 0.1, memoryMiB: 64), by: admin)
            for i in 0..<60 {
                _ = try scheduler.apply(
                    ApplicationInput(purpose: "p\(i)", durationSeconds: 3_600, items: [ApplicationItem(entry: entry.code)]), by: alice)
            }
            let total = try scheduler.notifications(unreadOnly: false, before: nil, limit: 1_000, by: alice).count
            #expect(total > WorkbenchPages.pageSize)
            let browser = Browser(client)
            try await browser.signIn(user: "alice", password: "alice-password")
            var seen = 0
            var page = try await browser.get("/notifications")
            #expect(page.body.contains("mark-read"))
            for _ in 0..<5 {
                seen += page.body.components(separatedBy: "<li class=\"unread\">").count - 1
                guard let range = page.body.range(of: #"href="/notifications?before="#) else { break }
                page = try await browser.get("/notifications?before=" + String(page.body[range.upperBound...].prefix { $0.isNumber }))
            }
            #expect(seen == total, "every notification over the pages: \(seen) of \(total)")
            let read = try await browser.post("/notifications/read", [("csrf", page.csrf ?? "")], headers: [.referer: "http://localhost/notifications"])
            #expect(read.location == "/notifications")
            #expect(try scheduler.unreadNotifications(by: alice) == 0)
        }
    }

    @Test("a token pasted once signs in; a page asked for without a session sends to the sign-in, never to another site")
    func tokenSignInAndRedirects() async throws {
        try await withPortal { client, scheduler, _ in
            let (_, token) = try scheduler.createUser(id: "wei", role: .tenant, tenant: "water", by: admin)
            let browser = Browser(client)
            let away = try await browser.get("/workbench?x=1")
            #expect(away.status == .seeOther && away.location == "/login?return=/workbench%3Fx%3D1", "\(away.location ?? "")")
            let signed = try await browser.signIn(token: token, return: "//evil.example/steal")
            #expect(signed.status == .seeOther && signed.location == "/")
            let home = try await browser.get("/")
            #expect(home.location == "/workbench")
            #expect(try await browser.get("/workbench").body.contains("wei · 部门用户"))
            // A deleted user's session ends with it.
            #expect(try await browser.get("/catalog?kind=offering&sort=name").status == .badRequest, "an unknown query parameter is refused")
            try scheduler.deleteUser("wei", by: admin)
            let ended = try await browser.get("/workbench")
            #expect(ended.location == "/login?return=/workbench&ended=yes", "\(ended.location ?? "")")
            #expect(try await browser.get(ended.location ?? "/").body.contains("会话已结束"), "the browser is told why")
            // A page that does not exist is a page saying so; the API's paths keep their JSON.
            let missing = try await browser.get("/catalogue")
            #expect(missing.status == .notFound && missing.body.contains("没有页面 /catalogue"))
            let api = try await browser.get("/v1/nothing")
            #expect(api.status == .notFound && api.headers[.contentType] == "application/json")
            let apiMethod = try await browser.get("/v1/requests/x/release")
            #expect(apiMethod.status == .methodNotAllowed && apiMethod.headers[.allow] == "POST")
            let bad = try await Browser(client).signIn(token: "sl_not-a-token")
            #expect(bad.status == .unauthorized && bad.body.contains("令牌无效"))
        }
    }

    @Test("a session ends after eight idle hours")
    func idleSessionEnds() async throws {
        try await withPortal { client, _, clock in
            let browser = Browser(client)
            try await browser.signIn(user: "alice", password: "alice-password")
            clock.advance(7 * 3_600)
            #expect(try await browser.get("/catalog").status == .ok)
            clock.advance(8 * 3_600 + 1)
            #expect(try await browser.get("/catalog").location?.hasPrefix("/login") == true)
        }
    }

    @Test("a form without its session's CSRF token, or posted from another origin, is refused 403 and does nothing; an unknown field is named")
    func forgedFormsRefused() async throws {
        try await withPortal { client, scheduler, _ in
            let alice = try scheduler.principal(user: "alice").unwrap()
            _ = try scheduler.submit([RequestSpec(id: "job", cpu: 1, memoryMiB: 256)], by: alice)
            let browser = Browser(client)
            try await browser.signIn(user: "alice", password: "alice-password")
            let csrf = try #require(try await browser.get("/workbench").csrf)

            let forged = try await browser.post("/requests/water:job/release", [("csrf", "cs_forged")])
            #expect(forged.status == .forbidden && forged.body.contains("表单已过期或来自其他网站"))
            let missing = try await browser.post("/requests/water:job/release", [])
            #expect(missing.status == .forbidden)
            let crossSite = try await browser.post("/requests/water:job/release", [("csrf", csrf)], headers: [.origin: "https://evil.example"])
            #expect(crossSite.status == .forbidden)
            #expect(try scheduler.request("water:job", by: admin).record.phase.name != "released", "a refused form did nothing")

            let typo = try await browser.post("/requests/water:job/extend", [("csrf", csrf), ("hourz", "2")])
            #expect(typo.status == .badRequest && typo.body.contains("hourz") && typo.body.contains("did you mean &#39;hours&#39;?"), "\(typo.body)")
            let tooLong = try await browser.post("/requests/water:job/extend", [("csrf", csrf), ("hours", "99999999")])
            #expect(tooLong.status == .badRequest && tooLong.body.contains("续期小时数"), "the field as its form labels it")

            let released = try await browser.post("/requests/water:job/release", [("csrf", csrf)], headers: [.origin: "http://localhost"])
            #expect(released.status == .seeOther, "\(released.body)")
            #expect(try scheduler.request("water:job", by: admin).record.phase.name == "released")
            #expect(try await browser.get("/workbench").body.contains("已释放。"), "the next page says what the form did")
        }
    }

    @Test("every value is escaped: an entry named <script> shows as text on every page that names it")
    func valuesEscaped() async throws {
        try await withPortal { client, scheduler, _ in
            let entry = try scheduler.registerCatalogEntry(
                CatalogRegistration(kind: .offering, name: "<script>alert(1)</script>演示", description: "\"><img src=x onerror=alert(2)>", nodeClass: .general, cpu: 1, memoryMiB: 256), by: admin)
            let browser = Browser(client)
            try await browser.signIn(token: adminToken)
            for path in ["/catalog", "/catalog/\(entry.code)", "/search?q=script", "/operations/audit", "/operations"] {
                let page = try await browser.get(path)
                #expect(page.status == .ok, "\(path): \(page.status)")
                #expect(!page.body.contains("<script>alert") && !page.body.contains("<img src=x"), "\(path) holds the raw markup")
                #expect(page.headers[.contentSecurityPolicy] != nil && page.headers[.xContentTypeOptions] == "nosniff")
                #expect(page.body.components(separatedBy: "<script").count == 2, "\(path): one script element, the portal's own")
            }
            #expect(try await browser.get("/catalog").body.contains("&lt;script&gt;alert(1)&lt;/script&gt;演示"))
            #expect(try await browser.get("/catalog/\(entry.code)").body.contains("&quot;&gt;&lt;img src=x onerror=alert(2)&gt;"))
        }
    }

    @Test("each role sees its pages: a department its workbench, an approver its queue with quota and budget, an operator operations; others are refused")
    func rolesAndTheApprovalJourney() async throws {
        try await withPortal { client, scheduler, _ in
            let entry = try scheduler.registerCatalogEntry(
                CatalogRegistration(kind: .offering, name: "视频分析", nodeClass: .general, cpu: 1, memoryMiB: 256, sharing: .restricted, securityLevel: 2, owner: "transport"), by: admin)
            _ = try scheduler.setQuota(
                tenant: "water", priority: .standard, quota: Quota(resources: Resources(cpuMillis: 8_000, memoryMiB: 16_384)), by: admin)
            let alice = Browser(client)
            try await alice.signIn(user: "alice", password: "alice-password")
            #expect(try await alice.get("/operations").status == .forbidden)
            #expect(!(try await alice.get("/workbench").body.contains("nav-approvals")), "alice approves nothing: no queue in her header")
            let prices = #"{"prices":{"coreHour":6,"memoryGiBHour":0.4,"gpuHour":0,"storageGiBHour":0,"mbpsHour":0,"thousandAPICalls":0}}"#
            let published = try await client.execute(
                uri: "/v1/prices", method: .post, headers: [.authorization: "Bearer \(adminToken)", .contentType: "application/json"], body: ByteBuffer(string: prices)
            ) { $0.status }
            #expect(published == .created)
            let entryPage = try await alice.get("/catalog/\(entry.code)")
            #expect(entryPage.body.contains("每小时 6.10 CNY"), "an hour of 1 core and 256 MiB")
            let key = try #require(entryPage.body.range(of: #"name="key" value=""#).map { String(entryPage.body[$0.upperBound...].prefix { $0 != "\"" }) })
            let fields = [
                ("csrf", entryPage.csrf ?? ""), ("entry", entry.code), ("key", key), ("purpose", "防汛视频分析"), ("industry", "water"), ("scenario", ""),
                ("quantity", "1"), ("durationHours", "2"), ("image", ""), ("command", ""),
            ]
            let applied = try await alice.post("/applications", fields)
            let location = try #require(applied.location, "\(applied.status) \(applied.body)")
            #expect(try await alice.post("/applications", fields).location == location, "the same form sent twice applies once")
            let id = String(location.split(separator: "/").last!)
            let progress = try await alice.get(location)
            #expect(progress.body.contains("申请已提交") && progress.body.contains("待审批") && !progress.body.contains("decision-form"))

            let tom = Browser(client)
            try await tom.signIn(user: "tom", password: "tom-password-1")
            let queue = try await tom.get("/approvals")
            #expect(queue.body.contains(id) && queue.body.contains("0 / 8 核") && queue.body.contains("1 份申请等待您审批"), "\(queue.body)")
            #expect(queue.body.contains(#"待我审批 <span class="badge">1</span>"#), "the header counts what awaits him")
            let decide = try await tom.get(location)
            #expect(decide.body.contains("decision-form") && decide.body.contains("16 GiB"))
            let decided = try await tom.post(location + "/decision", [("csrf", decide.csrf ?? ""), ("decision", "approve"), ("comment", "汛期\r\n可用")])
            #expect(decided.status == .seeOther)
            #expect(try scheduler.application(id, by: admin).application.lifecycle.steps.first?.comment == "汛期 可用", "a text area's line break becomes a space")

            let olga = Browser(client)
            try await olga.signIn(user: "olga", password: "olga-password-1")
            #expect(try await olga.get("/").location == "/operations")
            for path in ["/operations", "/operations/consolidation", "/operations/consolidation?freeNodes=1", "/approvals", "/search?q=视频"] {
                #expect(try await olga.get(path).status == .ok, "\(path)")
            }
            #expect(try await olga.get("/operations/audit").status == .forbidden, "operators do not read the audit log")
            let operatorStep = try await olga.get(location)
            _ = try await olga.post(location + "/decision", [("csrf", operatorStep.csrf ?? ""), ("decision", "approve"), ("comment", "")])
            #expect(try scheduler.application(id, by: admin).application.state == .approved)
            #expect(try await alice.get(location).body.contains("已批准"))
            // She rates it once her department holds it, not before.
            #expect(!(try await alice.get("/catalog/\(entry.code)").body.contains("rate-form")))
            _ = scheduler.placePending()
            let rateable = try await alice.get("/catalog/\(entry.code)")
            #expect(rateable.body.contains("rate-form"))
            let twoLines = try await alice.post("/catalog/\(entry.code)/rating", [("csrf", rateable.csrf ?? ""), ("stars", "4"), ("comment", "开通快\n分析稳定")])
            #expect(twoLines.status == .badRequest && twoLines.body.contains("须为一行"), "a one-line field refuses a line break")
            let rated = try await alice.post("/catalog/\(entry.code)/rating", [("csrf", rateable.csrf ?? ""), ("stars", "4"), ("comment", "开通快，分析稳定")])
            #expect(rated.status == .seeOther, "\(rated.body)")
            #expect(try await alice.get("/catalog/\(entry.code)").body.contains("开通快，分析稳定"))

            // The operator cordons a node and sees it among the alerts.
            let overview = try await olga.get("/operations")
            let cordoned = try await olga.post("/operations/nodes/n2/cordon", [("csrf", overview.csrf ?? "")])
            #expect(cordoned.status == .seeOther)
            let after = try await olga.get("/operations")
            #expect(after.body.contains("node_cordoned") && after.body.contains("节点 n2 已封锁"), "\(after.body)")

            // English at the switch.
            let english = try await olga.get("/language/en?return=/operations")
            #expect(english.location == "/operations")
            #expect(try await olga.get("/operations").body.contains(">Operations</h1>"))
        }
    }
}

extension Optional {
    func unwrap(_ what: String = "a value") throws -> Wrapped {
        guard let self else { throw CocoaError(.coderValueNotFound, userInfo: [NSLocalizedDescriptionKey: "\(what) is missing"]) }
        return self
    }
}
