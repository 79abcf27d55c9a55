import Placement

/// The generic request trace: one request per line, with a header naming the columns.
///
/// Required: `arrival` and `duration` (seconds), `cpu` (cores), `memory_gib`. Optional (absent or
/// empty): `id`, `tenant`, `priority` (critical … best-effort), `kind` (vm, service, batch, ai-training,
/// ai-inference, hpc), `class` (allowed node classes, `|`-separated), `partition`, `replicas`, `gang`
/// (true/false), `gpu_count`, `gpu_share` (share of each GPU, 0–1), `gpu_models` (`|`-separated),
/// `disk_gib`, `bandwidth_mbps`, `origin_site`, `max_latency_ms`, `queue_deadline` and `lease` (seconds).
public enum CSVTrace {
    public static let requiredColumns = ["arrival", "duration", "cpu", "memory_gib"]
    public static let optionalColumns = [
        "id", "tenant", "priority", "kind", "class", "partition", "replicas", "gang", "gpu_count", "gpu_share", "gpu_models", "disk_gib",
        "bandwidth_mbps", "origin_site", "max_latency_ms", "queue_deadline", "lease",
    ]

    /// The most replicas of one request; a task with more instances is split (see `load`).
    public static let maxReplicas = 10_000

    /// The requests of the trace (see `read`).
    public static func load(file: String, timeScale: Double = 1, offset: Double = 0, tenants: Set<String> = []) throws(InputFileError) -> [TimedRequest] {
        try read(file: file, timeScale: timeScale, offset: offset, tenants: tenants).requests
    }

    /// The requests of the trace. A row naming a tenant the scenario does not list is refused
    /// (`tenants` empty: any). A task of more than `maxReplicas` instances (the Alibaba 2017 batch
    /// trace has tasks of 64,486) is split into requests of at most that many, `ID`, `ID#2`, …,
    /// arriving together; `splitTasks` counts the tasks split. A gang that large is refused: its
    /// instances must be placed at once.
    public static func read(
        file: String, timeScale: Double = 1, offset: Double = 0, tenants: Set<String> = []
    ) throws(InputFileError) -> (requests: [TimedRequest], splitTasks: Int) {
        var split = 0
        let table = try CSVTable(contentsOf: file, requiring: requiredColumns, optional: optionalColumns)
        let huge = Double(Resources.maximumAmount)
        var requests: [TimedRequest] = []
        var ids = Set<String>()
        for row in table.rows {
            func field(_ name: String) -> String { table.optionalString(row, name) }
            func enumValue<T: RawRepresentable & CaseIterable>(_ name: String, _ type: T.Type) throws(InputFileError) -> T? where T.RawValue == String {
                let raw = field(name)
                guard !raw.isEmpty else { return nil }
                guard let value = T(rawValue: raw) else {
                    throw InputFileError(file: file, line: row.line, field: name, message: "'\(raw)' is not one of \(T.allCases.map(\.rawValue).joined(separator: ", "))")
                }
                return value
            }
            let id = field("id").isEmpty ? "\(file.split(separator: "/").last ?? "trace")#\(row.line)" : field("id")
            guard ids.insert(id).inserted else { throw InputFileError(file: file, line: row.line, field: "id", message: "duplicate '\(id)'") }
            let arrival = try table.number(row, "arrival", in: 0...1e12)! * timeScale + offset
            let tenant = field("tenant").isEmpty ? "default" : field("tenant")
            if !tenants.isEmpty, !tenants.contains(tenant) {
                throw InputFileError(
                    file: file, line: row.line, field: "tenant",
                    message: field("tenant").isEmpty
                        ? "empty; the scenario lists tenants \(tenants.sorted().joined(separator: ", ")), so every row names one"
                        : "unknown tenant '\(tenant)'; the scenario lists \(tenants.sorted().joined(separator: ", "))")
            }
            var request = PlacementRequest(id: id, tenant: tenant, submittedAt: arrival)
            request.priority = try enumValue("priority", PriorityClass.self) ?? .standard
            request.kind = try enumValue("kind", WorkloadKind.self) ?? .service
            if !field("class").isEmpty {
                var classes = Set<NodeClass>()
                for name in field("class").split(separator: "|") {
                    guard let nodeClass = NodeClass(rawValue: String(name)) else {
                        throw InputFileError(file: file, line: row.line, field: "class", message: "'\(name)' is not one of \(NodeClass.allCases.map(\.rawValue).joined(separator: ", "))")
                    }
                    classes.insert(nodeClass)
                }
                request.allowedClasses = classes
            }
            if !field("partition").isEmpty { request.partition = field("partition") }
            let instances = Int(try table.number(row, "replicas", in: 1...1e8, required: false) ?? 1)
            switch field("gang").lowercased() {
            case "", "false", "0", "no": request.gang = false
            case "true", "1", "yes": request.gang = true
            default: throw InputFileError(file: file, line: row.line, field: "gang", message: "'\(field("gang"))' is not true or false")
            }
            if request.gang && instances > maxReplicas {
                throw InputFileError(
                    file: file, line: row.line, field: "replicas",
                    message: "a gang of \(instances) is more than one request may place at once (\(maxReplicas)); drop gang to split it")
            }
            request.resources = Resources(
                cpuMillis: Int64((try table.number(row, "cpu", in: 0...huge / 1_000)! * 1_000).rounded()),
                memoryMiB: Int64((try table.number(row, "memory_gib", in: 0...huge / 1_024)! * 1_024).rounded()),
                diskGiB: Int64(try table.number(row, "disk_gib", in: 0...huge, required: false) ?? 0),
                bandwidthMbps: Int64(try table.number(row, "bandwidth_mbps", in: 0...huge, required: false) ?? 0))
            let gpus = Int(try table.number(row, "gpu_count", in: 0...64, required: false) ?? 0)
            if gpus > 0 {
                let share = try table.number(row, "gpu_share", in: 0.001...1, required: false) ?? 1
                if gpus > 1 && share < 1 {
                    throw InputFileError(file: file, line: row.line, field: "gpu_share", message: "a share below 1 needs gpu_count 1, found \(gpus)")
                }
                request.gpu = GPURequest(
                    count: gpus, milliPerGPU: Int32((share * 1_000).rounded()), models: field("gpu_models").split(separator: "|").map(String.init))
            }
            if !field("origin_site").isEmpty { request.originSite = field("origin_site") }
            if let bound = try table.number(row, "max_latency_ms", in: 0...1e6, required: false) {
                guard request.originSite != nil else {
                    throw InputFileError(file: file, line: row.line, field: "max_latency_ms", message: "a latency bound needs origin_site")
                }
                request.maxLatencyMs = bound
            }
            if let deadline = try table.number(row, "queue_deadline", in: 0...1e12, required: false) { request.queueDeadline = arrival + deadline }
            if let lease = try table.number(row, "lease", in: 1...1e12, required: false) { request.leaseSeconds = Int64(lease.rounded(.up)) }
            let duration = try table.number(row, "duration", in: 0...1e12)! * timeScale
            if instances > maxReplicas { split += 1 }
            for (part, start) in stride(from: 0, to: instances, by: maxReplicas).enumerated() {
                var piece = request
                piece.replicas = min(maxReplicas, instances - start)
                if part > 0 {
                    piece.id = "\(id)#\(part + 1)"
                    guard ids.insert(piece.id).inserted else { throw InputFileError(file: file, line: row.line, field: "id", message: "duplicate '\(piece.id)'") }
                }
                requests.append(TimedRequest(request: piece, duration: max(1, duration), origin: (file, row.line)))
            }
            guard Double(requests.count) <= Scenario.maxArrivals else {
                throw InputFileError(file: file, line: row.line, message: "the trace holds more than \(Int(Scenario.maxArrivals)) requests")
            }
        }
        return (requests, split)
    }
}

/// The generic node list: one node per line. Required: `id`, `class`, `site`, `cpu` (cores),
/// `memory_gib`. Optional: `region`, `partition`, `disk_gib`, `bandwidth_mbps`, `gpus`, `gpu_model`,
/// `gpu_memory_gib`, `idle_watts`, `watts_per_busy_core`.
public enum CSVNodeList {
    public static let requiredColumns = ["id", "class", "site", "cpu", "memory_gib"]
    public static let optionalColumns = [
        "region", "partition", "disk_gib", "bandwidth_mbps", "gpus", "gpu_model", "gpu_memory_gib", "idle_watts", "watts_per_busy_core",
    ]

    /// The nodes, and each node's idle power in watts.
    public static func load(file: String) throws(InputFileError) -> [(node: Node, idleWatts: Double)] {
        let table = try CSVTable(contentsOf: file, requiring: requiredColumns, optional: optionalColumns)
        let huge = Double(Resources.maximumAmount)
        var nodes: [(Node, Double)] = []
        var ids = Set<String>()
        for row in table.rows {
            let id = try table.uniqueName(row, "id", seen: &ids)
            guard let nodeClass = NodeClass(rawValue: table.string(row, "class")) else {
                throw InputFileError(
                    file: file, line: row.line, field: "class",
                    message: "'\(table.string(row, "class"))' is not one of \(NodeClass.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            let site = table.string(row, "site")
            guard !site.isEmpty else { throw InputFileError(file: file, line: row.line, field: "site", message: "empty") }
            let gpus = Int(try table.number(row, "gpus", in: 0...64, required: false) ?? 0)
            let model = table.optionalString(row, "gpu_model")
            guard gpus == 0 || !model.isEmpty else { throw InputFileError(file: file, line: row.line, field: "gpu_model", message: "a node with GPUs needs a model") }
            let gpuMemory = Int64((try table.number(row, "gpu_memory_gib", in: 0...1e6, required: false) ?? 0) * 1_024)
            let partition = table.optionalString(row, "partition")
            let node = Node(
                id: id, nodeClass: nodeClass, site: site, region: table.optionalString(row, "region"), partition: partition.isEmpty ? "public" : partition,
                capacity: Resources(
                    cpuMillis: Int64((try table.number(row, "cpu", in: 0...huge / 1_000)! * 1_000).rounded()),
                    memoryMiB: Int64((try table.number(row, "memory_gib", in: 0...huge / 1_024)! * 1_024).rounded()),
                    diskGiB: Int64(try table.number(row, "disk_gib", in: 0...huge, required: false) ?? 0),
                    bandwidthMbps: Int64(try table.number(row, "bandwidth_mbps", in: 0...huge, required: false) ?? 0)),
                gpus: Array(repeating: GPUDevice(model: model, memoryMiB: gpuMemory), count: gpus),
                energy: EnergyProfile(wattsPerBusyCore: try table.number(row, "watts_per_busy_core", in: 0...1e5, required: false) ?? 10))
            nodes.append((node, try table.number(row, "idle_watts", in: 0...1e7, required: false) ?? 0))
        }
        guard !nodes.isEmpty else { throw InputFileError(file: file, line: 1, message: "no nodes: the file has only its header") }
        return nodes
    }
}
