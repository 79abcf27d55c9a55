import Foundation

/// What the host offers, read from /proc, statfs and a GPU source.
public struct HostInventory: Sendable, Equatable {
    public var cpus: Int
    public var memoryMiB: Int64
    /// Size of the file system holding the agent's data directory.
    public var diskGiB: Int64
    public var gpus: [DetectedGPU]

    /// Reads the host. `procRoot` is `/proc` but for tests.
    public static func read(procRoot: String = "/proc", dataDirectory: URL, gpuSource: any GPUSource) throws -> HostInventory {
        let cpuinfo = try String(contentsOfFile: procRoot + "/cpuinfo", encoding: .utf8)
        let processors = cpuinfo.split(separator: "\n").filter { $0.hasPrefix("processor") }.count
        let meminfo = try String(contentsOfFile: procRoot + "/meminfo", encoding: .utf8)
        guard let total = meminfo.split(separator: "\n").first(where: { $0.hasPrefix("MemTotal:") }),
              let kib = Int64(total.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first ?? "") else {
            throw InventoryError("\(procRoot)/meminfo has no MemTotal line")
        }
        // statfs(2) of the file system that holds the data directory.
        let fileSystem = try FileManager.default.attributesOfFileSystem(forPath: dataDirectory.path)
        let bytes = (fileSystem[.systemSize] as? NSNumber)?.int64Value ?? 0
        return HostInventory(
            cpus: processors > 0 ? processors : ProcessInfo.processInfo.activeProcessorCount,
            memoryMiB: kib / 1024, diskGiB: bytes >> 30, gpus: try gpuSource.gpus())
    }
}

public struct InventoryError: Error, CustomStringConvertible, Equatable {
    public var description: String
    public init(_ description: String) { self.description = description }
}

/// One GPU found on the host.
public struct DetectedGPU: Sendable, Equatable {
    public var model: String
    public var memoryMiB: Int64

    public init(model: String, memoryMiB: Int64) {
        self.model = model
        self.memoryMiB = memoryMiB
    }
}

/// Where the agent learns the host's GPUs.
public protocol GPUSource: Sendable {
    func gpus() throws -> [DetectedGPU]
}

/// NVIDIA GPUs as `nvidia-smi --query-gpu=name,memory.total --format=csv,noheader,nounits`
/// lists them. The command is configurable (tests give a script); a host without the command
/// has no GPUs.
public struct NvidiaSMI: GPUSource {
    public static let defaultCommand = ["nvidia-smi", "--query-gpu=name,memory.total", "--format=csv,noheader,nounits"]
    public var command: [String]

    public init(command: [String] = NvidiaSMI.defaultCommand) {
        self.command = command
    }

    public func gpus() throws -> [DetectedGPU] {
        guard let program = command.first, let path = Self.locate(program) else { return [] }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = Array(command.dropFirst())
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw InventoryError("\(program) exited with status \(process.terminationStatus)")
        }
        return try Self.parse(String(decoding: data, as: UTF8.self), source: program)
    }

    /// Parses `name, memory MiB` lines; names the line that does not parse.
    static func parse(_ text: String, source: String) throws -> [DetectedGPU] {
        var gpus: [DetectedGPU] = []
        for (number, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if trimmed.isEmpty { continue }
            let fields = trimmed.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
            guard fields.count >= 2, !fields[0].isEmpty, let memory = Int64(fields[1]) else {
                throw InventoryError("\(source) line \(number + 1): expected 'name, memory MiB', got '\(trimmed)'")
            }
            gpus.append(DetectedGPU(model: fields[0], memoryMiB: memory))
        }
        return gpus
    }

    private static func locate(_ program: String) -> String? {
        if program.contains("/") { return FileManager.default.isExecutableFile(atPath: program) ? program : nil }
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        return path.split(separator: ":").map { "\($0)/\(program)" }.first { FileManager.default.isExecutableFile(atPath: $0) }
    }
}
