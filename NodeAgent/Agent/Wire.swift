import SuanliProto
import WorkloadDriver

extension WorkloadDefinition {
    /// The workload the scheduler assigned, or nil when it only reserves capacity (no runtime
    /// spec): such a workload has nothing to run on the node.
    init?(_ message: Suanli_Agent_V1_Workload) {
        let runtime: Runtime
        switch message.spec.runtime {
        case .vm(let vm):
            runtime = .virtualMachine(VirtualMachine(
                image: vm.image, volume: vm.volume.isEmpty ? nil : vm.volume, network: vm.network, kernel: vm.kernel, initrd: vm.initrd,
                kernelArguments: vm.kernelArgs))
        case .service(let service):
            runtime = .service(Service(command: service.command, user: service.user, environment: service.environment, tasksMax: service.tasksMax))
        case nil:
            return nil
        }
        self.init(
            id: message.id, tenant: message.tenant, cpuMillis: message.resources.cpuMillis, memoryMiB: message.resources.memoryMib,
            diskGiB: message.resources.diskGib + message.volumes.reduce(0) { $0 + $1.sizeGib }, bandwidthMbps: message.resources.bandwidthMbps,
            gpuMillis: Dictionary(message.gpus.map { ($0.device, $0.milli) }, uniquingKeysWith: +),
            runtime: runtime, restart: RestartPolicy(rawValue: message.spec.restart) ?? .never,
            leaseEndsAt: message.leaseEndsAt > 0 ? message.leaseEndsAt : nil)
    }
}

extension AssignmentChange {
    /// The change an assignment message asks for; nil for an empty message or a workload with
    /// nothing to run.
    init?(_ assignment: Suanli_Agent_V1_Assignment) {
        switch assignment.change {
        case .sync(let sync): self = .sync(sync.workloads.compactMap(WorkloadDefinition.init))
        case .start(let start):
            guard let definition = WorkloadDefinition(start.workload) else { return nil }
            self = .start(definition)
        case .update(let update):
            guard let definition = WorkloadDefinition(update.workload) else { return nil }
            self = .update(definition)
        case .stop(let stop): self = .stop(id: stop.workloadID)
        case nil: return nil
        }
    }
}

extension Suanli_Agent_V1_WorkloadStatus.State {
    init(_ state: WorkloadReportState) {
        switch state {
        case .accepted: self = .accepted
        case .running: self = .running
        case .stopped: self = .stopped
        case .failed: self = .failed
        }
    }
}
