import Dispatch
import Foundation
import Logging
import NIOSSL
import PostgresNIO
import SchedulerService
import Synchronization

/// Where the database is: `postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE[?sslmode=disable|prefer|require]`,
/// the form libpq and `psql` take.
public struct PostgresAddress: Sendable, Hashable, CustomStringConvertible {
    public var host: String
    public var port: Int
    public var user: String
    public var password: String?
    public var database: String
    public var sslMode: SSLMode

    public enum SSLMode: String, Sendable, CaseIterable {
        case disable
        case prefer
        case require
    }

    /// Parses a URL, naming what is wrong with it.
    public init(url: String) throws(ServiceError) {
        func refuse(_ why: String) -> ServiceError { ServiceError(.invalid, "store: \(why) (expected postgres://USER@HOST:PORT/DATABASE)", field: "store") }
        guard let components = URLComponents(string: url), let scheme = components.scheme, ["postgres", "postgresql"].contains(scheme) else {
            throw refuse("'\(Self.redacted(url))' is not a postgres:// URL")
        }
        guard let host = components.host, !host.isEmpty else { throw refuse("the URL names no host") }
        guard let user = components.user, !user.isEmpty else { throw refuse("the URL names no user") }
        let database = String(components.path.drop { $0 == "/" })
        guard !database.isEmpty, !database.contains("/") else { throw refuse("the URL names no database") }
        let port = components.port ?? 5432
        guard (1...65535).contains(port) else { throw refuse("port \(port) is not between 1 and 65535") }
        var sslMode = SSLMode.disable
        for item in components.queryItems ?? [] {
            switch item.name {
            case "sslmode":
                guard let mode = item.value.flatMap(SSLMode.init(rawValue:)) else {
                    throw refuse("sslmode '\(item.value ?? "")' is not one of \(SSLMode.allCases.map(\.rawValue).joined(separator: ", "))")
                }
                sslMode = mode
            default:
                throw refuse("unknown parameter '\(item.name)' (known: sslmode)")
            }
        }
        self.host = host
        self.port = port
        self.user = user.removingPercentEncoding ?? user
        self.password = components.password?.removingPercentEncoding
        self.database = database.removingPercentEncoding ?? database
        self.sslMode = sslMode
    }

    /// The URL without its password, for logs and errors.
    public var description: String { "postgres://\(user)@\(host):\(port)/\(database)" }

    static func redacted(_ url: String) -> String {
        guard var components = URLComponents(string: url), components.password != nil else { return url }
        components.password = "***"
        return components.string ?? url
    }

    var clientConfiguration: PostgresClient.Configuration {
        let tls: PostgresClient.Configuration.TLS = switch sslMode {
        case .disable: .disable
        case .prefer: .prefer(.makeClientConfiguration())
        case .require: .require(.makeClientConfiguration())
        }
        var configuration = PostgresClient.Configuration(host: host, port: port, username: user, password: password, database: database, tls: tls)
        configuration.options.connectTimeout = .seconds(5)
        configuration.options.minimumConnections = 1
        configuration.options.maximumConnections = 8
        return configuration
    }
}

/// postgres-nio's pooled client behind calls that block, as the `SchedulerStore` protocol's do: each
/// call runs as a task preferring this executor, and the caller waits for it. The executor is the
/// one event loop of the client's connections: a reply resumes the task on the thread that read
/// it. The callers may be threads of Swift's cooperative pool; the client's own work, its pool's
/// connection tasks among them, never needs one of them, so they can all wait without deadlock.
final class PostgresDatabase: TaskExecutor, @unchecked Sendable {
    let client: PostgresClient
    let address: PostgresAddress
    let logger: Logger
    /// The connections' event loop, which runs the tasks too.
    private let loops = MultiThreadedEventLoopGroup(numberOfThreads: 1)
    private let loop: any EventLoop
    private let runner = Mutex<Task<Void, Never>?>(nil)

    init(address: PostgresAddress, logger: Logger) {
        self.address = address
        self.logger = logger
        loop = loops.next()
        client = PostgresClient(configuration: address.clientConfiguration, eventLoopGroup: loops, backgroundLogger: logger)
        let client = client
        runner.withLock { $0 = Task(executorPreference: self) { await client.run() } }
    }

    /// Closes the pool's connections (the client's task holds this executor until then).
    func shutdown() { runner.withLock { $0?.cancel() } }

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        let executor = asUnownedTaskExecutor()
        loop.execute { job.runSynchronously(on: executor) }
    }

    /// How long a call may wait for a connection to the database before it fails.
    static let connectTimeout: Double = 30

    /// Runs `body` on a pooled connection and waits for its result. A call that gets no
    /// connection within `timeout` seconds fails having sent nothing; once it has one, it waits
    /// for the answers (a commit whose outcome is unknown is never reported as failed). Its
    /// failures become `unavailable`, naming `what` was attempted; a `ServiceError` it throws
    /// passes unchanged.
    private func blocking<T: Sendable>(
        _ what: String, timeout: Double, _ body: @escaping @Sendable (PostgresConnection) async throws -> T
    ) throws(ServiceError) -> T {
        let done = DispatchSemaphore(value: 0)
        let outcome = Mutex<Result<T, any Error>?>(nil)
        let connected = Atomic<Bool>(false)
        let client = client
        let task = Task(executorPreference: self) {
            let result: Result<T, any Error>
            do {
                result = .success(try await client.withConnection { connection in
                    connected.store(true, ordering: .releasing)
                    return try await body(connection)
                })
            } catch {
                result = .failure(error)
            }
            outcome.withLock { $0 = result }
            done.signal()
        }
        if done.wait(timeout: .now() + timeout) == .timedOut {
            guard connected.load(ordering: .acquiring) else {
                task.cancel()
                throw ServiceError(.unavailable, "the store could not \(what) at \(address): no connection within \(Int(timeout)) s (is the database up and reachable?)")
            }
            done.wait()
        }
        switch outcome.withLock({ $0! }) {
        case .success(let value): return value
        case .failure(let error as ServiceError): throw error
        case .failure(let error): throw ServiceError(.unavailable, "the store could not \(what) at \(address): \(Self.describe(error))")
        }
    }

    /// A transaction: committed when `body` returns, rolled back when it throws.
    func transaction<T: Sendable>(
        _ what: String, timeout: Double = connectTimeout, _ body: @escaping @Sendable (PostgresConnection) async throws -> T
    ) throws(ServiceError) -> T {
        let logger = logger
        return try blocking(what, timeout: timeout) { connection in
            try await connection.withTransaction(logger: logger) { connection in try await body(connection) }
        }
    }

    /// A read (or a single statement) on a pooled connection.
    func read<T: Sendable>(_ what: String, _ body: @escaping @Sendable (PostgresConnection) async throws -> T) throws(ServiceError) -> T {
        try blocking(what, timeout: Self.connectTimeout, body)
    }

    /// What the server said, without the query's binds (`String(reflecting:)` of a `PSQLError`
    /// holds everything; its description hides it).
    static func describe(_ error: any Error) -> String {
        if let error = error as? PostgresTransactionError {
            return [error.beginError, error.closureError, error.rollbackError, error.commitError].compactMap { $0.map(describe) }.joined(separator: "; ")
        }
        if let error = error as? PSQLError {
            if let message = error.serverInfo?[.message] { return "\(message) (SQLSTATE \(error.serverInfo?[.sqlState] ?? "?"))" }
            return "\(error.code)\(error.underlying.map { ": \($0)" } ?? "")"
        }
        if let error = error as? PostgresDecodingError { return "cannot decode column \(error.columnName): \(error.targetType)" }
        return "\(error)"
    }
}

/// A statement with numbered parameters (`$1`, ...), built up in pieces.
struct SQL {
    var text: String
    var binds = PostgresBindings()

    init(_ text: String = "") { self.text = text }

    /// A statement taking `rows` as its JSON parameter where it says `%@`.
    init<Row: Encodable>(_ text: String, rows: [Row]) throws {
        self.text = ""
        let placeholder = try bind(json: rows)
        self.text = text.replacingOccurrences(of: "%@", with: placeholder)
    }

    /// Binds `value` and returns its placeholder.
    mutating func bind(_ value: some PostgresDynamicTypeEncodable) -> String {
        binds.append(value)
        return "$\(binds.count)"
    }

    mutating func bind(_ value: (some PostgresDynamicTypeEncodable)?) -> String {
        binds.append(value)
        return "$\(binds.count)"
    }

    mutating func bind(json value: some Encodable) throws -> String {
        let text = String(decoding: try Self.encoder.encode(value), as: UTF8.self)
        binds.append(text)
        return "$\(binds.count)::json"
    }

    var query: PostgresQuery { PostgresQuery(unsafeSQL: text, binds: binds) }

    static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        return encoder
    }()
}

extension PostgresConnection {
    /// Runs a statement, its rows ignored.
    func run(_ sql: SQL, logger: Logger) async throws {
        try await query(sql.query, logger: logger).consume()
    }

    func run(_ text: String, logger: Logger) async throws {
        try await run(SQL(text), logger: logger)
    }

    /// The rows of a statement.
    func rows(_ sql: SQL, logger: Logger) async throws -> [PostgresRow] {
        var out: [PostgresRow] = []
        for try await row in try await query(sql.query, logger: logger) { out.append(row) }
        return out
    }

    /// Domain values kept as JSON text in the first column of each row.
    func decoded<T: Decodable>(_ type: T.Type, _ sql: SQL, logger: Logger) async throws -> [T] {
        let decoder = JSONDecoder()
        return try await rows(sql, logger: logger).map { try decoder.decode(T.self, from: Data(try $0.decode(String.self).utf8)) }
    }
}

extension PostgresRowSequence {
    func consume() async throws {
        for try await _ in self {}
    }
}
