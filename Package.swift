// swift-tools-version: 6.1
import PackageDescription

let package = Package(
    name: "Suanli",
    platforms: [.macOS(.v15)],
    products: [
        .library(name: "Placement", targets: ["Placement"]),
        .executable(name: "suanli-sim", targets: ["suanli-sim"]),
        .executable(name: "suanli-scheduler", targets: ["suanli-scheduler"]),
        .executable(name: "suanli-agent", targets: ["suanli-agent"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-collections.git", from: "1.6.0"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/x-sheep/swift-property-based.git", from: "2.0.1"),
        .package(url: "https://github.com/groue/GRDB.swift.git", from: "7.10.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-crypto.git", from: "3.12.3"),
        .package(url: "https://github.com/apple/swift-http-types.git", from: "1.8.0"),
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
        .package(url: "https://github.com/apple/swift-protobuf.git", from: "1.39.0"),
        .package(url: "https://github.com/grpc/grpc-swift-2.git", from: "2.4.3"),
        .package(url: "https://github.com/grpc/grpc-swift-protobuf.git", from: "2.4.1"),
        .package(url: "https://github.com/grpc/grpc-swift-nio-transport.git", from: "2.9.2"),
        .package(url: "https://github.com/jpsim/Yams.git", from: "6.2.2"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-extras.git", from: "1.35.2"),
        .package(url: "https://github.com/apple/swift-nio-http2.git", from: "1.46.0"),
        .package(url: "https://github.com/hummingbird-project/swift-mustache.git", from: "2.1.1"),
        .package(url: "https://github.com/hummingbird-project/hummingbird-auth.git", from: "2.5.0"),
        .package(url: "https://github.com/vapor/postgres-nio.git", from: "1.33.2"),
    ],
    targets: [
        // The pure placement core: the standard library and swift-collections only.
        .target(
            name: "Placement",
            dependencies: [.product(name: "Collections", package: "swift-collections")],
            path: "Scheduler/Placement"
        ),
        // The scheduler service: request lifecycle, node health, metering, authorization, the
        // placement loop with its single applier, and the store protocol. No I/O of its own.
        .target(
            name: "SchedulerService",
            dependencies: [
                "Placement",
                .product(name: "Collections", package: "swift-collections"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "HummingbirdBcrypt", package: "hummingbird-auth"),
            ],
            path: "Scheduler/Service"
        ),
        // Line charts as SVG text, drawn by the simulator's reports and the portal alike.
        .target(name: "SVGCharts", path: "Scheduler/Charts"),
        // The durable store on embedded SQLite (GRDB, WAL). The only module that imports GRDB.
        .target(
            name: "SchedulerSQLite",
            dependencies: ["SchedulerService", .product(name: "GRDB", package: "GRDB.swift"), .product(name: "GRDBSQLite", package: "GRDB.swift")],
            path: "Scheduler/Store/SQLite"
        ),
        // The store on PostgreSQL (postgres-nio's pooled client) for several schedulers over one
        // database: the same schema and conformance suite, and the leader's lease with its fencing
        // epoch, checked by every write. The only module that imports PostgresNIO.
        .target(
            name: "SchedulerPostgres",
            dependencies: [
                "SchedulerService",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Scheduler/Store/PostgreSQL"
        ),
        // Inbound connections of both servers under one cap below the descriptor limit: eviction of
        // the longest-idle connection, request and handshake deadlines, a pause when descriptors
        // run out (SwiftNIO channel handlers).
        .target(
            name: "SchedulerConnections",
            dependencies: [
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
                .product(name: "NIOHTTP2", package: "swift-nio-http2"),
                .product(name: "GRPCNIOTransportHTTP2", package: "grpc-swift-nio-transport"),
                .product(name: "Collections", package: "swift-collections"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            path: "Scheduler/Connections"
        ),
        // The HTTP/JSON API (Hummingbird) and its OpenAPI document, and the web portal beside it:
        // pages rendered on the server from Mustache templates, which are compiled into the binary
        // with the portal's stylesheet and script.
        .target(
            name: "SchedulerHTTP",
            dependencies: [
                "SchedulerService",
                "Placement",
                "SVGCharts",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Mustache", package: "swift-mustache"),
            ],
            path: "Scheduler/HTTP",
            exclude: ["openapi.json"],
            resources: [.embedInCode("Portal/Templates"), .embedInCode("Portal/Assets")]
        ),
        // The protobuf/gRPC contract between the scheduler and node agents: the .proto files and
        // the Swift code generated from them by scripts/generate-proto (committed).
        .target(
            name: "SuanliProto",
            dependencies: [
                .product(name: "SwiftProtobuf", package: "swift-protobuf"),
                .product(name: "GRPCCore", package: "grpc-swift-2"),
                .product(name: "GRPCProtobuf", package: "grpc-swift-protobuf"),
            ],
            path: "Proto",
            exclude: ["suanli", "README.md"]
        ),
        // The gRPC service for node agents over HTTP/2 (grpc-swift 2).
        .target(
            name: "SchedulerGRPC",
            dependencies: [
                "SchedulerService",
                "SuanliProto",
                "Placement",
                .product(name: "GRPCCore", package: "grpc-swift-2"),
                .product(name: "GRPCNIOTransportHTTP2", package: "grpc-swift-nio-transport"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Scheduler/GRPC"
        ),
        // The scheduler binary: configuration, logging and one ServiceGroup.
        .executableTarget(
            name: "suanli-scheduler",
            dependencies: [
                "SchedulerService",
                "SchedulerSQLite",
                "SchedulerPostgres",
                "SchedulerHTTP",
                "SchedulerGRPC",
                "SchedulerConnections",
                "Placement",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "HummingbirdTLS", package: "hummingbird"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            path: "Scheduler/suanli-scheduler"
        ),
        // The node agent. C libraries each behind one module: libvirt (virtual machines) and
        // libsystemd's sd-bus (services); the agent core sees only the driver protocol.
        .systemLibrary(name: "CLibvirt", path: "NodeAgent/CLibvirt", pkgConfig: "libvirt", providers: [.apt(["libvirt-dev"])]),
        .systemLibrary(name: "CSystemd", path: "NodeAgent/CSystemd", pkgConfig: "libsystemd", providers: [.apt(["libsystemd-dev"])]),
        .target(name: "WorkloadDriver", path: "NodeAgent/Driver"),
        .target(name: "LibvirtDriver", dependencies: ["CLibvirt", "WorkloadDriver"], path: "NodeAgent/Libvirt"),
        .target(name: "SystemdDriver", dependencies: ["CSystemd", "WorkloadDriver"], path: "NodeAgent/Systemd"),
        // Desired state, reconciliation, metering buffer, inventory and the scheduler link.
        .target(
            name: "NodeAgent",
            dependencies: [
                "WorkloadDriver",
                "SuanliProto",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "GRPCCore", package: "grpc-swift-2"),
                .product(name: "GRPCNIOTransportHTTP2", package: "grpc-swift-nio-transport"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "NodeAgent/Agent"
        ),
        .executableTarget(
            name: "suanli-agent",
            dependencies: [
                "NodeAgent",
                "WorkloadDriver",
                "LibvirtDriver",
                "SystemdDriver",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            path: "NodeAgent/suanli-agent"
        ),
        // Scenarios, traces, the discrete-event simulation, reports and the benchmark, shared by
        // the simulator CLI and its tests.
        .target(
            name: "Simulation",
            dependencies: [
                "Placement",
                "SVGCharts",
                .product(name: "Collections", package: "swift-collections"),
                .product(name: "Yams", package: "Yams"),
            ],
            path: "Simulations/Simulation"
        ),
        .executableTarget(
            name: "suanli-sim",
            dependencies: [
                "Simulation",
                "Placement",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            path: "Simulations/suanli-sim"
        ),
        // Helpers the test targets share: the real scheduler in a child process, temporary folders.
        .target(name: "SuanliTestSupport", path: "Tests/Support"),
        .testTarget(
            name: "PlacementTests",
            dependencies: [
                "Placement",
                .product(name: "PropertyBased", package: "swift-property-based"),
            ],
            path: "Tests/PlacementTests"
        ),
        .testTarget(
            name: "SchedulerServiceTests",
            dependencies: [
                "SchedulerService",
                "SchedulerSQLite",
                "SchedulerPostgres",
                "SchedulerHTTP",
                "SchedulerGRPC",
                "SuanliProto",
                "SuanliTestSupport",
                "Placement",
                .product(name: "PropertyBased", package: "swift-property-based"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "GRPCCore", package: "grpc-swift-2"),
                .product(name: "GRPCNIOTransportHTTP2", package: "grpc-swift-nio-transport"),
            ],
            path: "Tests/SchedulerServiceTests"
        ),
        .testTarget(
            name: "NodeAgentTests",
            dependencies: [
                "NodeAgent",
                "WorkloadDriver",
                "LibvirtDriver",
                "SystemdDriver",
                "SuanliProto",
                "SuanliTestSupport",
                "SchedulerService",
                .product(name: "GRPCCore", package: "grpc-swift-2"),
                .product(name: "Hummingbird", package: "hummingbird"),
            ],
            path: "Tests/NodeAgentTests"
        ),
        .testTarget(
            name: "SimulationTests",
            dependencies: ["Simulation", "Placement"],
            path: "Tests/SimulationTests"
        ),
    ],
    swiftLanguageModes: [.v6]
)
