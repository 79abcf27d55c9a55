import Placement

extension Scenario {
    /// Reads a scenario from a JSON or YAML file. Errors name the file, the line and the field.
    /// Paths inside (node lists, traces) are relative to the file's directory.
    public static func load(file: String) throws(InputFileError) -> Scenario {
        try ScenarioReader.read(try DocumentValue.load(file: file))
    }
}

/// Turns a document into a `Scenario`, checking every field and every cross-reference.
enum ScenarioReader {
    static func read(_ root: DocumentValue) throws(InputFileError) -> Scenario {
        let f = try root.fields([
            "name", "description", "seed", "duration", "sample_interval", "policy", "scan", "queue_depth", "sites", "latency", "cluster",
            "storage", "tenants", "wait_targets", "unserved_target", "workload", "events",
        ])
        var scenario = Scenario(
            name: try f["name"]?.string() ?? "scenario", source: root.file, duration: try f.required("duration").duration(in: 1...1e10))
        if let seed = f["seed"] { scenario.seed = UInt64(try seed.integer(in: 0...Int.max)) }
        if let interval = f["sample_interval"] { scenario.sampleInterval = try interval.duration(in: 1...1e10) }
        if let policy = f["policy"] {
            let spec = try policy.string()
            do {
                _ = try PolicyRegistry.policy(spec: spec)
            } catch {
                throw policy.error(error.message)
            }
            scenario.policy = spec
        }
        if let scan = f["scan"] {
            scenario.scan = (try? scan.string()) == "all" ? .all : .feasible(try scan.integer(in: 1...1_000_000))
        }
        if let depth = f["queue_depth"] { scenario.queueDepth = try depth.integer(in: 1...1_000_000) }

        var sites: [(name: String, x: Double, y: Double)] = []
        for value in f["sites"]?.list() ?? [] {
            if value.isMapping {
                let s = try value.fields(["name", "x_km", "y_km"])
                sites.append((try s.required("name").string(), try s["x_km"]?.number() ?? 0, try s["y_km"]?.number() ?? 0))
            } else {
                sites.append((try value.string(), 0, 0))
            }
            if sites.dropLast().contains(where: { $0.name == sites.last!.name }) { throw value.error("duplicate site '\(sites.last!.name)'") }
        }
        scenario.topology = try readLatency(f["latency"], sites: sites)
        let siteNames = Set(sites.map(\.name))
        func checkSite(_ value: DocumentValue) throws(InputFileError) -> String {
            let site = try value.string()
            guard siteNames.isEmpty || siteNames.contains(site) else { throw value.error("unknown site '\(site)'; sites are listed under 'sites'") }
            return site
        }

        if let cluster = f["cluster"] {
            let c = try cluster.fields(["pools", "node_lists"])
            for value in c["pools"]?.list() ?? [] {
                let pool = try readPool(value, site: checkSite)
                if scenario.pools.contains(where: { $0.name == pool.name }) { throw value.error("duplicate pool name '\(pool.name)'") }
                scenario.pools.append(pool)
            }
            for value in c["node_lists"]?.list() ?? [] {
                let l = try value.fields(["file", "format", "site", "class"])
                var list = NodeListFile(path: try l.required("file").filePath())
                if let format = l["format"] { list.format = try format.choice(NodeListFile.Format.self) }
                if let site = l["site"] { list.site = try checkSite(site) }
                if let nodeClass = l["class"] { list.nodeClass = try nodeClass.choice(NodeClass.self) }
                scenario.nodeLists.append(list)
            }
        }
        guard !scenario.pools.isEmpty || !scenario.nodeLists.isEmpty else {
            throw InputFileError(file: root.file, line: root.line, field: "cluster", message: "the scenario has no nodes: list cluster.pools or cluster.node_lists")
        }

        for value in f["storage"]?.list() ?? [] {
            let s = try value.fields(["site", "kind", "capacity_gib", "partition"])
            let site = try checkSite(try s.required("site"))
            let kind = try s.required("kind").choice(StorageKind.self)
            let partition = try s["partition"]?.string() ?? "public"
            scenario.storagePools.append(
                StoragePool(
                    id: "\(site)-\(kind.rawValue)-\(partition)", site: site, kind: kind,
                    capacityGiB: Int64(try s.required("capacity_gib").integer(in: 0...Int(Resources.maximumAmount))), partition: partition))
        }

        for value in f["tenants"]?.list() ?? [] {
            let tenant = try readTenant(value)
            if scenario.tenants.contains(where: { $0.name == tenant.name }) { throw value.error("duplicate tenant '\(tenant.name)'") }
            scenario.tenants.append(tenant)
        }
        let tenantNames = Set(scenario.tenants.map(\.name))

        if let targets = f["wait_targets"] {
            for (name, value) in try targets.entries() {
                guard let priority = PriorityClass(rawValue: name) else {
                    throw value.error("not a priority class; expected one of \(PriorityClass.allCases.map(\.rawValue).joined(separator: ", "))")
                }
                scenario.waitTargets[priority] = try value.duration()
            }
        }

        if let target = f["unserved_target"] { scenario.unservedTarget = try target.number(in: 0...1) }

        if let workload = f["workload"] {
            let w = try workload.fields(["generators", "traces", "services"])
            var expectedArrivals = 0.0
            for value in w["generators"]?.list() ?? [] {
                let generator = try readGenerator(value, tenants: tenantNames, site: checkSite)
                if scenario.generators.contains(where: { $0.name == generator.name }) { throw value.error("duplicate generator name '\(generator.name)'") }
                // A scenario that would generate more arrivals than a run can hold is refused here,
                // not after hours of a run whose memory keeps growing.
                let expected = generator.expectedArrivals(within: scenario.duration)
                expectedArrivals += expected
                if expectedArrivals > Scenario.maxArrivals {
                    let rate = try value.fields(generatorFields).required("rate_per_hour")
                    throw rate.error(
                        "this generator makes about \(Int(min(expected, 9e18).rounded())) arrivals in the scenario's \(Int((scenario.duration / 3600).rounded())) hours; "
                            + "a scenario may generate at most \(Int(Scenario.maxArrivals)) in all: lower the rate or the duration")
                }
                scenario.generators.append(generator)
            }
            for value in w["traces"]?.list() ?? [] {
                let t = try value.fields(["file", "format", "time_scale", "offset"])
                var trace = TraceSpec(path: try t.required("file").filePath())
                if let format = t["format"] { trace.format = try format.choice(TraceSpec.Format.self) }
                if let scale = t["time_scale"] { trace.timeScale = try scale.number(in: 1e-9...1e9) }
                if let offset = t["offset"] { trace.offset = try offset.duration() }
                scenario.traces.append(trace)
            }
            for value in w["services"]?.list() ?? [] {
                let service = try readService(value, tenants: tenantNames, site: checkSite)
                if scenario.services.contains(where: { $0.name == service.name }) { throw value.error("duplicate service name '\(service.name)'") }
                scenario.services.append(service)
            }
        }
        guard !scenario.generators.isEmpty || !scenario.traces.isEmpty || !scenario.services.isEmpty else {
            throw InputFileError(
                file: root.file, line: root.line, field: "workload", message: "the scenario has no workload: list workload.generators, workload.traces or workload.services")
        }

        if let events = f["events"] {
            let e = try events.fields(["failures", "maintenance"])
            let poolNames = Set(scenario.pools.map(\.name))
            func target(_ fields: Fields) throws(InputFileError) -> (NodeClass?, String?) {
                let nodeClass = try fields["class"]?.choice(NodeClass.self)
                var pool: String?
                if let value = fields["pool"] {
                    pool = try value.string()
                    guard poolNames.contains(pool!) else { throw value.error("unknown pool '\(pool!)'") }
                }
                return (nodeClass, pool)
            }
            for value in e["failures"]?.list() ?? [] {
                let x = try value.fields(["class", "pool", "mtbf", "repair"])
                let (nodeClass, pool) = try target(x)
                scenario.failures.append(
                    FailureSpec(nodeClass: nodeClass, pool: pool, mtbf: try x.required("mtbf").duration(in: 1...1e12), repair: try x.required("repair").duration(in: 1...1e10)))
            }
            for value in e["maintenance"]?.list() ?? [] {
                let x = try value.fields(["class", "pool", "site", "start", "length", "every"])
                let (nodeClass, pool) = try target(x)
                let length = try x.required("length").duration(in: 1...1e10)
                var window = MaintenanceWindow(nodeClass: nodeClass, pool: pool, site: try x["site"].map(checkSite), start: try x.required("start").duration(), length: length)
                if let every = x["every"] {
                    window.every = try every.duration(in: 1...1e12)
                    guard window.every! > length else { throw every.error("a window must end before the next one starts: 'every' must exceed 'length'") }
                }
                scenario.maintenance.append(window)
            }
        }
        return scenario
    }

    private static func readLatency(_ value: DocumentValue?, sites: [(name: String, x: Double, y: Double)]) throws(InputFileError) -> Topology {
        var base = 0.1, perKm = 0.05
        var explicit: [String: Double] = [:]
        let names = Set(sites.map(\.name))
        if let value {
            let l = try value.fields(["base_ms", "per_km_ms", "links"])
            if let b = l["base_ms"] { base = try b.number(in: 0...1e6) }
            if let k = l["per_km_ms"] { perKm = try k.number(in: 0...1e6) }
            for link in l["links"]?.list() ?? [] {
                let x = try link.fields(["from", "to", "ms"])
                let from = try x.required("from"), to = try x.required("to")
                for end in [from, to] where !names.contains(try end.string()) { throw end.error("unknown site '\(try end.string())'") }
                let ms = try x.required("ms").number(in: 0...1e6)
                explicit["\(try from.string())\u{0}\(try to.string())"] = ms
                explicit["\(try to.string())\u{0}\(try from.string())"] = ms
            }
        }
        var links: [Topology.Link] = []
        for i in sites.indices {
            for j in sites.indices where j > i {
                let a = sites[i], b = sites[j]
                let km = ((a.x - b.x) * (a.x - b.x) + (a.y - b.y) * (a.y - b.y)).squareRoot()
                let ms = explicit["\(a.name)\u{0}\(b.name)"] ?? ((base + perKm * km) * 100).rounded() / 100
                links.append(Topology.Link(from: a.name, to: b.name, latencyMs: ms))
            }
        }
        return Topology(sites: sites.map(\.name), links: links)
    }

    private static func readPool(_ value: DocumentValue, site: (DocumentValue) throws(InputFileError) -> String) throws(InputFileError) -> NodePool {
        let p = try value.fields([
            "name", "class", "site", "region", "partition", "count", "cpu", "memory_gib", "disk_gib", "bandwidth_mbps", "gpus", "gpu_model",
            "gpu_memory_gib", "labels", "price", "idle_watts", "watts_per_busy_core", "green_share",
        ])
        let maximum = Double(Resources.maximumAmount)
        var pool = NodePool(
            name: try p.required("name").string(), nodeClass: try p.required("class").choice(NodeClass.self), site: try site(try p.required("site")),
            count: try p.required("count").integer(in: 0...10_000_000),
            capacity: Resources(
                cpuMillis: Int64((try p.required("cpu").number(in: 0.001...maximum / 1_000) * 1_000).rounded()),
                memoryMiB: Int64((try p.required("memory_gib").number(in: 0...maximum / 1_024) * 1_024).rounded()),
                diskGiB: Int64(try p["disk_gib"]?.number(in: 0...maximum) ?? 0),
                bandwidthMbps: Int64(try p["bandwidth_mbps"]?.number(in: 0...maximum) ?? 0)))
        pool.region = try p["region"]?.string() ?? ""
        pool.partition = try p["partition"]?.string() ?? "public"
        let gpus = try p["gpus"]?.integer(in: 0...64) ?? 0
        if gpus > 0 {
            guard let model = p["gpu_model"] else { throw value.error("a pool with GPUs needs 'gpu_model'") }
            let memory = Int64((try p["gpu_memory_gib"]?.number(in: 0...1e6) ?? 0) * 1_024)
            pool.gpus = Array(repeating: GPUDevice(model: try model.string(), memoryMiB: memory), count: gpus)
        }
        for (key, label) in try p["labels"]?.entries() ?? [] { pool.labels[key] = try label.string() }
        if let price = p["price"] {
            let x = try price.fields(["core_hour", "memory_gib_hour", "gpu_hour"])
            pool.price = PriceRate(
                perCoreHour: try x["core_hour"]?.number(in: 0...1e9) ?? 0, perGiBMemoryHour: try x["memory_gib_hour"]?.number(in: 0...1e9) ?? 0,
                perGPUHour: try x["gpu_hour"]?.number(in: 0...1e9) ?? 0)
        }
        pool.idleWatts = try p["idle_watts"]?.number(in: 0...1e7) ?? 0
        pool.energy = EnergyProfile(
            greenShare: try p["green_share"]?.number(in: 0...1) ?? 0, wattsPerBusyCore: try p["watts_per_busy_core"]?.number(in: 0...1e5) ?? 10)
        return pool
    }

    private static func readTenant(_ value: DocumentValue) throws(InputFileError) -> TenantSpec {
        let t = try value.fields(["name", "weight", "partition", "quotas"])
        var tenant = TenantSpec(name: try t.required("name").string())
        if let weight = t["weight"] { tenant.weight = try weight.number(in: 0.000001...1e6) }
        if let partition = t["partition"] { tenant.partition = try partition.string() }
        for (name, quota) in try t["quotas"]?.entries() ?? [] {
            guard let priority = PriorityClass(rawValue: name) else {
                throw quota.error("not a priority class; expected one of \(PriorityClass.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            let q = try quota.fields(["cpu", "memory_gib", "disk_gib", "gpus"])
            let huge = Double(Resources.maximumAmount / 1_024)
            tenant.quotas[priority] = Quota(
                resources: Resources(
                    cpuMillis: Int64(((try q["cpu"]?.number(in: 0...huge)) ?? huge) * 1_000),
                    memoryMiB: Int64(((try q["memory_gib"]?.number(in: 0...huge)) ?? huge) * 1_024),
                    diskGiB: Int64((try q["disk_gib"]?.number(in: 0...huge)) ?? huge), bandwidthMbps: Resources.maximumAmount),
                gpuMilli: Int64(((try q["gpus"]?.number(in: 0...1e9)) ?? 1e9) * 1_000))
        }
        return tenant
    }

    static let generatorFields = [
        "name", "kind", "rate_per_hour", "daily", "weekly", "start", "end", "duration", "cpu", "memory_gib", "disk_gib", "bandwidth_mbps",
        "gpus", "gpu_share", "gpu_models", "replicas", "gang", "priority", "tenants", "classes", "partition", "origin_sites",
        "max_latency_ms", "queue_deadline", "lease", "spread",
    ]

    private static func readGenerator(
        _ value: DocumentValue, tenants: Set<String>, site: (DocumentValue) throws(InputFileError) -> String
    ) throws(InputFileError) -> GeneratorSpec {
        let g = try value.fields(generatorFields)
        var arrivals = ArrivalPattern(perHour: try g.required("rate_per_hour").number(in: 0...1e9))
        if let daily = g["daily"] { arrivals.daily = try shape(daily, named: ArrivalPattern.days, count: 24) }
        if let weekly = g["weekly"] { arrivals.weekly = try shape(weekly, named: ArrivalPattern.weeks, count: 7) }
        var generator = GeneratorSpec(
            name: try g.required("name").string(), kind: try g.required("kind").choice(WorkloadKind.self), arrivals: arrivals,
            duration: try distribution(try g.required("duration"), isDuration: true),
            cpu: try distribution(try g.required("cpu")), memoryGiB: try distribution(try g.required("memory_gib")))
        if let start = g["start"] { generator.start = try start.duration() }
        if let end = g["end"] {
            generator.end = try end.duration()
            guard generator.end! > generator.start else { throw end.error("must be after 'start'") }
        }
        if let x = g["disk_gib"] { generator.diskGiB = try distribution(x) }
        if let x = g["bandwidth_mbps"] { generator.bandwidthMbps = try distribution(x) }
        if let x = g["gpus"] { generator.gpus = try distribution(x) }
        if let x = g["gpu_share"] { generator.gpuShare = try distribution(x, in: 0.001...1) }
        if let x = g["gpu_models"] { generator.gpuModels = try x.list().map { v throws(InputFileError) in try v.string() } }
        if let x = g["replicas"] { generator.replicas = try distribution(x, in: 1...10_000) }
        if let x = g["gang"] { generator.gang = try x.bool() }
        if let x = g["spread"] { generator.spreadOverSites = try x.bool() }
        if let x = g["priority"] {
            generator.priorities = try weights(x).map { entry throws(InputFileError) in
                guard let priority = PriorityClass(rawValue: entry.0) else {
                    throw entry.2.error("'\(entry.0)' is not a priority class; expected one of \(PriorityClass.allCases.map(\.rawValue).joined(separator: ", "))")
                }
                return (priority, entry.1)
            }
        }
        if let x = g["tenants"] {
            generator.tenants = try weights(x).map { entry throws(InputFileError) in
                guard tenants.isEmpty || tenants.contains(entry.0) else { throw entry.2.error("unknown tenant '\(entry.0)'; tenants are listed under 'tenants'") }
                return (entry.0, entry.1)
            }
        }
        if let x = g["classes"] { generator.classes = Set(try x.list().map { v throws(InputFileError) in try v.choice(NodeClass.self) }) }
        if let x = g["partition"] { generator.partition = try x.string() }
        if let x = g["origin_sites"] { generator.originSites = try x.list().map(site) }
        if let x = g["max_latency_ms"] {
            guard !generator.originSites.isEmpty else { throw x.error("a latency bound needs 'origin_sites'") }
            generator.maxLatencyMs = try x.number(in: 0...1e6)
        }
        if let x = g["queue_deadline"] { generator.queueDeadline = try x.duration(in: 0...1e12) }
        if let x = g["lease"] { generator.lease = try x.duration(in: 1...1e12) }
        return generator
    }

    /// A service under a daily load, with a fixed size or a scaling policy.
    private static func readService(
        _ value: DocumentValue, tenants: Set<String>, site: (DocumentValue) throws(InputFileError) -> String
    ) throws(InputFileError) -> ScaledService {
        let s = try value.fields([
            "name", "tenant", "priority", "cpu", "memory_gib", "classes", "origin_site", "max_latency_ms", "calls_per_second", "daily",
            "calls_per_replica", "replicas", "scaling",
        ])
        let tenantValue = try s.required("tenant")
        let tenant = try tenantValue.string()
        guard tenants.isEmpty || tenants.contains(tenant) else { throw tenantValue.error("unknown tenant '\(tenant)'; tenants are listed under 'tenants'") }
        var service = ScaledService(
            name: try s.required("name").string(), tenant: tenant,
            resources: Resources(
                cpuMillis: Int64((try s.required("cpu").number(in: 0.001...1e6) * 1_000).rounded()),
                memoryMiB: Int64((try s.required("memory_gib").number(in: 0...1e6) * 1_024).rounded())),
            callsPerSecond: try s.required("calls_per_second").number(in: 0...1e9),
            callsPerReplica: try s.required("calls_per_replica").number(in: 1e-6...1e9), replicas: try s["replicas"]?.integer(in: 1...ScalingPolicy.maxReplicasLimit) ?? 1)
        if let x = s["priority"] { service.priority = try x.choice(PriorityClass.self) }
        if let x = s["daily"] { service.daily = try shape(x, named: ArrivalPattern.days, count: 24) }
        if let x = s["classes"] { service.classes = Set(try x.list().map { v throws(InputFileError) in try v.choice(NodeClass.self) }) }
        if let x = s["origin_site"] { service.originSite = try site(x) }
        if let x = s["max_latency_ms"] {
            guard service.originSite != nil else { throw x.error("a latency bound needs 'origin_site'") }
            service.maxLatencyMs = try x.number(in: 0...1e6)
        }
        if let scaling = s["scaling"] {
            let p = try scaling.fields([
                "min_replicas", "max_replicas", "target_cpu_percent", "target_calls_per_replica", "tolerance_percent", "scale_up_stabilization",
                "scale_down_stabilization",
            ])
            let target: ScalingTarget
            switch (p["target_cpu_percent"], p["target_calls_per_replica"]) {
            case (let cpu?, nil): target = .cpuUtilization(try cpu.number(in: 1...100) / 100)
            case (nil, let calls?): target = .callsPerSecond(try calls.number(in: 1e-6...1e9))
            default: throw scaling.error("give exactly one of target_cpu_percent and target_calls_per_replica")
            }
            var policy = ScalingPolicy(
                minReplicas: try p["min_replicas"]?.integer(in: 1...ScalingPolicy.maxReplicasLimit) ?? 1,
                maxReplicas: try p.required("max_replicas").integer(in: 1...ScalingPolicy.maxReplicasLimit), target: target)
            if let x = p["tolerance_percent"] { policy.tolerance = try x.number(in: 0...99) / 100 }
            if let x = p["scale_up_stabilization"] { policy.scaleUp.stabilizationSeconds = try x.duration(in: 0...ScalingPolicy.maxWindowSeconds) }
            if let x = p["scale_down_stabilization"] { policy.scaleDown.stabilizationSeconds = try x.duration(in: 0...ScalingPolicy.maxWindowSeconds) }
            guard policy.minReplicas <= policy.maxReplicas else { throw scaling.error("min_replicas \(policy.minReplicas) is more than max_replicas \(policy.maxReplicas)") }
            service.scaling = policy
            if s["replicas"] == nil { service.replicas = policy.minReplicas }
            guard (policy.minReplicas...policy.maxReplicas).contains(service.replicas) else {
                throw s["replicas"]!.error("must be between min_replicas \(policy.minReplicas) and max_replicas \(policy.maxReplicas), got \(service.replicas)")
            }
        }
        return service
    }

    /// 24 or 7 factors, or the name of a built-in shape.
    private static func shape(_ value: DocumentValue, named: [String: [Double]], count: Int) throws(InputFileError) -> [Double] {
        if value.isSequence {
            let factors = try value.list().map { v throws(InputFileError) in try v.number(in: 0...1e6) }
            guard factors.count == count else { throw value.error("expected \(count) factors, found \(factors.count)") }
            return factors
        }
        let name = try value.string()
        guard let factors = named[name] else { throw value.error("unknown shape '\(name)'; expected \(count) factors or one of \(named.keys.sorted().joined(separator: ", "))") }
        return factors
    }

    /// A name (weight 1), a list of names (equal weights) or a mapping of names to weights.
    private static func weights(_ value: DocumentValue) throws(InputFileError) -> [(String, Double, DocumentValue)] {
        let result: [(String, Double, DocumentValue)]
        if value.isMapping {
            result = try value.entries().map { entry throws(InputFileError) in (entry.key, try entry.value.number(in: 0...1e9), entry.value) }
        } else {
            result = try value.list().map { v throws(InputFileError) in (try v.string(), 1, v) }
        }
        guard !result.isEmpty, result.contains(where: { $0.1 > 0 }) else { throw value.error("needs at least one entry with a weight above 0") }
        return result
    }

    /// A number (constant), a list (equally likely choices) or one of `{choices, weights}`,
    /// `{uniform: [low, high]}`, `{exponential: mean}`, `{lognormal: median, sigma: s}`.
    static func distribution(_ value: DocumentValue, isDuration: Bool = false, in range: ClosedRange<Double> = 0...1e12) throws(InputFileError) -> Distribution {
        func number(_ v: DocumentValue) throws(InputFileError) -> Double { isDuration ? try v.duration(in: range) : try v.number(in: range) }
        if value.isSequence {
            let values = try value.list().map(number)
            guard !values.isEmpty else { throw value.error("an empty list of choices") }
            return .choice(values, weights: Array(repeating: 1, count: values.count))
        }
        guard value.isMapping else { return .constant(try number(value)) }
        let d = try value.fields(["choices", "weights", "uniform", "exponential", "lognormal", "sigma"])
        if let choices = d["choices"] {
            let values = try choices.list().map(number)
            let weights = try d["weights"]?.list().map { v throws(InputFileError) in try v.number(in: 0...1e9) } ?? Array(repeating: 1, count: values.count)
            guard weights.count == values.count else { throw d["weights"]!.error("\(weights.count) weights for \(values.count) choices") }
            guard weights.contains(where: { $0 > 0 }) else { throw d["weights"]!.error("at least one weight must be above 0") }
            return .choice(values, weights: weights)
        }
        if let uniform = d["uniform"] {
            let bounds = try uniform.list().map(number)
            guard bounds.count == 2, bounds[0] <= bounds[1] else { throw uniform.error("expected [low, high] with low <= high") }
            return .uniform(bounds[0], bounds[1])
        }
        if let mean = d["exponential"] { return .exponential(mean: try number(mean)) }
        if let median = d["lognormal"] {
            return .logNormal(median: try number(median), sigma: try d.required("sigma").number(in: 0...10))
        }
        throw value.error("expected a number, a list of choices, or one of choices, uniform, exponential, lognormal")
    }
}
