import Foundation
import SuanliTestSupport
import Testing

/// The web portal in a real browser: Tests/Portal/portal_journeys.py drives Debian's headless
/// Chromium with Selenium through the real scheduler's pages while a real agent on libvirt's test
/// driver runs what is approved. A department user applies from the catalog, the owning
/// department's approver and an operator approve from their queues, the VM runs and shows on the
/// workbench, the user rates the entry, the operator cordons the node; forged and cross-site forms
/// are refused, the language switches, phone and wall screens scroll no wider than the page, the
/// sign-in works by keyboard; no page logs a console error. `scripts/test` installs Selenium into
/// `.build-python`; `SUANLI_PORTAL_PYTHON` names another Python that has it. The screenshots go to
/// `SUANLI_SCREENSHOTS` when set, else to the test's temporary folder.
///
/// It runs in a test process of its own, after the others (`scripts/test` runs it so, with
/// `SUANLI_TEST_ALONE=1`): Chromium's processes beside the whole suite starved the tests that
/// time real hosts (a private systemd's bus dropped its client once).
@Suite(
    "Portal in a real browser", .serialized,
    .enabled(if: ProcessInfo.processInfo.environment["SUANLI_TEST_ALONE"] == "1", "runs in a test process of its own: scripts/test runs it alone")
)
struct PortalBrowserTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    static var python: URL {
        if let path = ProcessInfo.processInfo.environment["SUANLI_PORTAL_PYTHON"] { return URL(fileURLWithPath: path) }
        return root.appendingPathComponent(".build-python/bin/python")
    }

    @Test("alice applies in the browser, tom and olga approve, the VM runs on her workbench, she rates it, olga cordons the node; CSRF, escaping, language, phone and wall screens, keyboard")
    func journeys() async throws {
        let python = Self.python
        try #require(
            FileManager.default.isExecutableFile(atPath: python.path),
            "no Python with Selenium at \(python.path): run scripts/test (it installs Selenium into .build-python) or set SUANLI_PORTAL_PYTHON")
        let directory = try temporaryDirectory()
        let image = try blankDisk(in: directory)
        let scheduler = try SchedulerProcess.start(dataDir: directory.appendingPathComponent("scheduler"))
        defer { scheduler.kill() }
        let agent = try AgentProcess.start([
            "--scheduler", "127.0.0.1:\(scheduler.grpcPort)", "--token", SchedulerProcess.bootstrapToken, "--node-id", "app-node",
            "--class", "general", "--site", "center", "--libvirt-uri", "test:///default", "--systemd-bus", "none",
            "--metering-interval", "1", "--reconcile-interval", "1",
        ], dataDir: directory.appendingPathComponent("agent"))
        defer { agent.stop() }

        // The city: two departments, their users with passwords, an operator; water's quota and
        // budget (shown to the approvers); transport's restricted offering, and an entry whose name
        // is markup.
        func json(_ text: String) -> Data { Data(text.utf8) }
        let (alicePassword, tomPassword, olgaPassword) = ("alice-portal-password", "tom-portal-password", "olga-portal-password")
        for tenant in ["water", "transport"] { #expect(try await scheduler.call("POST", "/v1/tenants", body: #"{"id":"\#(tenant)"}"#).0 == 201) }
        for body in [
            #"{"id":"alice","role":"tenant","tenant":"water","clearance":2,"password":"\#(alicePassword)"}"#,
            #"{"id":"tom","role":"tenant","tenant":"transport","approver":true,"password":"\#(tomPassword)"}"#,
            #"{"id":"olga","role":"operator","password":"\#(olgaPassword)"}"#,
        ] {
            let user = try await scheduler.send("POST", "/v1/users", body: json(body))
            #expect(user.status == 201, "\(user.text)")
        }
        let quota = try await scheduler.send("PUT", "/v1/tenants/water/quotas/standard", body: json(#"{"cpu":4,"memoryMiB":8192}"#))
        #expect(quota.status == 200, "\(quota.text)")
        let budget = try await scheduler.send("PUT", "/v1/tenants/water/budget", body: json(#"{"monthly":1000}"#))
        #expect(budget.status == 200, "\(budget.text)")
        let entry = try await scheduler.send("POST", "/v1/catalog", body: json(
            #"{"kind":"offering","name":"监控分析机","nodeClass":"general","cpu":1,"memoryMiB":512,"sharing":"restricted","securityLevel":2,"owner":"transport"}"#))
        let code = try #require(entry.json["code"] as? String, "\(entry.text)")
        let markup = try await scheduler.send("POST", "/v1/catalog", body: json(
            #"{"kind":"offering","name":"<script>alert(1)</script>演示","nodeClass":"general","cpu":1,"memoryMiB":512,"sharing":"open","securityLevel":1,"owner":"transport"}"#))
        let markupCode = try #require(markup.json["code"] as? String, "\(markup.text)")
        let ready = try await eventually { (try await scheduler.call("GET", "/v1/nodes/app-node").1["state"] as? String) == "ready" }
        try #require(ready, "the agent's node is not ready: \(agent.log)")

        let screenshots = ProcessInfo.processInfo.environment["SUANLI_SCREENSHOTS"].map { URL(fileURLWithPath: $0) }
            ?? directory.appendingPathComponent("screenshots")
        try FileManager.default.createDirectory(at: screenshots, withIntermediateDirectories: true)
        let inputs = [
            "SUANLI_URL": "http://127.0.0.1:\(scheduler.port)", "SUANLI_SCREENSHOTS": screenshots.path,
            "SUANLI_USER": "alice", "SUANLI_USER_PASSWORD": alicePassword,
            "SUANLI_APPROVER": "tom", "SUANLI_APPROVER_PASSWORD": tomPassword,
            "SUANLI_OPERATOR": "olga", "SUANLI_OPERATOR_PASSWORD": olgaPassword,
            "SUANLI_ENTRY": code, "SUANLI_VM_IMAGE": image, "SUANLI_NODE": "app-node", "SUANLI_SCRIPT_ENTRY": markupCode,
            "PYTHONUNBUFFERED": "1",
        ]
        // SIGTERM after 10 minutes: the script quits its browsers on the way out.
        let (status, said) = try runToEnd(
            python, [Self.root.appendingPathComponent("Tests/Portal/portal_journeys.py").path], in: Self.root, environment: inputs, seconds: 600)
        let shown = said.count > 20_000 ? "…" + String(said.suffix(20_000)) : said
        #expect(
            status == 0,
            "the portal journeys failed (exit \(status)); screenshots in \(screenshots.path):\n\(shown)\nscheduler log:\n\(String(scheduler.log.suffix(4_000)))")

        // The pictures a person looks at: PNG files, not empty.
        let signature: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]
        for name in ["workbench.png", "operations.png"] {
            let data = (try? Data(contentsOf: screenshots.appendingPathComponent(name))) ?? Data()
            #expect(data.count > 1_000 && Array(data.prefix(8)) == signature, "\(name) in \(screenshots.path) is missing or not a PNG (\(data.count) bytes)")
        }
    }
}
