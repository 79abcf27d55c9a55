import Placement

/// The Alibaba openb GPU cluster trace (cluster-trace-gpu-v2023), as nodes and requests for the
/// placement core: every GPU node is an `ai` node at one site; every pod a request of one replica.
public struct OpenBTrace: Sendable {
    public let nodes: [Node]
    /// Pods sorted by name, as the published protocol starts from.
    public let pods: [PlacementRequest]

    public init(nodes: [Node], pods: [PlacementRequest]) {
        self.nodes = nodes
        self.pods = pods.sorted { $0.id < $1.id }
    }

    /// Reads `openb_node_list_gpu_node.csv` (`sn,cpu_milli,memory_mib,gpu,model`) and a pod list:
    /// `openb_pod_list_default.csv` (`name,cpu_milli,memory_mib,num_gpu,gpu_milli,gpu_spec,...`)
    /// or a variant, some of which (the multi-GPU ones) have only the first five columns.
    public static func load(nodes nodesPath: String, pods podsPath: String) throws(InputFileError) -> OpenBTrace {
        OpenBTrace(nodes: try loadNodes(file: nodesPath), pods: try loadPods(file: podsPath).map(\.request))
    }

    /// The node list, every node of class `nodeClass` at `site`.
    public static func loadNodes(file nodesPath: String, site: String = "openb", nodeClass: NodeClass = .ai) throws(InputFileError) -> [Node] {
        let nodeTable = try CSVTable(contentsOf: nodesPath, requiring: ["sn", "cpu_milli", "memory_mib", "gpu", "model"])
        var nodes: [Node] = []
        var ids = Set<String>()
        for row in nodeTable.rows {
            let id = try nodeTable.uniqueName(row, "sn", seen: &ids)
            let gpus = try nodeTable.integer(row, "gpu", in: 0...64)
            let model = nodeTable.string(row, "model")
            guard gpus == 0 || !model.isEmpty else {
                throw InputFileError(file: nodesPath, line: row.line, field: "model", message: "a node with GPUs needs a model")
            }
            nodes.append(
                Node(
                    id: id, nodeClass: nodeClass, site: site,
                    capacity: Resources(
                        cpuMillis: try nodeTable.integer(row, "cpu_milli", in: 0...10_000_000),
                        memoryMiB: try nodeTable.integer(row, "memory_mib", in: 0...1_000_000_000)),
                    gpus: Array(repeating: GPUDevice(model: model), count: Int(gpus))))
        }
        guard !nodes.isEmpty else { throw InputFileError(file: nodesPath, line: 1, message: "no nodes: the file has only its header") }
        return nodes
    }

    /// The pod list in file order, each pod submitted at its `creation_time` and running until its
    /// `deletion_time` (seconds) where the file has those columns.
    public static func loadPods(file podsPath: String) throws(InputFileError) -> [TimedRequest] {
        let podTable = try CSVTable(contentsOf: podsPath, requiring: ["name", "cpu_milli", "memory_mib", "num_gpu", "gpu_milli"])
        var pods: [TimedRequest] = []
        var names = Set<String>()
        for row in podTable.rows {
            let name = try podTable.uniqueName(row, "name", seen: &names)
            let count = try podTable.integer(row, "num_gpu", in: 0...64)
            let milli = try podTable.integer(row, "gpu_milli", in: 0...1_000)
            if count > 1 && milli != 1_000 {
                throw InputFileError(file: podsPath, line: row.line, field: "gpu_milli", message: "a share below 1000 needs num_gpu 1, found num_gpu \(count)")
            }
            if count > 0 && milli == 0 {
                throw InputFileError(file: podsPath, line: row.line, field: "gpu_milli", message: "a pod with GPUs needs a share above 0")
            }
            let spec = podTable.optionalString(row, "gpu_spec")
            let created = try podTable.number(row, "creation_time", in: 0...1e12, required: false) ?? 0
            let deleted = try podTable.number(row, "deletion_time", in: 0...1e12, required: false)
            if let deleted, deleted < created {
                throw InputFileError(file: podsPath, line: row.line, field: "deletion_time", message: "\(deleted) is before creation_time \(created)")
            }
            let request = PlacementRequest(
                id: name, tenant: "openb", kind: .aiInference,
                resources: Resources(
                    cpuMillis: try podTable.integer(row, "cpu_milli", in: 0...10_000_000),
                    memoryMiB: try podTable.integer(row, "memory_mib", in: 0...1_000_000_000)),
                gpu: count == 0
                    ? nil : GPURequest(count: Int(count), milliPerGPU: Int32(milli), models: spec.isEmpty ? [] : spec.split(separator: "|").map(String.init)),
                allowedClasses: [.ai], submittedAt: created)
            pods.append(TimedRequest(request: request, duration: max(1, (deleted ?? .infinity) - created), origin: (podsPath, row.line)))
        }
        guard !pods.isEmpty else { throw InputFileError(file: podsPath, line: 1, message: "no pods: the file has only its header") }
        return pods
    }

    /// GPUs in the cluster, in thousandths.
    public var gpuCapacityMilli: Int64 { nodes.reduce(0) { $0 + Int64($1.gpus.count) } * Int64(GPUDevice.wholeMilli) }
}
