import ArgumentParser
import AsyncHTTPClient
import Foundation
import Hummingbird
import Logging
import NIOCore
import Placement
import SchedulerHTTP
import SchedulerPostgres
import SchedulerService
import SchedulerSQLite
import ServiceLifecycle

/// `suanli-scheduler bench`: API submit throughput and latency with durable commits and
/// placement. Starts a scheduler on a new data directory with its HTTP API on loopback, registers
/// nodes, and submits requests over HTTP from concurrent clients; each answer is sent only after
/// the request is committed to the store (SQLite, or with `--store` an empty PostgreSQL database,
/// led by the benchmark), and the placement loop runs alongside. One more client reads a request
/// over and over meanwhile: reads must not wait for commits.
struct SubmitBenchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "submit", abstract: "Measure API submit throughput and latency.")

    @Option(help: "Requests to submit.") var requests = 20_000
    @Option(help: "Concurrent HTTP clients.") var concurrency = 32
    @Option(help: "General nodes of 64 cores to register.") var nodes = 1_000
    @Option(help: "process or power (see the serve command).") var durability = SQLiteStore.Durability.process
    @Option(help: "postgres://USER@HOST:PORT/DB of an empty database: measure on PostgreSQL instead of SQLite.") var store: String?
    @Flag(help: "Print the figures as one JSON object.") var json = false

    func run() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("suanli-bench-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        var logger = Logger(label: "suanli.bench")
        logger.logLevel = .warning
        let store = try benchStore(in: directory, logger: logger)
        // The lease goes with the benchmark, so that the database is not left led by it.
        defer { (store as? PostgresStore)?.resign() }
        let scheduler = try Scheduler(store: store, adminTokenHash: Token.hash("bench"), logger: logger)
        let admin = Principal(user: "admin", role: .admin)
        _ = try scheduler.createTenant(id: "bench", name: nil, by: admin)
        for i in 0..<nodes {
            _ = try scheduler.registerNode(
                Node(id: String(format: "n%05d", i), nodeClass: .general, site: "s\(i % 8)", capacity: Resources(cpuMillis: 64_000, memoryMiB: 262_144)),
                awaitingAgent: false, by: admin)
        }
        let token = try scheduler.createUser(id: "bench-user", role: .tenant, tenant: "bench", by: admin).token

        let (portStream, portContinuation) = AsyncStream.makeStream(of: Int.self)
        let app = Application(
            router: SchedulerAPI.router(scheduler: scheduler),
            configuration: .init(address: .hostname("127.0.0.1", port: 0)),
            onServerRunning: { portContinuation.yield($0.localAddress?.port ?? 0) },
            logger: logger)
        let group = ServiceGroup(services: [PlacementLoop(scheduler: scheduler), app], logger: logger)
        let requestCount = requests
        let clients = concurrency
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            var ports = portStream.makeAsyncIterator()
            guard let port = await ports.next() else { return }
            let client = HTTPClient(eventLoopGroupProvider: .singleton)
            // The request the reader reads, submitted before the clock starts.
            var first = HTTPClientRequest(url: "http://127.0.0.1:\(port)/v1/requests")
            first.method = .POST
            first.headers.add(name: "Authorization", value: "Bearer \(token)")
            first.headers.add(name: "Content-Type", value: "application/json")
            first.body = .bytes(ByteBuffer(string: #"{"id":"read-me","cpu":0.5,"memoryMiB":512,"priority":"batch"}"#))
            _ = try await client.execute(first, timeout: .seconds(30)).body.collect(upTo: 1 << 20)
            while scheduler.metrics().counters.placed == 0 { try await Task.sleep(for: .milliseconds(10)) }
            // Reads until cancelled when the submissions are done.
            let reader = Task {
                var reads: [Duration] = []
                while !Task.isCancelled {
                    var request = HTTPClientRequest(url: "http://127.0.0.1:\(port)/v1/requests/read-me")
                    request.headers.add(name: "Authorization", value: "Bearer \(token)")
                    let sent = ContinuousClock.now
                    do {
                        let response = try await client.execute(request, timeout: .seconds(30))
                        _ = try await response.body.collect(upTo: 1 << 20)
                        guard response.status == .ok else { throw ValidationError("a read answered \(response.status)") }
                    } catch where Task.isCancelled {
                        break
                    }
                    reads.append(ContinuousClock.now - sent)
                }
                return reads.sorted()
            }
            let started = ContinuousClock.now
            let latencies = try await withThrowingTaskGroup(of: [Duration].self) { workers in
                for worker in 0..<clients {
                    workers.addTask {
                        var mine: [Duration] = []
                        for i in stride(from: worker, to: requestCount, by: clients) {
                            var request = HTTPClientRequest(url: "http://127.0.0.1:\(port)/v1/requests")
                            request.method = .POST
                            request.headers.add(name: "Authorization", value: "Bearer \(token)")
                            request.headers.add(name: "Content-Type", value: "application/json")
                            request.body = .bytes(ByteBuffer(string: #"{"id":"b\#(i)","cpu":0.5,"memoryMiB":512,"priority":"batch"}"#))
                            let sent = ContinuousClock.now
                            let response = try await client.execute(request, timeout: .seconds(30))
                            _ = try await response.body.collect(upTo: 1 << 20)
                            guard response.status == .created else { throw ValidationError("submission \(i) answered \(response.status)") }
                            mine.append(ContinuousClock.now - sent)
                        }
                        return mine
                    }
                }
                var all: [Duration] = []
                for try await part in workers { all += part }
                return all
            }
            let elapsed = ContinuousClock.now - started
            reader.cancel()
            let reads = try await reader.value
            try await client.shutdown()
            // Wait for the applier to place everything submitted.
            while scheduler.metrics().pending > 0 { try await Task.sleep(for: .milliseconds(20)) }
            let placedAt = ContinuousClock.now - started
            await group.triggerGracefulShutdown()
            let sorted = latencies.sorted()
            func percentile(_ p: Double, of sorted: [Duration] = sorted) -> Double {
                sorted.isEmpty ? 0 : sorted[min(sorted.count - 1, Int(Double(sorted.count) * p))].seconds * 1000
            }
            let seconds = elapsed.seconds
            // The submissions placed: the request the reader reads is placed before the clock starts.
            let placed = scheduler.metrics().counters.placed - 1
            if json {
                let figures: [String: Any] = [
                    "requests": sorted.count, "concurrency": clients, "nodes": nodes, "store": storeName, "durability": durability.rawValue,
                    "requests_per_second": (Double(sorted.count) / seconds).rounded(), "p50_ms": percentile(0.5), "p99_ms": percentile(0.99),
                    "max_ms": sorted.last!.seconds * 1000, "all_placed_seconds": placedAt.seconds, "placed": placed,
                    "reads": reads.count, "read_p50_ms": percentile(0.5, of: reads), "read_p99_ms": percentile(0.99, of: reads),
                ]
                print(String(decoding: try JSONSerialization.data(withJSONObject: figures, options: [.sortedKeys]), as: UTF8.self))
            } else {
                print("submitted \(sorted.count) requests over HTTP with \(clients) clients on \(nodes) nodes, \(storeName), durability \(durability.rawValue)")
                print(String(format: "throughput %.0f requests/s; latency p50 %.2f ms, p99 %.2f ms, max %.2f ms", Double(sorted.count) / seconds, percentile(0.5), percentile(0.99), sorted.last!.seconds * 1000))
                print(String(format: "all placed after %.2f s; placed %d", placedAt.seconds, placed))
                print(String(format: "meanwhile %d reads of one request: p50 %.2f ms, p99 %.2f ms", reads.count, percentile(0.5, of: reads), percentile(0.99, of: reads)))
            }
            try await tasks.waitForAll()
        }
    }
}

extension SubmitBenchmark {
    var storeName: String { store == nil ? "sqlite" : "postgres" }

    /// SQLite in `directory`, or the PostgreSQL database of `--store`, which must be empty.
    func benchStore(in directory: URL, logger: Logger) throws -> any SchedulerStore {
        guard let store else { return try SQLiteStore(path: directory.appendingPathComponent("suanli.sqlite").path, durability: durability) }
        let postgres: PostgresStore
        do { postgres = try PostgresStore(address: try PostgresAddress(url: store), logger: logger) } catch { throw ValidationError("--store: \(error.message)") }
        // A database any scheduler has used (its lease held once, its admin created) is not the benchmark's.
        let snapshot = try postgres.snapshot()
        guard try postgres.leaderLease() == nil, snapshot.users.isEmpty, snapshot.tenants.isEmpty, snapshot.nodes.isEmpty else {
            throw ValidationError("--store: the benchmark needs an empty database, never used by a scheduler (createdb a new one)")
        }
        guard try postgres.campaign(holder: "bench", address: "bench", leaseSeconds: 3600) else {
            throw ValidationError("--store: another scheduler leads this database")
        }
        return postgres
    }
}

extension Duration {
    var seconds: Double { Double(components.seconds) + Double(components.attoseconds) * 1e-18 }
}
