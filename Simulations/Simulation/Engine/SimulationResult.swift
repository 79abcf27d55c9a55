import Placement

/// What a simulation run measured. The same scenario and seed give the same value, field by field.
public struct SimulationResult: Sendable, Codable, Equatable {
    public var scenario: String
    public var seed: UInt64
    public var policy: String
    public var nodes: [String: Int]
    public var totals: Totals
    /// Queue wait percentiles per priority class and per tenant.
    public var waits: [WaitStats]
    public var series: [Sample]
    /// The services under a daily load (`workload.services`); nil when the scenario has none.
    public var services: ServiceTotals?
    /// Each target the run missed, in words with its figures; empty when `totals.targetsMet`.
    public var missed: [String] = []
    /// The same by kind, with how many requests missed it (for a p95 wait: its seconds; 1 for a
    /// service):
    /// `wait:PRIORITY`, `waiting:PRIORITY`, `rejected`, `expired`, `latency`, `unserved:SERVICE`.
    public var missCounts: [String: Int] = [:]
    /// The kind of each line of `missed`.
    public var missedKinds: [String] = []

    /// Records a missed target.
    mutating func miss(_ kind: String, count: Int = 1, _ text: String) {
        missed.append(text)
        missedKinds.append(kind)
        missCounts[kind, default: 0] += count
        totals.targetsMet = false
    }

    /// What the services held and served over the run, and, for a scenario that autoscales some,
    /// the same run with each fixed at its max_replicas (`suanli-sim run` measures both).
    public struct ServiceTotals: Sendable, Codable, Equatable {
        public var services: [Service]
        /// Nodes holding any allocation, integrated over the run (sampled every 15 s).
        public var nodeHours: Double
        /// The run with every autoscaled service fixed at its max_replicas.
        public var fixedAtMax: Comparison?

        public struct Service: Sendable, Codable, Equatable {
            public var name: String
            public var autoscaled: Bool
            public var minReplicas: Int
            public var maxReplicas: Int
            /// The most replicas it held at once, and its mean over the run.
            public var peakReplicas: Int
            public var meanReplicas: Double
            public var replicaHours: Double
            /// Changes of its replica count the autoscaler decided.
            public var scalings: Int
            /// Time with more calls than its running replicas could serve, and the share of calls
            /// left unserved.
            public var overloadedSeconds: Double
            public var unservedShare: Double
            /// For an autoscaled service: whether it left no more unserved than the scenario's
            /// `unserved_target`.
            public var met: Bool?
        }

        public struct Comparison: Sendable, Codable, Equatable {
            public var nodeHours: Double
            public var replicaHours: Double
            public var targetsMet: Bool
            /// The share of node-hours autoscaling saved: 1 - autoscaled / fixed.
            public var saving: Double
        }
    }

    /// Counts and sums over the whole run.
    public struct Totals: Sendable, Codable, Equatable {
        /// Events processed: arrivals, departures, lease ends, queue deadlines, node failures and
        /// repairs, maintenance windows and samples.
        public var events = 0
        public var arrivals = 0
        /// Requests placed for the first time.
        public var placed = 0
        /// Placements of requests that had been preempted or moved off a failed or maintained node.
        public var replaced = 0
        public var completed = 0
        public var leaseExpired = 0
        public var deadlineExpired = 0
        /// Turned away: larger than the tenant's quota, or invalid for the cluster.
        public var rejected = 0
        public var preemptions = 0
        public var interruptedByFailure = 0
        public var evictedForMaintenance = 0
        public var nodeFailures = 0
        public var pendingAtEnd = 0
        public var runningAtEnd = 0
        public var latencyBound = 0
        /// Latency-bound requests not placed within their class's wait target (or never placed).
        public var latencyViolations = 0
        public var decisions = 0
        public var energyKWh = 0.0
        public var greenEnergyKWh = 0.0
        public var cost = 0.0
        public var meanCPUUtilization = 0.0
        public var meanGPUUtilization = 0.0
        public var simulatedSeconds = 0.0
        /// Every request counted: every priority class's p95 wait under its target, none still
        /// waiting past it at the end, none expired in the queue or rejected, no latency violation,
        /// no autoscaled service leaving more of its calls unserved than allowed (`missed` says
        /// which failed).
        public var targetsMet = true

        enum CodingKeys: String, CodingKey {
            case events, arrivals, placed, replaced, completed, rejected, preemptions, decisions, cost
            case leaseExpired = "lease_expired"
            case deadlineExpired = "deadline_expired"
            case interruptedByFailure = "interrupted_by_failure"
            case evictedForMaintenance = "evicted_for_maintenance"
            case nodeFailures = "node_failures"
            case pendingAtEnd = "pending_at_end"
            case runningAtEnd = "running_at_end"
            case latencyBound = "latency_bound"
            case latencyViolations = "latency_violations"
            case energyKWh = "energy_kwh"
            case greenEnergyKWh = "green_energy_kwh"
            case meanCPUUtilization = "mean_cpu_utilization"
            case meanGPUUtilization = "mean_gpu_utilization"
            case simulatedSeconds = "simulated_seconds"
            case targetsMet = "targets_met"
        }
    }

    /// Queue waits of one priority class or tenant, in seconds. Requests still waiting at the end
    /// count with the wait they had then.
    public struct WaitStats: Sendable, Codable, Equatable {
        /// "priority" or "tenant".
        public var group: String
        public var name: String
        public var count: Int
        public var p50: Double
        public var p95: Double
        public var p99: Double
        public var max: Double
        /// The scenario's target for the 95th percentile, for priority classes that have one.
        public var target: Double?
        public var met: Bool?
    }

    /// The state of the cluster at one instant, and what happened since the previous sample.
    public struct Sample: Sendable, Codable, Equatable {
        public var time: Double
        /// Allocated share of ready capacity, keyed `class.dimension` (`ai.gpu`, `general.cpu`).
        public var utilization: [String: Double]
        public var pending: Int
        /// Pending requests by why they wait: a no-fit reason code, `quota`, or `queued` (not tried yet).
        public var pendingByReason: [String: Int]
        /// The 95th percentile of the waits of requests placed in the interval, per priority class.
        public var waitP95: [String: Double]
        public var arrivals: Int
        public var placed: Int
        public var preemptions: Int
        /// Share of free GPU capacity on GPUs that are partly allocated (unusable by whole-GPU work).
        public var gpuFragmentation: Double
        /// Share of CPU capacity free on nodes whose memory or GPUs are used up, and of memory free
        /// on nodes whose CPU is used up.
        public var strandedCPU: Double
        public var strandedMemory: Double
        public var powerKW: Double
        /// Cumulative energy and cost since the start.
        public var energyKWh: Double
        public var cost: Double
        public var nodesDown: Int
        /// Replicas each service held, and the replicas its load needed at full CPU; nil without
        /// services.
        public var replicas: [String: Int]? = nil
        public var neededReplicas: [String: Int]? = nil

        enum CodingKeys: String, CodingKey {
            case time, utilization, pending, arrivals, placed, preemptions, cost, replicas
            case neededReplicas = "needed_replicas"
            case pendingByReason = "pending_by_reason"
            case waitP95 = "wait_p95"
            case gpuFragmentation = "gpu_fragmentation"
            case strandedCPU = "stranded_cpu"
            case strandedMemory = "stranded_memory"
            case powerKW = "power_kw"
            case energyKWh = "energy_kwh"
            case nodesDown = "nodes_down"
        }
    }
}

/// The value at quantile `q` (0...1) of sorted values, nearest rank; 0 when empty.
func quantile(_ sorted: [Double], _ q: Double) -> Double {
    guard !sorted.isEmpty else { return 0 }
    let rank = Int((q * Double(sorted.count)).rounded(.up)) - 1
    return sorted[min(sorted.count - 1, max(0, rank))]
}
