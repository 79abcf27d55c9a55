import Placement
import SchedulerService
import SuanliProto

extension Node {
    /// The node an agent describes; throws naming the field that is missing or unknown.
    init(_ info: Suanli_Agent_V1_NodeInfo) throws(ServiceError) {
        guard !info.id.isEmpty else { throw ServiceError.invalid("node.id", "required") }
        guard let nodeClass = NodeClass(rawValue: info.nodeClass) else {
            throw ServiceError.invalid("node.nodeClass", "must be general, ai, hpc or edge, got '\(info.nodeClass)'")
        }
        guard !info.site.isEmpty else { throw ServiceError.invalid("node.site", "required") }
        guard info.hasCapacity else { throw ServiceError.invalid("node.capacity", "required") }
        self.init(
            id: info.id, nodeClass: nodeClass, site: info.site, region: info.region,
            partition: info.partition.isEmpty ? "public" : info.partition, labels: info.labels,
            capacity: Resources(info.capacity), gpus: info.gpus.map { GPUDevice(model: $0.model, memoryMiB: $0.memoryMib) })
    }
}

extension Resources {
    init(_ message: Suanli_Agent_V1_Resources) {
        self.init(cpuMillis: message.cpuMillis, memoryMiB: message.memoryMib, diskGiB: message.diskGib, bandwidthMbps: message.bandwidthMbps)
    }
}

extension Suanli_Agent_V1_Resources {
    init(_ resources: Resources) {
        self.init()
        cpuMillis = resources.cpuMillis
        memoryMib = resources.memoryMiB
        diskGib = resources.diskGiB
        bandwidthMbps = resources.bandwidthMbps
    }
}

extension Suanli_Agent_V1_Assignment {
    init(_ command: AgentCommand) {
        self.init()
        switch command {
        case .sync(let workloads):
            var sync = Suanli_Agent_V1_SyncAssignments()
            sync.workloads = workloads.map(Suanli_Agent_V1_Workload.init)
            change = .sync(sync)
        case .start(let workload):
            var start = Suanli_Agent_V1_StartWorkload()
            start.workload = Suanli_Agent_V1_Workload(workload)
            change = .start(start)
        case .update(let workload):
            var update = Suanli_Agent_V1_UpdateWorkload()
            update.workload = Suanli_Agent_V1_Workload(workload)
            change = .update(update)
        case .stop(let id, let reason):
            var stop = Suanli_Agent_V1_StopWorkload()
            stop.workloadID = id
            stop.reason = reason
            change = .stop(stop)
        }
    }
}

extension Suanli_Agent_V1_Workload {
    init(_ workload: Workload) {
        self.init()
        id = workload.id
        requestID = workload.requestID
        replica = Int32(workload.replica)
        tenant = workload.tenant
        kind = workload.kind.rawValue
        resources = Suanli_Agent_V1_Resources(workload.assignment.resources)
        gpus = workload.assignment.gpus.map { share in
            var gpu = Suanli_Agent_V1_GPUShare()
            gpu.device = Int32(share.device)
            gpu.milli = share.milli
            return gpu
        }
        volumes = workload.assignment.volumes.map { assigned in
            var volume = Suanli_Agent_V1_Volume()
            volume.pool = assigned.poolID
            volume.sizeGib = assigned.sizeGiB
            return volume
        }
        if let spec = workload.spec { self.spec = Suanli_Agent_V1_WorkloadSpec(spec) }
        leaseEndsAt = workload.leaseEndsAt ?? 0
    }
}

extension Suanli_Agent_V1_WorkloadSpec {
    init(_ spec: WorkloadSpec) {
        self.init()
        restart = (spec.restart ?? .never).rawValue
        if let vm = spec.vm {
            var message = Suanli_Agent_V1_VirtualMachineSpec()
            message.image = vm.image ?? ""
            message.volume = vm.volume ?? ""
            message.network = vm.network ?? ""
            message.kernel = vm.kernel ?? ""
            message.initrd = vm.initrd ?? ""
            message.kernelArgs = vm.kernelArgs ?? ""
            runtime = .vm(message)
        } else if let service = spec.service {
            var message = Suanli_Agent_V1_ServiceSpec()
            message.command = service.command
            message.user = service.user ?? ""
            message.environment = service.environment ?? [:]
            message.tasksMax = service.tasksMax ?? 0
            runtime = .service(message)
        }
    }
}
