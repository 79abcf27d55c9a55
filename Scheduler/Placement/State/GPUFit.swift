/// Which physical GPUs of a node can take a GPU request. Shared by the GPU filter, the scorers that
/// look at the GPU state after a placement, preemption and the commit re-check, so all agree.
public enum GPUFit {
    /// Whether device `d` is of an allowed model (empty: any) with enough device memory.
    @inlinable
    static func eligible(_ d: Int, models: UnsafeBufferPointer<Int32>, memory: UnsafeBufferPointer<Int64>, allowed: [Int32], minMemoryMiB: Int64) -> Bool {
        (allowed.isEmpty || allowed.contains(models[d])) && memory[d] >= minMemoryMiB
    }

    /// Devices that could take one GPU of the request regardless of how busy they are.
    static func eligibleDeviceCount(_ request: GPURequest, allowed: [Int32], models: UnsafeBufferPointer<Int32>, memory: UnsafeBufferPointer<Int64>) -> Int {
        var count = 0
        for d in 0..<models.count where eligible(d, models: models, memory: memory, allowed: allowed, minMemoryMiB: request.minMemoryMiB) {
            count += 1
        }
        return count
    }

    /// Whether `count` distinct eligible devices each have `milliPerGPU` free.
    static func fits(_ request: GPURequest, allowed: [Int32], free: UnsafeBufferPointer<Int32>, models: UnsafeBufferPointer<Int32>, memory: UnsafeBufferPointer<Int64>) -> Bool {
        var found = 0
        for d in 0..<free.count
        where free[d] >= request.milliPerGPU
            && eligible(d, models: models, memory: memory, allowed: allowed, minMemoryMiB: request.minMemoryMiB)
        {
            found += 1
            if found == request.count { return true }
        }
        return request.count == 0
    }

    /// The devices to take: for each GPU needed, the eligible device with the LEAST free share that
    /// still fits (best fit keeps whole GPUs whole); ties go to the lower index. Nil when it does not fit.
    static func assign(_ request: GPURequest, allowed: [Int32], free: UnsafeBufferPointer<Int32>, models: UnsafeBufferPointer<Int32>, memory: UnsafeBufferPointer<Int64>) -> [GPUShare]? {
        var taken: [GPUShare] = []
        taken.reserveCapacity(request.count)
        for _ in 0..<request.count {
            var best = -1
            for d in 0..<free.count
            where free[d] >= request.milliPerGPU
                && eligible(d, models: models, memory: memory, allowed: allowed, minMemoryMiB: request.minMemoryMiB)
                && !taken.contains(where: { $0.device == d })
                && (best < 0 || free[d] < free[best])
            {
                best = d
            }
            guard best >= 0 else { return nil }
            taken.append(GPUShare(device: best, milli: request.milliPerGPU))
        }
        return taken
    }
}
