import Foundation
import Placement
import Simulation
import Testing

struct OpenBTraceTests {
    static let nodes = """
        sn,cpu_milli,memory_mib,gpu,model
        n0,32000,131072,2,T4
        n1,64000,262144,8,G2
        n2,16000,65536,0,
        """
    static let pods = """
        name,cpu_milli,memory_mib,num_gpu,gpu_milli,gpu_spec,qos,pod_phase,creation_time,deletion_time,scheduled_time
        p2,4000,8192,1,500,,LS,Running,0,10,0
        p0,8000,16384,2,1000,G2,LS,Running,0,10,0
        p1,2000,4096,0,0,,BE,Running,0,10,0
        p3,1000,1024,1,250,T4|G2,LS,Running,0,10,0
        """

    static func files(nodes: String = nodes, pods: String = pods) throws -> (String, String) {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("openb-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let nodePath = folder.appendingPathComponent("nodes.csv").path, podPath = folder.appendingPathComponent("pods.csv").path
        try nodes.write(toFile: nodePath, atomically: true, encoding: .utf8)
        try pods.write(toFile: podPath, atomically: true, encoding: .utf8)
        return (nodePath, podPath)
    }

    @Test func readsNodesAndPods() throws {
        let (nodes, pods) = try Self.files()
        let trace = try OpenBTrace.load(nodes: nodes, pods: pods)
        #expect(trace.nodes.map(\.gpus.count) == [2, 8, 0])
        #expect(trace.gpuCapacityMilli == 10_000)
        #expect(trace.pods.map(\.id) == ["p0", "p1", "p2", "p3"], "sorted by name")
        #expect(trace.pods[0].gpu == GPURequest(count: 2, models: ["G2"]))
        #expect(trace.pods[1].gpu == nil)
        #expect(trace.pods[3].gpu?.models == ["T4", "G2"])
    }

    static let broken: [(nodes: String?, pods: String?, line: Int, field: String?)] = [
        ("sn,cpu_milli,memory_mib,gpu\nn0,1,1,1", nil, 1, "model"),
        ("sn,cpu_milli,memory_mib,gpu,model\nn0,lots,1,1,T4", nil, 2, "cpu_milli"),
        ("sn,cpu_milli,memory_mib,gpu,model\nn0,1,1,1,T4\nn0,1,1,1,T4", nil, 3, "sn"),
        ("sn,cpu_milli,memory_mib,gpu,model\nn0,1,1,2", nil, 2, nil),
        ("sn,cpu_milli,memory_mib,gpu,model\nn0,1,1,-2,T4", nil, 2, "gpu"),
        (nil, "name,cpu_milli,memory_mib,num_gpu,gpu_milli,gpu_spec\np0,1,1,2,500,", 2, "gpu_milli"),
        (nil, "name,cpu_milli,memory_mib,num_gpu,gpu_milli,gpu_spec\np0,1,1,1,1500,", 2, "gpu_milli"),
        (nil, "name,cpu_milli,memory_mib,num_gpu,gpu_milli,gpu_spec\np0,1,1,1,500,\np1,x,1,0,0,", 3, "cpu_milli"),
        (nil, "", 1, nil),
    ]

    @Test(arguments: broken.indices)
    func malformedFilesNameFileLineAndField(_ i: Int) throws {
        let (nodes, pods, line, field) = Self.broken[i]
        let (nodePath, podPath) = try Self.files(nodes: nodes ?? Self.nodes, pods: pods ?? Self.pods)
        do {
            _ = try OpenBTrace.load(nodes: nodePath, pods: podPath)
            Issue.record("case \(i) should fail")
        } catch {
            #expect(error.file == (nodes != nil ? nodePath : podPath))
            #expect(error.line == line)
            #expect(error.field == field)
            #expect(error.description.hasPrefix(error.file))
        }
    }

    @Test func missingFilesAreReportedNotCrashed() {
        #expect(throws: InputFileError.self) { try OpenBTrace.load(nodes: "/nonexistent/nodes.csv", pods: "/nonexistent/pods.csv") }
    }
}

struct OpenBExperimentTests {
    static func experiment() throws -> OpenBExperiment {
        let (nodes, pods) = try OpenBTraceTests.files()
        return OpenBExperiment(trace: try OpenBTrace.load(nodes: nodes, pods: pods), policy: try PolicyRegistry.policy(named: "best-fit", scan: .all))
    }

    @Test func workloadFollowsTheProtocol() throws {
        let experiment = try Self.experiment()
        let workload = experiment.workload(seed: 3)
        // Every pod once, shuffled, then copies drawn with replacement up to 130% of the GPUs.
        #expect(Set(workload.prefix(4).map(\.id)) == ["p0", "p1", "p2", "p3"])
        #expect(workload.dropFirst(4).allSatisfy { $0.id.contains("#") })
        let total = workload.reduce(0) { $0 + $1.gpuMilliPerReplica }
        #expect(Double(total) <= 1.3 * 10_000)
        #expect(Double(total) > 1.3 * 10_000 - 2_000, "stops only when the next draw would exceed")
        #expect(workload.map(\.id) == experiment.workload(seed: 3).map(\.id))
        #expect(Set((1...6).map { experiment.workload(seed: $0).prefix(4).map(\.id) }).count > 1, "seeds shuffle differently")
    }

    @Test func curveNeverExceedsTheIdeal() throws {
        let run = try Self.experiment().run(seed: 1)
        #expect(run.placed + run.failed == run.pods)
        #expect(run.curve.map(\.arrivedPct) == OpenBExperiment.curvePoints)
        for (previous, point) in zip(run.curve, run.curve.dropFirst()) { #expect(point.allocatedPct >= previous.allocatedPct) }
        for point in run.curve { #expect(point.allocatedPct <= min(point.arrivedPct, 100) + 1e-9) }
    }

    static let shared = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../../shared/data/openb").standardized.path

    @Test(.enabled(if: FileManager.default.fileExists(atPath: shared + "/openb_pod_list_default.csv")))
    func realTraceLoadsAndResamplesTo130Percent() throws {
        let trace = try OpenBTrace.load(nodes: Self.shared + "/openb_node_list_gpu_node.csv", pods: Self.shared + "/openb_pod_list_default.csv")
        #expect(trace.nodes.count == 1_213)
        #expect(trace.gpuCapacityMilli == 6_212_000)
        #expect(trace.pods.count == 8_152)
        let experiment = OpenBExperiment(trace: trace, policy: try PolicyRegistry.policy(named: "best-fit", scan: .all))
        let total = experiment.workload(seed: 1).reduce(0) { $0 + $1.gpuMilliPerReplica }
        #expect(Double(total) <= 1.3 * 6_212_000 && Double(total) > 1.3 * 6_212_000 - 8_000)
    }
}
