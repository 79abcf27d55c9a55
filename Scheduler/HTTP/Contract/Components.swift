import Placement
import SchedulerService

/// The schemas of the API's bodies and answers, by name: the `components` of the OpenAPI document
/// and what every body is checked against.
enum Components {
    // MARK: Building blocks

    static let identifier = Schema.string(maxLength: Identifier.maxLength, minLength: 1, pattern: Identifier.pattern, Identifier.rule)
    /// `TENANT:NAME`, or a tenant user's own `NAME`.
    static let requestID = Schema.string(
        maxLength: 2 * Identifier.maxLength + 1, minLength: 1,
        pattern: "^([A-Za-z0-9]([A-Za-z0-9._-]{0,62}[A-Za-z0-9])?:)?[A-Za-z0-9]([A-Za-z0-9._-]{0,62}[A-Za-z0-9])?$",
        "TENANT:NAME; a tenant user may give its own request's NAME alone")
    static let labels = Schema.map(
        keys: .init(minLength: 1, maxLength: LabelRule.maxLength, pattern: LabelRule.keyPattern, description: LabelRule.keyRule),
        values: .string(maxLength: LabelRule.maxLength, pattern: LabelRule.valuePattern, LabelRule.valueRule),
        maxProperties: Limits.maxLabels, description: "Labels: keys \(LabelRule.keyRule); values \(LabelRule.valueRule).")
    static func text(_ maxLength: Int, minLength: Int = 0, _ description: String? = nil) -> Schema {
        .string(maxLength: maxLength, minLength: minLength, pattern: DisplayText.pattern, description)
    }
    static let time = Schema.number(0...Limits.latestTime, unit: "seconds since 1970-01-01 UTC")
    static let cores = Schema.number(0...Limits.maxCores, unit: "cores", "Cores, kept in thousandths.")
    /// Cores as a caller states them: in whole thousandths, as Kubernetes refuses CPU finer than
    /// 1m (finer is 422: JSON Schema's multipleOf cannot say it of decimals exactly).
    static func coresAsked(_ range: ClosedRange<Double>) -> Schema { .number(range, unit: "cores", "Cores, in whole thousandths (0.001); finer is refused.") }
    static let mebibytes = Schema.integer(0...Limits.maxAmount, unit: "MiB")
    static let gibibytes = Schema.integer(0...Limits.maxAmount, unit: "GiB")
    static let megabits = Schema.integer(0...Limits.maxAmount, unit: "Mbps")
    static let count = Schema.integer(0...Int64(Int32.max))
    static let gpuModel = Schema.string(maxLength: 64, minLength: 1, pattern: GPUModelName.pattern, GPUModelName.rule)
    static let gpuDevice = Schema.object([.required("model", gpuModel), .optional("memoryMiB", mebibytes)])
    static func choice<T: CaseIterable & RawRepresentable>(_ type: T.Type, _ description: String? = nil) -> Schema where T.RawValue == String {
        .choice(type.allCases.map(\.rawValue), description)
    }
    static let phase = Schema.choice(
        ["submitted", "admitted", "queued", "placed", "provisioning", "running", "releasing", "released", "rejected", "failed", "preempted", "expired", "revoked", "reclaimed"])
    static let absolutePath = Schema.string(maxLength: 4096, minLength: 2, pattern: "^/[^\\u0000]+$", "An absolute path on the node")

    /// Examples of bodies, in the document (and sent by contract fuzzers first); each is checked
    /// against its schema by a test.
    static let examples: [String: String] = [
        "RequestSubmission": #"{"id":"job-1","tenant":"water","priority":"standard","cpu":2,"memoryMiB":4096,"leaseSeconds":86400}"#,
        "BatchSubmission": #"{"requests":[{"tenant":"water","cpu":1,"memoryMiB":1024},{"tenant":"water","cpu":1,"memoryMiB":1024,"priority":"batch"}]}"#,
        "LeaseExtension": #"{"seconds":3600}"#,
        "CallCount": #"{"total":1250000}"#,
        "ScalingPolicy": #"{"minReplicas":2,"maxReplicas":20,"target":{"cpuUtilizationPercent":60},"floors":[{"days":["mon","tue","wed","thu","fri"],"from":"08:30","to":"18:00","minReplicas":4}]}"#,
        "NodeRegistration": #"{"id":"edge-7","nodeClass":"edge","site":"district-7","cpu":16,"memoryMiB":65536,"labels":{"camera":"yes"}}"#,
        "TenantCreation": #"{"id":"transport","name":"交通运输局","weight":2}"#,
        "UserCreation": #"{"id":"alice","role":"tenant","tenant":"water","kind":"government","clearance":2}"#,
        "UserUpdate": #"{"clearance":3,"approver":true}"#,
        "PasswordChange": #"{"password":"correct horse battery staple"}"#,
        "GrantRevocation": #"{"reason":"the project ended early"}"#,
        "GrantAdjustment": #"{"expiresAt":4102444800}"#,
        "ApplicationCreation": #"{"purpose":"防汛视频分析","industry":"water","scenario":"flood season","durationSeconds":2592000,"items":[{"entry":"SL-CMP-ANY-SHI-PIN-FEN-XI-V2-1","quantity":2}]}"#,
        "Decision": #"{"decision":"approve","comment":"within the department's plan"}"#,
        "Withdrawal": #"{"reason":"no longer needed"}"#,
        "ApprovalPolicySpec": #"{"steps":[{"decider":"owner","deadlineHours":48},{"decider":"operator"}]}"#,
        "NotificationsRead": #"{"upTo":120}"#,
        "WebhookCreation": #"{"url":"https://ops.water.example/suanli"}"#,
        "Quota": #"{"cpu":100,"memoryMiB":409600,"gpuMilli":4000}"#,
        "GrantCreation": #"{"tenant":"water","partition":"finance","priorities":["emergency"],"expiresAt":4102444800}"#,
        "CatalogRegistration": #"{"kind":"component","name":"视频分析","version":"2.1","cpu":4,"memoryMiB":8192,"labels":{"domain":"video"}}"#,
        "CatalogUpdate": #"{"description":"Camera streams to events","sharing":"conditional","owner":"transport"}"#,
        "DefragmentationGoal": #"{"freeNodes":1}"#,
        "NodeUpdate": #"{"labels":{"camera":"yes","rack":"r12"}}"#,
        "SiteRegistration": #"{"region":"north","description":"District 1 data center"}"#,
        "LinkLatency": #"{"latencyMs":1.5}"#,
        "StoragePoolRegistration": #"{"id":"block-d1","site":"district-1","kind":"block","capacityGiB":10240}"#,
        "StoragePoolUpdate": #"{"capacityGiB":20480}"#,
    ]

    static var all: [String: Schema] {
        var schemas: [String: Schema] = [
            "Error": .object([
                .required("code", .string(maxLength: 64), "Stable: invalid, unprocessable, not_found, conflict, unauthenticated, forbidden, quota_exceeded, limit_exceeded, unsupported_media_type, method_not_allowed, unavailable, not_leader."),
                .required("message", .string(maxLength: 100_000), "For people."),
                .optional("field", .string(maxLength: 1000), "The input field it is about, as a path: `requests[3].gpu.count`."),
            ], "An error."),
        ]
        schemas.merge(requests) { $1 }
        schemas.merge(nodes) { $1 }
        schemas.merge(tenants) { $1 }
        schemas.merge(catalog) { $1 }
        schemas.merge(operations) { $1 }
        schemas.merge(infrastructure) { $1 }
        schemas.merge(workflow) { $1 }
        return schemas
    }

    // MARK: Requests

    static var requests: [String: Schema] {
        let gpu = Schema.object([
            .required("count", .integer(1...Int64(Limits.maxGPUsPerNode)), "Distinct GPUs per replica."),
            .optional("milliPerGPU", .integer(1...1000), "Thousandths of each GPU; a share below 1000 needs count 1. Default 1000."),
            .optional("models", .list(gpuModel, max: 16, unique: true), "Allowed models; any when left out."),
            .optional("minMemoryMiB", mebibytes, "The least memory each GPU must have."),
        ])
        let spread = Schema.object([
            .required("key", .string(maxLength: 70, minLength: 1, pattern: "^(node|site|region|label:[A-Za-z0-9]([A-Za-z0-9._/-]{0,61}[A-Za-z0-9])?)$", "node, site, region or label:KEY"), "The domain replicas spread over."),
            .optional("required", .boolean, "Two replicas never share a domain (default false: a preference)."),
        ])
        let workloadCommon: [Schema.Property] = [
            .optional("restart", choice(RestartPolicy.self), "What the agent does when the workload exits on its own (default never for VMs, on-failure for services)."),
            .optional("movable", .boolean, "A VM may be stopped and started again elsewhere (drain, lost node, defragmentation)."),
        ]
        let vmCommon: [Schema.Property] = [
            .optional("network", identifier, "A libvirt network on the node."),
            .optional("kernel", absolutePath, "A kernel to boot directly."),
            .optional("initrd", absolutePath),
            .optional("kernelArgs", text(4096), "The kernel command line."),
        ]
        let vm = Schema.oneOf([
            .object([.required("image", absolutePath, "The disk image (raw or qcow2).")] + vmCommon),
            .object([.required("volume", .string(maxLength: 512, minLength: 3, pattern: "^[^/\\u0000-\\u001f]+/[^/\\u0000-\\u001f]+$", "POOL/VOLUME"), "The disk as a libvirt storage volume.")] + vmCommon),
        ], description: "A virtual machine; its vCPUs and memory are the request's. Exactly one of image and volume.")
        let service = Schema.object([
            .required("command", .list(.string(maxLength: 4096, minLength: 1, pattern: "^[^\\u0000]+$"), max: 256, min: 1), "The command line, the program (an absolute path) first."),
            .optional("user", .string(maxLength: 32, minLength: 1, pattern: "^[a-z_][a-z0-9_-]{0,31}$", "A user name on the node"), "Runs as this user."),
            .optional("environment", .map(keys: .init(minLength: 1, maxLength: 128, pattern: "^[A-Za-z_][A-Za-z0-9_]*$"), values: .string(maxLength: 4096, pattern: "^[^\\u0000]*$"), maxProperties: 256, description: nil)),
            .optional("tasksMax", .integer(1...4_194_304), "The most tasks (processes and threads) the unit may hold."),
        ], "A service run as a systemd unit; its CPU and memory limits are the request's.")
        let workload = Schema.oneOf([
            .object([.required("vm", vm)] + workloadCommon),
            .object([.required("service", service)] + workloadCommon),
        ], description: "What runs on the nodes: exactly one of vm and service. Without it the request reserves capacity only.")
        let submission = Schema.object([
            .optional("id", identifier, "A name for the request, unique within its tenant; its id is then TENANT:NAME. Generated when left out."),
            .optional("tenant", identifier, "Required unless the caller is a tenant user (whose tenant it defaults to)."),
            .optional("priority", choice(PriorityClass.self), "Default standard."),
            .optional("kind", choice(WorkloadKind.self), "Routes it to node classes; default service (component when a component is named)."),
            .optional("replicas", .integer(1...Int64(Limits.maxReplicas)), "Default 1."),
            .optional("gang", .boolean, "All replicas are placed at once or none."),
            .optional("cpu", coresAsked(0...Limits.maxCores), "Cores per replica, in whole thousandths."),
            .optional("memoryMiB", mebibytes, "Per replica."),
            .optional("diskGiB", gibibytes, "Local disk per replica."),
            .optional("bandwidthMbps", megabits, "Per replica."),
            .optional("gpu", gpu, "GPUs per replica."),
            .optional("volumes", .list(.ref("VolumeRequest"), max: 16), "Volumes per replica, from the storage pools."),
            .optional("originSite", identifier, "Where the request's users or sensors are."),
            .optional("maxLatencyMs", .number(0...Limits.maxLatencyMs, excludingMinimum: true, unit: "milliseconds"), "The most latency from originSite to the node's site."),
            .optional("allowedClasses", .list(choice(NodeClass.self), max: 4, min: 1, unique: true), "Node classes it may run on; routed by kind when left out."),
            .optional("requiredLabels", labels, "Labels a node must carry."),
            .optional("forbiddenLabels", labels, "Labels a node must not carry."),
            .optional("spread", spread),
            .optional("partition", identifier, "The isolation partition (default public; others need a grant)."),
            .optional("leaseSeconds", .integer(1...Limits.maxLeaseSeconds, unit: "seconds"), "Released automatically this long after placement."),
            .optional("queueDeadlineSeconds", .number(0...Limits.maxQueueDeadlineSeconds, excludingMinimum: true, unit: "seconds"), "Rejected if still waiting this long after submission."),
            .optional("component", .object([
                .required("name", text(80, minLength: 1), "The component's name in the catalog."),
                .optional("version", .string(maxLength: Identifier.maxLength, minLength: 1, pattern: Identifier.pattern), "Default: the newest."),
            ]), "A catalog component whose profile fills in what the request leaves out."),
            .optional("workload", workload),
            .optional("scaling", .ref("ScalingPolicy"), "Replicas follow the load between minReplicas and maxReplicas; replicas is then where it starts (default: minReplicas, or a floor in force). Without spread, its replicas prefer distinct nodes; with an originSite, each new one goes to the nearest site with room and the farthest go first."),
        ], "A request for compute, GPUs, storage and bandwidth.")
        let seconds = Schema.number(0...ScalingPolicy.maxWindowSeconds, unit: "seconds")
        let rules = Schema.object([
            .optional("stabilizationSeconds", seconds, "The highest (down) or lowest (up) recommendation of this window is taken: default 0 up, 300 down."),
            .optional("rates", .list(.object([
                .required("type", choice(ScalingRate.Kind.self), "replicas: at most value replicas per period; percent: at most value% of those at the period's start."),
                .required("value", .integer(1...10_000)),
                .required("periodSeconds", .number(1...ScalingPolicy.maxWindowSeconds, unit: "seconds")),
            ]), max: 8, min: 1), "Default up: 100% or 4 replicas per 15 s, the larger; down: 100% per 15 s."),
            .optional("select", choice(ScalingRules.RateSelection.self), "max (default): the rate allowing the most change; min: the least; disabled: never in this direction."),
            .optional("cooldownSeconds", seconds, "No change in this direction until this long after the last change (default 0)."),
        ])
        let scaling = Schema.object([
            .optional("minReplicas", .integer(1...Int64(ScalingPolicy.maxReplicasLimit)), "Default 1."),
            .required("maxReplicas", .integer(1...Int64(ScalingPolicy.maxReplicasLimit))),
            .required("target", .oneOf([
                .object([.required("cpuUtilizationPercent", .number(1...100, unit: "percent"), "The replicas' average CPU use as a share of their allocation, from the agents' metering.")]),
                .object([.required("callsPerSecondPerReplica", .number(0...1e9, excludingMinimum: true, unit: "calls per second"), "From the counter the workload reports (POST /v1/requests/{id}/calls).")]),
            ], description: "Exactly one of the two.")),
            .optional("tolerancePercent", .number(0...99, unit: "percent"), "No change while the metric is within this much of its target (default 10)."),
            .optional("metricWindowSeconds", .number(1...ScalingPolicy.maxWindowSeconds, unit: "seconds"), "The metric is averaged over this window (default 60)."),
            .optional("scaleUp", rules), .optional("scaleDown", rules),
            .optional("floors", .list(.object([
                .required("days", .list(choice(ScalingSpec.Weekday.self), max: 7, min: 1, unique: true)),
                .required("from", .string(maxLength: 5, pattern: "^([01][0-9]|2[0-3]):[0-5][0-9]$", "HH:MM, 00:00 to 23:59")),
                .required("to", .string(maxLength: 5, pattern: "^(([01][0-9]|2[0-3]):[0-5][0-9]|24:00)$", "HH:MM, 00:00 to 24:00"), "Before from: the floor runs over midnight; not the same as from."),
                .required("minReplicas", .integer(1...Int64(ScalingPolicy.maxReplicasLimit))),
                .optional("utcOffset", .string(maxLength: 6, pattern: "^[+-]((0[0-9]|1[0-3]):[0-5][0-9]|14:00)$", "+HH:MM or -HH:MM within 14 hours of UTC"), "Default +08:00."),
            ]), max: 32), "More replicas at some hours (office hours, a daily peak)."),
        ], "A scaling policy with the semantics of Kubernetes' HorizontalPodAutoscaler.")
        return [
            "VolumeRequest": .object([
                .required("kind", choice(StorageKind.self)),
                .required("sizeGiB", .integer(1...Limits.maxAmount, unit: "GiB")),
            ]),
            "RequestSubmission": submission,
            "ScalingPolicy": scaling,
            "CallRate": .object([
                .required("request", .string(maxLength: 2 * Identifier.maxLength + 1)),
                .optional("callsPerSecondPerReplica", .number(0...1e18), "Over the policy's metric window; absent until two readings give a rate."),
                .optional("runningReplicas", count),
            ]),
            "CallCount": .object([
                .required("total", .number(0...1e18, unit: "calls"), "Calls served since the workload's counter started: a counter that only grows (a smaller value is a restart)."),
            ]),
            "BatchSubmission": .object([.required("requests", .list(.ref("RequestSubmission"), max: 1000, min: 1), "At most 1000 (the scheduler's maxBatch); all or none are stored.")]),
            "LeaseExtension": .object([.required("seconds", .integer(1...Limits.maxLeaseSeconds, unit: "seconds"), "Added to the lease; it may not end more than 10 years from now.")]),
            "Request": requestView,
            "RequestList": .object([
                .required("requests", .list(.ref("Request"), max: 1000)),
                .optional("nextCursor", .string(maxLength: 300), "Pass as cursor for the next page."),
            ]),
            "Requests": .object([.required("requests", .list(.ref("Request"), max: 1000))]),
        ]
    }

    static var requestView: Schema {
        let replica = Schema.object([
            .required("replica", count), .required("node", identifier), .required("cpu", cores), .required("memoryMiB", mebibytes),
            .required("diskGiB", gibibytes), .required("bandwidthMbps", megabits),
            .required("gpus", .list(.object([.required("device", count), .required("milli", .integer(1...1000))]), max: 64), "GPU devices of the node (by index) and the thousandths taken."),
            .required("volumes", .list(identifier, max: 16), "The storage pools of its volumes."),
        ])
        let pending = Schema.object([
            .required("code", .string(maxLength: 64), "Why it waits in one word: quota (its tenant's quota for its class is used up; it is tried again when the tenant frees some), conflict, or the reason the most nodes failed for (insufficient_memory, node_class, ...)."),
            .required("summary", .string(maxLength: 10_000)),
            .optional("reasons", .list(.object([.required("code", .string(maxLength: 64)), .required("nodes", count)]), max: 64), "Nodes counted under the first filter each failed."),
            .optional("nodesEvaluated", count), .optional("unplacedReplicas", count),
        ], "Why it waits: what its last try found. Absent while it waits its turn.")
        let spec = Schema.object([
            .required("cpu", cores), .required("memoryMiB", mebibytes), .required("diskGiB", gibibytes), .required("bandwidthMbps", megabits),
            .optional("gpu", .object([
                .required("count", count), .required("milliPerGPU", .integer(1...1000)), .required("models", .list(gpuModel, max: 16)), .required("minMemoryMiB", mebibytes),
            ])),
            .required("volumes", .list(.ref("VolumeRequest"), max: 16)),
            .optional("originSite", identifier), .optional("maxLatencyMs", .number(0...Limits.maxLatencyMs)),
            .optional("allowedClasses", .list(choice(NodeClass.self), max: 4)),
            .required("requiredLabels", labels), .required("forbiddenLabels", labels),
            .optional("spread", .object([.required("key", .string(maxLength: 70)), .required("required", .boolean)])),
            .optional("leaseSeconds", .integer(1...Limits.maxLeaseSeconds)),
            .optional("queueDeadline", time, "When it is rejected if still waiting."),
        ], "What the request asks for per replica, with its component's profile filled in.")
        let history = Schema.object([
            .required("at", time), .required("phase", .string(maxLength: 32)), .optional("reason", .string(maxLength: 10_000)), .required("actor", .string(maxLength: 200)),
        ])
        return .object([
            .required("id", .string(maxLength: 2 * Identifier.maxLength + 1), "TENANT:NAME."),
            .required("name", identifier, "Unique within its tenant."),
            .required("tenant", identifier),
            .required("phase", phase),
            .optional("reason", .string(maxLength: 10_000), "Why it ended, for ends other than a release."),
            .required("priority", choice(PriorityClass.self)),
            .required("kind", choice(WorkloadKind.self)),
            .required("replicas", count), .required("gang", .boolean), .required("partition", identifier),
            .required("submittedAt", time), .required("submittedBy", .string(maxLength: 200)), .required("updatedAt", time),
            .optional("leaseEndsAt", time),
            .required("placement", .list(replica, max: Limits.maxReplicas)),
            .optional("pending", pending),
            .required("spec", spec),
            .optional("workload", .object([
                .optional("vm", .object([
                    .optional("image", .string(maxLength: 4096)), .optional("volume", .string(maxLength: 512)), .optional("network", .string(maxLength: 64)),
                    .optional("kernel", .string(maxLength: 4096)), .optional("initrd", .string(maxLength: 4096)), .optional("kernelArgs", .string(maxLength: 4096)),
                ])),
                .optional("service", .object([
                    .required("command", .list(.string(maxLength: 4096), max: 256)), .optional("user", .string(maxLength: 32)),
                    .optional("environment", .map(keys: .init(maxLength: 128), values: .string(maxLength: 4096), maxProperties: 256, description: nil)),
                    .optional("tasksMax", .integer(1...4_194_304)),
                ])),
                .optional("restart", choice(RestartPolicy.self)), .optional("movable", .boolean),
            ])),
            .optional("scaling", .ref("ScalingPolicy"), "Its scaling policy, every default spelled out; replicas is the number it now wants."),
            .optional("history", .list(history, max: 100_000), "On GET of one request: every phase it went through and every scaling decision."),
        ])
    }

    // MARK: Nodes

    static var nodes: [String: Schema] {
        let resources = Schema.object([
            .required("cpu", cores), .required("memoryMiB", mebibytes), .required("diskGiB", gibibytes), .required("bandwidthMbps", megabits),
            .required("gpuMilli", .integer(0...Int64(Limits.maxGPUsPerNode) * 1000), "Thousandths of GPUs."),
        ])
        return [
            "NodeRegistration": .object([
                .required("id", identifier), .required("nodeClass", choice(NodeClass.self)), .required("site", identifier),
                .optional("region", identifier), .optional("partition", identifier, "Default public."), .optional("labels", labels),
                .required("cpu", coresAsked(0.001...Limits.maxCores)),
                .required("memoryMiB", .integer(1...Limits.maxAmount, unit: "MiB")),
                .optional("diskGiB", gibibytes), .optional("bandwidthMbps", megabits),
                .optional("gpus", .list(gpuDevice, max: Limits.maxGPUsPerNode)),
                .optional("state", .choice(["ready", "cordoned"]), "Default ready."),
            ], "A node as an operator registers it, ahead of its agent."),
            "Resources": resources,
            "Node": .object([
                .required("id", identifier), .required("nodeClass", choice(NodeClass.self)), .required("site", identifier),
                .required("region", .string(maxLength: 64)), .required("partition", identifier), .required("labels", labels),
                .required("state", choice(NodeState.self)), .required("awaitingAgent", .boolean), .optional("agentVersion", .string(maxLength: 200)),
                .required("capacity", .ref("Resources")), .required("allocated", .ref("Resources")), .required("free", .ref("Resources")),
                .required("gpus", .list(.object([.required("model", gpuModel), .required("memoryMiB", mebibytes), .required("freeMilli", .integer(0...1000))]), max: Limits.maxGPUsPerNode)),
                .required("requests", count), .required("registeredAt", time),
                .required("retired", .boolean, "No new work for good; it can be removed once empty."),
                .optional("registration", .ref("NodeDescription"), "The node as the operator registered or last changed it: its region and labels win."),
                .optional("reported", .ref("NodeDescription"), "The node as its agent last described it: its capacity and GPUs win."),
            ]),
            "NodeList": .object([.required("nodes", .list(.ref("Node"), max: 1_000_000))]),
            "NodeUpdate": .object([
                .optional("region", identifier), .optional("labels", labels, "Replaces the labels; the operator's labels win over the agent's."),
                .optional("cpu", coresAsked(0.001...Limits.maxCores)),
                .optional("memoryMiB", .integer(1...Limits.maxAmount, unit: "MiB")), .optional("diskGiB", gibibytes), .optional("bandwidthMbps", megabits),
                .optional("gpus", .list(gpuDevice, max: Limits.maxGPUsPerNode)),
            ], "What to change. Capacity and GPUs change only on a node that holds nothing and has no agent (an agent measures them)."),
            "NodeDescription": .object([
                .required("region", .string(maxLength: 64)), .required("labels", labels), .required("capacity", .ref("Resources")),
                .required("gpus", .list(gpuDevice, max: Limits.maxGPUsPerNode)),
            ]),
        ]
    }

    // MARK: Tenants, users, quotas, grants

    static let password = Schema.string(
        maxLength: Password.lengthRange.upperBound, minLength: Password.lengthRange.lowerBound,
        "10 to 72 bytes (bcrypt reads no more; a longer one is refused, not cut): within 72 characters, more than 72 bytes is 422.")
    static let level = Schema.integer(Int64(SecurityLevel.range.lowerBound)...Int64(SecurityLevel.range.upperBound), "A security level, 1 (lowest) to 4.")
    static let entryCodes = Schema.list(.string(maxLength: 200, minLength: 1, pattern: "^[A-Z0-9-]+$"), max: 256, unique: true)
    static let priorities = Schema.list(choice(PriorityClass.self), max: 16, unique: true)

    static var tenants: [String: Schema] {
        let quotaLimit = Schema.integer(0...Limits.maxQuotaAmount)
        let quota = Schema.object([
            .optional("cpu", coresAsked(0...Double(Limits.maxQuotaAmount / 1000))),
            .optional("memoryMiB", quotaLimit), .optional("diskGiB", quotaLimit), .optional("bandwidthMbps", quotaLimit),
            .optional("gpuMilli", quotaLimit, "Thousandths of GPUs."),
        ], "Limits per dimension; a dimension left out is unlimited.")
        return [
            "TenantCreation": .object([
                .required("id", identifier), .optional("name", text(200, minLength: 1), "For people; default the id."),
                .optional("weight", .number(0...1000, excludingMinimum: true), "Fair-share weight (default 1)."),
                .optional("reclaimIdle", .boolean, "Whether its idle requests are reclaimed (default: the scheduler's setting)."),
            ]),
            "Tenant": .object([
                .required("id", identifier), .required("name", .string(maxLength: 200)), .required("weight", .number(0...1000)),
                .optional("reclaimIdle", .boolean), .optional("monthlyBudget", .number(0...PriceList.maxAmount), "What it may be billed in a month."),
                .required("createdAt", time),
            ]),
            "TenantList": .object([.required("tenants", .list(.ref("Tenant"), max: 100_000))]),
            "UserCreation": .object([
                .required("id", identifier), .required("role", choice(Role.self)), .optional("tenant", identifier, "Required for (and only for) role tenant."),
                .optional("kind", choice(UserKind.self), "What kind of user (default government): entries may be open to some kinds only."),
                .optional("clearance", level, "The highest security level it may apply for (default 1)."),
                .optional("approver", .boolean, "Tenant users only: decides the owner's steps of applications for its tenant's entries."),
                .optional("password", password, "For signing in to the portal by name (kept only as a bcrypt hash); without one the user signs in with its token."),
            ]),
            "PasswordChange": .object([.required("password", password)]),
            "UserUpdate": .object([
                .optional("kind", choice(UserKind.self)), .optional("clearance", level), .optional("approver", .boolean),
            ], "What to change; what is left out stays."),
            "User": .object([
                .required("id", identifier), .required("role", choice(Role.self)), .optional("tenant", identifier),
                .required("kind", choice(UserKind.self)), .required("clearance", level), .required("approver", .boolean), .required("createdAt", time),
                .required("hasPassword", .boolean, "Whether it may sign in to the portal with a password."),
                .optional("token", .string(maxLength: 200), "Only in the answer to its creation: the bearer token, shown once."),
            ]),
            "UserList": .object([.required("users", .list(.ref("User"), max: 100_000))]),
            "Quota": quota,
            "QuotaUsage": .object([
                .required("tenant", identifier), .required("priority", choice(PriorityClass.self)), .required("limit", .ref("Quota")), .required("used", .ref("Resources")),
            ]),
            "QuotaList": .object([.required("quotas", .list(.ref("QuotaUsage"), max: 100))]),
            "GrantCreation": .object([
                .required("tenant", identifier), .required("partition", identifier),
                .optional("entries", entryCodes, "Codes of conditional or restricted catalog entries it may use."),
                .optional("priorities", priorities, "Priority classes that preempt it may submit at without a quota for them."),
                .required("expiresAt", time, "When the grant ends; requests it alone covers are then revoked."),
            ]),
            "GrantRevocation": .object([.required("reason", text(1000, minLength: 1), "Told to the tenant's users and kept in the audit log.")]),
            "GrantAdjustment": .object([
                .optional("expiresAt", time, "A new end, later or sooner, in the future."),
                .optional("entries", entryCodes, "Replaces the entries listed."), .optional("priorities", priorities, "Replaces the priority classes listed."),
                .optional("reason", text(1000), "Told to the tenant's users and kept in the audit log."),
            ], "What to change; requests no grant covers any more are revoked."),
            "Grant": .object([
                .required("id", .string(maxLength: 64)), .required("tenant", identifier), .required("partition", identifier),
                .optional("entries", .list(.string(maxLength: 200), max: 256)), .optional("priorities", .list(choice(PriorityClass.self), max: 16)),
                .required("expiresAt", time), .required("createdAt", time),
                .optional("application", .string(maxLength: 64), "The application whose approval gave it."),
                .optional("revokedAt", time), .optional("revokedBy", .string(maxLength: 200)), .optional("revocationReason", .string(maxLength: 1000)),
                .optional("expiryNoticeSent", .boolean, "Whether its tenant's users were told it ends within a day."),
            ]),
            "GrantList": .object([.required("grants", .list(.ref("Grant"), max: 100_000))]),
        ]
    }

    // MARK: Catalog

    static var catalog: [String: Schema] {
        let post = Schema.object([
            .required("id", .string(maxLength: 64)), .required("entry", .string(maxLength: 200)),
            .optional("question", .string(maxLength: 64), "The question it answers; absent for a question."),
            .required("user", identifier), .optional("tenant", identifier),
            .required("official", .boolean, "An answer from the entry's owner department or an operator."),
            .required("text", .string(maxLength: 4000)), .required("at", time),
        ])
        let gpu = Schema.object([
            .required("count", .integer(1...Int64(Limits.maxGPUsPerNode))), .optional("milliPerGPU", .integer(1...1000)),
            .optional("models", .list(gpuModel, max: 16, unique: true)), .optional("minMemoryMiB", mebibytes),
        ])
        let common: [Schema.Property] = [
            .required("name", text(80, minLength: 1), "For people, in any script; its code is derived from it."),
            .optional("description", text(4000)),
            .optional("site", identifier), .optional("partition", identifier, "Default public."),
            .optional("labels", labels, "Search labels (`label=KEY=VALUE` in the list); they do not constrain placement."),
            .required("cpu", coresAsked(0.001...Limits.maxCores)), .required("memoryMiB", .integer(1...Limits.maxAmount, unit: "MiB")),
            .optional("diskGiB", gibibytes), .optional("bandwidthMbps", megabits), .optional("gpu", gpu),
            .optional("sharing", choice(Sharing.self), "open (default): any tenant; conditional: under a grant its owner's approval gives; restricted: under a grant its owner's and an operator's approval give."),
            .optional("securityLevel", level, "Users below it may not apply; from level 3 a security officer approves too. Default 1."),
            .optional("owner", identifier, "The department (tenant) that owns it and approves its use."),
            .optional("userKinds", .list(choice(UserKind.self), max: 4, min: 1, unique: true), "The kinds of users that may apply for it; every kind when left out."),
        ]
        return [
            "CatalogRegistration": .oneOf([
                .object([.required("kind", .choice(["offering"])), .required("nodeClass", choice(NodeClass.self), "The class of nodes that provides it.")] + common, "A shape of capacity a class of nodes offers."),
                .object([
                    .required("kind", .choice(["component"])), .required("version", .string(maxLength: 32, minLength: 1, pattern: Identifier.pattern)),
                    .optional("nodeClass", choice(NodeClass.self), "The class it runs on; any when left out."),
                    .optional("workloadKind", choice(WorkloadKind.self), "What it runs as (default component)."),
                    .optional("requiredLabels", labels, "Labels a node must carry to run it."),
                    .optional("scaling", .ref("ScalingPolicy"), "How requests running it scale unless they give their own policy."),
                ] + common, "A versioned software component requests can name."),
            ], description: "A catalog entry: an offering or a component."),
            "CatalogEntry": .object([
                .required("code", .string(maxLength: 200), "Stable and unique: SL-OFR-CLASS-NAME or SL-CMP-CLASS-NAME-VVERSION, the name transliterated to Latin letters."),
                .required("kind", choice(CatalogEntry.Kind.self)), .required("name", .string(maxLength: 80)), .optional("version", .string(maxLength: 32)),
                .required("description", .string(maxLength: 4000)), .optional("nodeClass", choice(NodeClass.self)), .optional("site", identifier),
                .required("partition", identifier), .required("labels", labels), .required("requiredLabels", labels),
                .required("cpu", cores), .required("memoryMiB", mebibytes), .required("diskGiB", gibibytes), .required("bandwidthMbps", megabits),
                .optional("gpu", gpu), .optional("workloadKind", choice(WorkloadKind.self)), .required("sharing", choice(Sharing.self)),
                .required("securityLevel", level), .optional("owner", identifier), .optional("userKinds", .list(choice(UserKind.self), max: 4)),
                .optional("scaling", .ref("ScalingPolicy"), "A component's scaling policy, every default spelled out."),
                .optional("rating", .ref("RatingSummary"), "Its users' ratings in sum; absent before the first."),
                .required("retired", .boolean, "No new use; what uses it runs to its end."),
                .required("registeredAt", time), .required("registeredBy", .string(maxLength: 200)),
            ]),
            "CatalogUpdate": .object([
                .optional("description", text(4000)), .optional("site", identifier), .optional("partition", identifier),
                .optional("labels", labels, "Replaces the search labels."), .optional("requiredLabels", labels, "Components only: replaces the node requirements."),
                .optional("cpu", coresAsked(0.001...Limits.maxCores)), .optional("memoryMiB", .integer(1...Limits.maxAmount, unit: "MiB")),
                .optional("diskGiB", gibibytes), .optional("bandwidthMbps", megabits), .optional("gpu", gpu),
                .optional("sharing", choice(Sharing.self)), .optional("securityLevel", level), .optional("owner", identifier),
                .optional("userKinds", .list(choice(UserKind.self), max: 4, min: 1, unique: true)),
                .optional("scaling", .ref("ScalingPolicy"), "Components only: replaces the scaling policy (requests already submitted keep theirs)."),
            ], "What to change; what is left out stays. Kind, name, version and node class make the code and do not change."),
            "CatalogList": .object([.required("entries", .list(.ref("CatalogEntry"), max: 1_000_000))]),
            "RatingSubmission": .object([.required("stars", .integer(1...5)), .optional("comment", text(2000))]),
            "RatingSummary": .object([.required("count", count), .optional("average", .number(1...5), "The mean of the stars; absent before the first rating.")]),
            "PostSubmission": .object([.required("text", text(4000, minLength: 1))]),
            "Post": post,
            "EntryFeedback": .object([
                .required("rating", .ref("RatingSummary")),
                .required("ratings", .list(.object([
                    .required("entry", .string(maxLength: 200)), .required("user", identifier), .required("tenant", identifier), .required("stars", .integer(1...5)),
                    .optional("comment", .string(maxLength: 2000)), .required("at", time),
                ]), max: 1000)),
                .required("questions", .list(.object([.required("question", .ref("Post")), .required("answers", .list(.ref("Post"), max: 1_000_000))]), max: 1000)),
            ]),
            "SearchResults": .object([.required("hits", .list(.object([
                .required("kind", choice(SearchKind.self)), .required("key", .string(maxLength: 300), "The entry's code, or the application's, request's or node's id."),
                .optional("department", identifier), .required("title", .string(maxLength: 3000)),
            ]), max: 500))]),
        ]
    }

    // MARK: Sites, links, storage pools

    static var infrastructure: [String: Schema] {
        [
            "SiteRegistration": .object([.optional("region", identifier), .optional("description", text(4000))]),
            "Site": .object([
                .required("id", identifier), .optional("region", identifier), .optional("description", .string(maxLength: 4000)),
                .required("registered", .boolean, "False for a site only nodes or pools name."), .required("nodes", count), .required("storagePools", count),
            ]),
            "SiteList": .object([.required("sites", .list(.ref("Site"), max: 1_000_000))]),
            "LinkLatency": .object([.required("latencyMs", .number(0...Limits.maxLatencyMs, unit: "milliseconds"), "Round trip, the same both ways.")]),
            "Link": .object([.required("from", identifier), .required("to", identifier), .required("latencyMs", .number(0...Limits.maxLatencyMs))]),
            "LinkList": .object([.required("links", .list(.ref("Link"), max: 1_000_000))]),
            "StoragePoolRegistration": .object([
                .required("id", identifier), .required("site", identifier), .required("kind", choice(StorageKind.self)),
                .required("capacityGiB", .integer(1...Limits.maxAmount, unit: "GiB")), .optional("partition", identifier, "Default public."),
            ]),
            "StoragePoolUpdate": .object([.required("capacityGiB", .integer(1...Limits.maxAmount, unit: "GiB"), "Not below what its volumes take.")]),
            "StoragePool": .object([
                .required("id", identifier), .required("site", identifier), .required("kind", choice(StorageKind.self)), .required("partition", identifier),
                .required("capacityGiB", gibibytes), .required("usedGiB", gibibytes), .required("retired", .boolean, "Takes no new volumes."),
            ]),
            "StoragePoolList": .object([.required("storagePools", .list(.ref("StoragePool"), max: 1_000_000))]),
        ]
    }

    // MARK: Applications, approval policies, notifications, webhooks

    static var workflow: [String: Schema] {
        let item = Schema.object([
            .optional("entry", .string(maxLength: 200, minLength: 1, pattern: "^SL-[A-Z0-9-]+$"), "A catalog entry's code."),
            .optional("quantity", .integer(1...Int64(Limits.maxReplicas)), "Replicas of a component, or instances of an offering's shape (default 1)."),
            .optional("request", .ref("RequestSubmission"),
                "A request written out (free-form); with an entry, only what the entry does not say (workload, priority, originSite, maxLatencyMs, ...). Never id, tenant, replicas or leaseSeconds."),
        ], "One thing asked for: an entry or a request written out.")
        let decider = choice(Decider.self, "owner: the entry's owner department's approvers; operator; security: a security officer.")
        let step = Schema.object([
            .required("decider", decider), .optional("department", identifier, "For an owner step: the tenant whose approvers decide."),
            .required("deadlineHours", .number(0...StepRule.maxDeadlineHours)), .optional("deadline", time, "Set when the step is reached."),
            .optional("outcome", .choice(["approved", "rejected"])), .optional("decidedBy", .string(maxLength: 200)), .optional("decidedAt", time),
            .optional("comment", .string(maxLength: 2000)),
        ])
        let rule = Schema.object([
            .required("decider", decider),
            .optional("deadlineHours", .number(0...StepRule.maxDeadlineHours, excludingMinimum: true, unit: "hours"), "Default \(Int(StepRule.defaultDeadlineHours))."),
        ])
        let auto = Schema.object([
            .optional("withinQuota", .boolean, "Only when it fits the tenant's quota for its priority beside what the tenant uses (default true)."),
            .optional("userKinds", .list(choice(UserKind.self), max: 4, min: 1, unique: true), "Only for these kinds of users."),
        ], "When an application needs no step.")
        let requestState = Schema.object([
            .required("id", .string(maxLength: 200)), .required("phase", .string(maxLength: 32), "As a request's phase; unknown if it cannot be read."), .optional("reason", .string(maxLength: 100_000)),
        ])
        return [
            "ApplicationCreation": .object([
                .optional("tenant", identifier, "Default the caller's tenant."),
                .required("purpose", text(2000, minLength: 1), "What the resources are for."),
                .optional("industry", text(200, minLength: 1)), .optional("scenario", text(200, minLength: 1), "The business scenario."),
                .required("durationSeconds", .integer(1...Limits.maxLeaseSeconds, unit: "seconds"), "How long they are needed: each request's lease and each grant's length."),
                .required("items", .list(item, max: Scheduler.maxApplicationItems, min: 1)),
                .optional("draft", .boolean, "Keep it as a draft, to submit later (default false: submitted now)."),
            ]),
            "Decision": .oneOf([
                .object([.required("decision", .choice(["approve"])), .optional("comment", text(2000))], "Approve the step under review."),
                .object([.required("decision", .choice(["reject"])), .required("comment", text(2000, minLength: 1), "Why: the applicant is told.")], "Reject the application."),
            ], description: "A decision on the step under review."),
            "Withdrawal": .object([.optional("reason", text(2000))]),
            "Application": .object([
                .required("id", .string(maxLength: 64)), .required("tenant", identifier), .required("applicant", identifier),
                .required("purpose", .string(maxLength: 2000)), .optional("industry", .string(maxLength: 200)), .optional("scenario", .string(maxLength: 200)),
                .required("durationSeconds", .integer(1...Limits.maxLeaseSeconds)), .required("items", .list(item, max: Scheduler.maxApplicationItems)),
                .required("state", choice(ApplicationState.self)), .optional("reason", .string(maxLength: 2000), "Why it was rejected, withdrawn or expired."),
                .required("steps", .list(step, max: 64)), .optional("currentStep", .integer(0...64), "The index of the step under review."),
                .required("grants", .list(.string(maxLength: 64), max: 64), "Grants its approval gave."),
                .optional("provisioning", .object([
                    .required("at", time), .required("requests", .list(requestState, max: Scheduler.maxApplicationItems)),
                    .optional("error", .string(maxLength: 100_000), "Why its requests could not be created."),
                ]), "What was created once it was approved."),
                .required("createdAt", time), .required("updatedAt", time), .optional("submittedAt", time),
            ]),
            "ApplicationList": .object([.required("applications", .list(.ref("Application"), max: 1000))]),
            "ApprovalPolicySpec": .object([.required("steps", .list(rule, max: 8)), .optional("autoApprove", auto)]),
            "ApprovalPolicy": .object([
                .required("scope", .string(maxLength: 220), "entry/CODE, partition/NAME or level/N."), .required("steps", .list(rule, max: 8)),
                .optional("autoApprove", auto), .required("updatedAt", time), .required("updatedBy", .string(maxLength: 200)),
            ]),
            "ApprovalPolicyList": .object([.required("policies", .list(.ref("ApprovalPolicy"), max: 100_000))]),
            "Notification": .object([
                .required("id", .integer(1...Int64.max)), .required("user", identifier), .required("kind", .string(maxLength: 64)),
                .optional("tenant", identifier), .required("subject", .string(maxLength: 300)), .required("message", .string(maxLength: 100_000)),
                .required("at", time), .required("read", .boolean),
            ]),
            "NotificationList": .object([
                .required("notifications", .list(.ref("Notification"), max: 1000)),
                .required("unread", .integer(0...Int64.max), "The caller's unread notifications, in all."),
            ]),
            "NotificationsRead": .object([
                .optional("ids", .list(.integer(1...Int64.max), max: 1000, unique: true), "These notifications."),
                .optional("upTo", .integer(1...Int64.max), "Every notification up to this id."),
            ], "Marks the caller's notifications read; give ids, upTo or both."),
            "WebhookCreation": .object([.required("url", .string(maxLength: 2000, minLength: 8, pattern: "^[Hh][Tt][Tt][Pp][Ss]?://[!-~]+$"), "An http or https URL with a host, in ASCII (a host in another script as punycode).")]),
            "Webhook": .object([
                .required("id", .string(maxLength: 64)), .required("tenant", identifier), .required("url", .string(maxLength: 2000)),
                .required("createdAt", time), .required("createdBy", .string(maxLength: 200)),
                .optional("secret", .string(maxLength: 200), "Only in the answer to its creation: the key of the HMAC-SHA256 signature in Suanli-Signature."),
            ]),
            "WebhookList": .object([.required("webhooks", .list(.ref("Webhook"), max: 64))]),
            "WebhookDelivery": .object([
                .required("id", .integer(1...Int64.max), "Sent as Suanli-Delivery: the same id twice is the same notice."),
                .required("kind", .string(maxLength: 64)), .required("subject", .string(maxLength: 300)), .required("at", time),
                .required("attempts", .integer(0...Int64(WebhookDelivery.maxAttempts))), .optional("nextAttemptAt", time), .optional("deliveredAt", time),
                .optional("gaveUpAt", time), .optional("lastStatus", .integer(100...599)), .optional("lastError", .string(maxLength: 100_000)),
            ]),
            "WebhookDeliveryList": .object([.required("deliveries", .list(.ref("WebhookDelivery"), max: 1000))]),
        ]
    }

    // MARK: Usage, billing, operations

    static var operations: [String: Schema] {
        let amount = Schema.number(0...1e300)
        let usage = Schema.object(UsageAmounts.components.map { .required($0.name, amount) }, "Amounts times hours (core-hours, GiB-hours, ...) and API calls.")
        let resources = Schema.ref("Resources")
        let price = Schema.number(0...PriceList.maxAmount)
        let unitPrices: [Schema.Property] = [
            .required("coreHour", price, "Per core-hour."), .required("memoryGiBHour", price, "Per GiB-hour of memory."),
            .required("gpuHour", price, "Per GPU-hour."), .required("storageGiBHour", price, "Per GiB-hour of storage."),
            .required("mbpsHour", price, "Per Mbps-hour of bandwidth."), .required("thousandAPICalls", price, "Per 1,000 API calls."),
        ]
        return [
            "Usage": usage,
            "UsageReport": .object([.required("query", .map(keys: .init(maxLength: 16), values: .string(maxLength: 200), maxProperties: 8, description: nil)), .required("usage", .ref("Usage"))]),
            "Charge": .object([
                .required("usage", .ref("Usage")), .required("charges", usage, "What each kind of use costs, in the bill's currency."),
                .required("total", amount, "The sum of the charges."),
            ]),
            "BillingReport": .object([
                .required("currency", .string(maxLength: 16, minLength: 1), "The currency of every charge."),
                .required("basis", .choice(MeteringBasis.allCases.map(\.rawValue)), "The basis of the list in effect now (each part of the period is due on its own list's)."),
                .optional("from", time, "The period's start; absent for an open start."), .optional("to", time, "The period's end; absent for an open end."),
                .required("bills", .list(.object([
                    .required("tenant", identifier), .required("due", amount, "The amount due: each part of the period on the basis of the list in effect over it."),
                    .required("allocated", .ref("Charge"), "What its requests held, from placement to release."),
                    .required("used", .ref("Charge"), "What agents measured them use."),
                    .required("nodeClasses", .list(.ref("BillLine"), max: 100), "The totals by node class (API calls: no class)."),
                    .required("lines", .list(.ref("BillLine"), max: 10_000_000), "By request and node class."),
                ]), max: 100_000)),
            ]),
            "UnitPrices": .object(unitPrices, "Prices of one unit of each kind of use."),
            "UnitPricesOverride": .object(unitPrices.map { Schema.Property(name: $0.name, schema: $0.schema, required: false, description: $0.description) }, "The prices that differ from the standard ones."),
            "PriceListPublication": .object([
                .optional("effectiveFrom", time, "When it takes effect: now (the default) or later, after the latest list; never earlier."),
                .required("prices", .object([
                    .optional("currency", .string(maxLength: 16, minLength: 1, pattern: "^[A-Za-z0-9]+$"), "The currency (default CNY): the same as the lists before."),
                    .optional("basis", .choice(MeteringBasis.allCases.map(\.rawValue)), "What a bill's amount due is on (default allocated)."),
                ] + unitPrices.map { Schema.Property(name: $0.name, schema: $0.schema, required: false, description: $0.description) } + [
                    .optional("nodeClasses", .map(keys: .init(minLength: 1, maxLength: 16, values: NodeClass.allCases.map(\.rawValue)), values: .ref("UnitPricesOverride"), maxProperties: 16, description: "Per node class, the prices that differ.")),
                ])),
            ]),
            "PriceVersion": .object([
                .required("effectiveFrom", time), .required("publishedAt", time), .required("publishedBy", .string(maxLength: 200)),
                .required("currency", .string(maxLength: 16)), .required("basis", .choice(MeteringBasis.allCases.map(\.rawValue))),
                .required("standard", .ref("UnitPrices")),
                .required("nodeClasses", .map(keys: .init(minLength: 1, maxLength: 16), values: .ref("UnitPrices"), maxProperties: 16, description: nil)),
            ]),
            "PriceHistory": .object([
                .optional("current", .ref("PriceVersion"), "In effect now; absent before the first list."),
                .required("versions", .list(.ref("PriceVersion"), max: 100_000)),
            ]),
            "Budget": .object([.required("monthly", .number(0...PriceList.maxAmount), "What the tenant may be billed in a calendar month, in the price list's currency.")]),
            "BudgetStatus": .object([
                .required("tenant", identifier), .required("month", .string(maxLength: 7), "YYYY-MM, UTC."), .required("currency", .string(maxLength: 16)),
                .optional("budget", amount, "Absent without a budget."), .required("due", amount, "Billed so far this month, on the price list's basis."),
                .optional("share", .number(0...1e300), "Of the budget, billed so far."), .required("forecast", amount, "The month at the current rate: what is held now (allocated basis) or the last hour's use (used basis)."),
            ]),
            "Efficiency": .object([
                .required("subject", .string(maxLength: 200), "The tenant or the request."), .required("tenant", identifier),
                .optional("cpu", .number(0...1e300), "Core-hours used per core-hour held; absent when nothing was held."),
                .optional("memory", .number(0...1e300), "GiB-hours used per GiB-hour held."),
                .required("allocated", .ref("Usage")), .required("used", .ref("Usage")),
            ]),
            "EfficiencyReport": .object([
                .required("tenants", .list(.ref("Efficiency"), max: 100_000)), .required("requests", .list(.ref("Efficiency"), max: 100_000)),
                .required("satisfaction", .list(.object([
                    .required("entry", .string(maxLength: 200)), .required("name", .string(maxLength: 80)), .required("count", count),
                    .required("average", .number(1...5), "Mean stars."),
                ]), max: 100_000), "Rated catalog entries, the least liked first (§9.5.5 b)."),
            ]),
            "BillLine": .object([
                .optional("request", requestID), .optional("nodeClass", .string(maxLength: 32)),
                .required("allocated", .ref("Charge")), .required("used", .ref("Charge")),
            ]),
            "UtilizationReport": .object([.required("groups", .list(.object([
                .required("group", .string(maxLength: 64)), .required("nodes", count), .required("capacity", resources), .required("allocated", resources),
            ]), max: 100_000))]),
            "AlertList": .object([.required("alerts", .list(.object([
                .required("kind", .string(maxLength: 64)), .required("target", .string(maxLength: 300)), .required("message", .string(maxLength: 10_000)),
                .optional("tenant", identifier, "The tenant whose resources it is about; absent for the platform's."),
            ]), max: 1_000_000))]),
            "AuditList": .object([.required("entries", .list(.object([
                .required("sequence", .integer(1...Int64.max)), .required("at", time), .required("actor", .string(maxLength: 200)), .required("action", .string(maxLength: 64)),
                .required("target", .string(maxLength: 300)), .required("detail", .string(maxLength: 100_000)),
            ]), max: 1000))]),
            "ConsolidationReport": .object([.required("groups", .list(.object([
                .required("nodeClass", choice(NodeClass.self)), .required("partition", identifier), .required("nodes", count), .required("nodesInUse", count),
                .required("nodesNeeded", count), .required("vectorPacking", count), .required("lowerBound", count),
            ]), max: 10_000))]),
            "DefragmentationGoal": .oneOf([
                .object([.required("request", requestID, "A queued request to make room for.")]),
                .object([
                    .required("freeNodes", .integer(1...1000), "How many nodes to empty."), .optional("nodeClass", choice(NodeClass.self)), .optional("partition", identifier),
                ]),
            ], description: "Either a request to make room for or a number of nodes to empty."),
            "DefragmentationPlan": .object([
                .required("moves", .list(.object([
                    .required("request", .string(maxLength: 200)), .required("from", .list(identifier, max: Limits.maxReplicas)), .required("to", .list(identifier, max: Limits.maxReplicas)),
                ]), max: 100)),
                .required("freedNodes", .list(identifier, max: 1000)), .required("placement", .list(identifier, max: Limits.maxReplicas)),
            ]),
            "Readiness": .object([
                .required("status", .choice(["ready", "starting"])),
                .required("role", .choice(["leader", "standby"]), "`leader` serves everything; a `standby` (schedulers sharing a PostgreSQL store) passes calls on to the leader."),
                .optional("leader", .string(maxLength: 2000), "On a standby: the leader's URL, when one leads."),
            ]),
        ]
    }
}
