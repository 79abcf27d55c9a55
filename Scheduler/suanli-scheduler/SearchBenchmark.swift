import ArgumentParser
import Foundation
import Logging
import Placement
import SchedulerService
import SchedulerSQLite

/// `suanli-scheduler bench search`: the site-wide search over a city's catalog. Writes `--entries`
/// catalog entries (names and descriptions from a vocabulary of Chinese and English words, labels,
/// owners among `--tenants` departments) and `--requests` requests to a new store, then times
/// searches through the engine (visibility, the store's FTS5 query) as an admin and as a
/// department's user: two-character and longer Chinese words, English words, parts of codes, two
/// words, tags, departments, and words nothing has.
struct SearchBenchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "search", abstract: "Measure the site-wide search over a large catalog.")

    @Option(help: "Catalog entries.") var entries = 100_000
    @Option(help: "Requests, spread over the departments.") var requests = 20_000
    @Option(help: "Departments.") var tenants = 50
    @Option(help: "Searches of each kind timed.") var rounds = 100
    @Flag(help: "Print the figures as one JSON object.") var json = false

    static let chinese = ["视频", "分析", "交通", "流量", "预测", "水务", "防汛", "监控", "人脸", "识别", "气象", "医疗", "教育", "城市", "大脑", "应急", "调度", "数据", "治理", "安全", "感知", "政务", "服务", "模型"]
    static let english = ["video", "analytics", "traffic", "flow", "forecast", "water", "flood", "camera", "weather", "health", "school", "city", "emergency", "dispatch", "data", "model", "inference", "storage", "gateway", "sensor"]

    func validate() throws {
        guard entries > 0, requests >= 0, tenants > 0, rounds > 0 else { throw ValidationError("every count must be at least 1") }
    }

    func run() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("suanli-bench-search-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        var logger = Logger(label: "suanli.bench")
        logger.logLevel = .error
        let store = try SQLiteStore(path: directory.appendingPathComponent("suanli.sqlite").path)
        var random = SystemRandomNumberGenerator()
        let tenantIDs = (0..<tenants).map { String(format: "dept-%03d", $0) }
        var setup = StoreBatch()
        setup.tenants = tenantIDs.map { Tenant(id: $0, name: $0, createdAt: 0) }
        setup.users = [User(id: "clerk", role: .tenant, tenant: tenantIDs[0], tokenHash: "bench-clerk", createdAt: 0)]
        try store.commit(setup)
        let filling = ContinuousClock.now
        for chunk in stride(from: 0, to: entries, by: 5_000) {
            var batch = StoreBatch()
            for i in chunk..<min(chunk + 5_000, entries) {
                let words = (0..<3).map { _ in Self.chinese.randomElement(using: &random)! }.joined() + " " + Self.english.randomElement(using: &random)!
                let owner = tenantIDs[i % tenants]
                batch.catalog.append(CatalogEntry(
                    code: "SL-CMP-ANY-E\(i)-V1", kind: .component, name: "\(words) \(i)", version: "1",
                    description: (0..<8).map { _ in Bool.random(using: &random) ? Self.english.randomElement(using: &random)! : Self.chinese.randomElement(using: &random)! }.joined(separator: " "),
                    nodeClass: nil, site: nil, partition: "public", labels: ["domain": Self.english[i % Self.english.count], "zone": "z\(i % 40)"], requiredLabels: [:],
                    resources: Resources(cpuMillis: 1000, memoryMiB: 1024), gpu: nil, workloadKind: .service, sharing: i % 3 == 0 ? .conditional : .open, owner: owner,
                    registeredAt: Double(i), registeredBy: "admin"))
            }
            try store.commit(batch)
        }
        for chunk in stride(from: 0, to: requests, by: 5_000) {
            var batch = StoreBatch()
            for i in chunk..<min(chunk + 5_000, requests) {
                let tenant = tenantIDs[i % tenants]
                let name = "\(Self.english.randomElement(using: &random)!)-\(i)"
                batch.requests.append(RequestRecord(
                    spec: PlacementRequest(id: "\(tenant):\(name)", tenant: tenant, resources: Resources(cpuMillis: 1000, memoryMiB: 512), submittedAt: Double(i)),
                    submittedBy: "clerk", updatedAt: Double(i)))
            }
            try store.commit(batch)
        }
        let filled = (ContinuousClock.now - filling).seconds
        let starting = ContinuousClock.now
        let scheduler = try Scheduler(store: store, logger: logger)
        let started = (ContinuousClock.now - starting).seconds
        let admin = Principal(user: "admin", role: .admin)
        let clerk = Principal(user: "clerk", role: .tenant, tenant: tenantIDs[0])

        typealias Search = (name: String, text: String?, department: String?, tag: String?, caller: Principal)
        let searches: [Search] = [
            ("chinese-2", "视频", nil, nil, admin), ("chinese-4", "交通流量", nil, nil, admin), ("english", "traffic", nil, nil, admin),
            ("code-part", "E4242", nil, nil, admin), ("two-words", "防汛 camera", nil, nil, admin), ("tag", nil, nil, "zone=z7", admin),
            ("department", nil, tenantIDs[3], nil, admin), ("department-word", "监控", tenantIDs[5], nil, admin), ("nothing", "qzxwv", nil, nil, admin),
            ("rare-chinese-2", "大脑 气象 医疗 教育", nil, nil, admin), ("tenant-english", "flood", nil, nil, clerk), ("tenant-chinese-2", "水务", nil, nil, clerk),
        ]
        var all: [Double] = []
        var byName: [String: [Double]] = [:]
        var hits: [String: Int] = [:]
        for _ in 0..<rounds {
            for search in searches {
                let began = ContinuousClock.now
                let found = try scheduler.search(text: search.text, department: search.department, tag: search.tag, limit: 50, by: search.caller)
                let ms = (ContinuousClock.now - began).seconds * 1000
                all.append(ms)
                byName[search.name, default: []].append(ms)
                hits[search.name] = found.count
            }
        }
        guard hits["english"] == 50, hits["nothing"] == 0, hits["chinese-2"] == 50 else { throw ValidationError("the searches did not find what the catalog holds: \(hits)") }
        func percentile(_ values: [Double], _ p: Double) -> Double {
            let sorted = values.sorted()
            return sorted[min(sorted.count - 1, Int(Double(sorted.count) * p))]
        }
        var figures: [String: Any] = [
            "entries": entries, "requests": requests, "tenants": tenants, "searches": all.count, "fill_seconds": filled, "start_seconds": started,
            "p50_ms": percentile(all, 0.5), "p99_ms": percentile(all, 0.99), "max_ms": all.max() ?? 0,
        ]
        for (name, values) in byName { figures["\(name)_p99_ms"] = percentile(values, 0.99) }
        if json {
            print(String(decoding: try JSONSerialization.data(withJSONObject: figures, options: [.sortedKeys]), as: UTF8.self))
        } else {
            print("\(entries) catalog entries and \(requests) requests of \(tenants) departments, written in \(String(format: "%.1f", filled)) s; the scheduler started on them in \(String(format: "%.1f", started)) s")
            print(String(format: "%d searches: p50 %.2f ms, p99 %.2f ms, max %.2f ms", all.count, percentile(all, 0.5), percentile(all, 0.99), all.max() ?? 0))
            for search in searches {
                print(String(format: "  %-18@ %3d hits, p99 %.2f ms", search.name as NSString, hits[search.name] ?? 0, percentile(byName[search.name] ?? [0], 0.99)))
            }
        }
    }
}
