import Foundation
import SuanliTestSupport
import Testing

/// Schemathesis (PyPI) generates calls from the OpenAPI document the real binary serves, valid and
/// invalid, and checks every answer: no 5xx, every status and body as documented, valid input
/// accepted (2xx, or 401/403/404/409/422 where the state decides), invalid input refused (4xx),
/// 405 with `Allow` for undeclared methods, the token required. `scripts/test` installs it into
/// `.build-python`; `SUANLI_SCHEMATHESIS` names another `st`.
@Suite("OpenAPI contract fuzzing against the real binary", .serialized)
struct ContractFuzzTests {
    static var schemathesis: URL? {
        if let path = ProcessInfo.processInfo.environment["SUANLI_SCHEMATHESIS"] { return URL(fileURLWithPath: path) }
        let local = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent(".build-python/bin/st")
        return FileManager.default.isExecutableFile(atPath: local.path) ? local : nil
    }

    /// Bounded: a fixed seed, 40 examples per operation, no example database, one worker.
    static let configuration = """
        seed = 20261129
        headers = { Authorization = "Bearer ${SUANLI_TOKEN}" }
        request-timeout = 10
        workers = 1
        [cache]
        enabled = false
        [generation]
        max-examples = 40
        database = "none"
        [checks.positive_data_acceptance]
        expected-statuses = ["2xx", "401", "403", "404", "409", "422"]
        [checks.negative_data_rejection]
        expected-statuses = ["400", "401", "403", "404", "405", "413", "415"]
        [phases.coverage]
        unexpected-methods = ["get", "put", "post", "delete", "patch", "options", "trace"]
        """

    @Test("schemathesis finds nothing: no 5xx, no schema violation, no undocumented status, no valid input refused")
    func schemathesisFindsNothing() async throws {
        let st = try #require(Self.schemathesis, "schemathesis is not installed: run scripts/test (it installs it into .build-python) or set SUANLI_SCHEMATHESIS")
        let directory = try temporaryDirectory()
        let server = try SchedulerProcess.start(dataDir: directory.appendingPathComponent("data"))
        defer { server.kill() }
        // A tenant and a node, so that the document's examples are accepted and create resources.
        #expect(try await server.call("POST", "/v1/tenants", body: #"{"id":"water"}"#).0 == 201)
        #expect(try await server.call("POST", "/v1/nodes", body: #"{"id":"n1","nodeClass":"general","site":"district-1","cpu":64,"memoryMiB":262144}"#).0 == 201)
        let config = directory.appendingPathComponent("schemathesis.toml")
        try Self.configuration.write(to: config, atomically: true, encoding: .utf8)

        let (status, said) = try runToEnd(
            st,
            [
                "--config-file", config.path, "run", "http://127.0.0.1:\(server.port)/v1/openapi.json", "--checks", "all", "--no-color",
                "--report", "junit", "--report-junit-path", directory.appendingPathComponent("junit.xml").path,
            ], in: directory, environment: ["SUANLI_TOKEN": SchedulerProcess.adminToken], seconds: 600)
        let summary = said.components(separatedBy: "\n").suffix(40).joined(separator: "\n")
        #expect(status == 0, "schemathesis found problems:\n\(said.count > 20_000 ? String(said.suffix(20_000)) : said)")
        #expect(said.contains("passed") && !said.contains("Failures:"), "\(summary)")
        // Everything was tested: the summary names every operation as selected and tested.
        let tested = said.range(of: #"Tested: (\d+)"#, options: .regularExpression).map { String(said[$0].dropFirst(8)) }
        #expect(Int(tested ?? "0") ?? 0 >= 50, "\(summary)")
    }
}
