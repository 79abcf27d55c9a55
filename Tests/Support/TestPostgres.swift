import Foundation

/// The private PostgreSQL server `scripts/postgres` starts for the tests (scripts/test always
/// starts one): tests that need it are enabled only when its URL is set.
public enum TestPostgres {
    /// The server's URL, on its `postgres` database.
    public static var url: String? { ProcessInfo.processInfo.environment["SUANLI_TEST_POSTGRES"] }

    /// The URL of a new, empty database on the server, made with `psql`.
    public static func freshDatabase() throws -> String {
        guard let url, var components = URLComponents(string: url) else { throw TestPostgresError("SUANLI_TEST_POSTGRES is not set: run scripts/test") }
        let name = "suanli_test_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased().prefix(16)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/psql")
        process.arguments = [url, "--quiet", "--no-psqlrc", "--set=ON_ERROR_STOP=1", "--command=CREATE DATABASE \(name)"]
        let errors = Pipe()
        process.standardError = errors
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw TestPostgresError("psql could not create \(name): \(String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self))")
        }
        components.path = "/" + name
        return components.string!
    }
}

public struct TestPostgresError: Error, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}
