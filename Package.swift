// swift-tools-version: 6.1
import PackageDescription

let package = Package(
    name: "Suanli",
    platforms: [.macOS(.v15)],
    products: [
        .library(name: "Placement", targets: ["Placement"]),
        .executable(name: "suanli-sim", targets: ["suanli-sim"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-collections.git", from: "1.6.0"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/x-sheep/swift-property-based.git", from: "2.0.1"),
    ],
    targets: [
        // The pure placement core: the standard library and swift-collections only.
        .target(
            name: "Placement",
            dependencies: [.product(name: "Collections", package: "swift-collections")],
            path: "Scheduler/Placement"
        ),
        // The scheduler service (issue 3 grows it): so far its request lifecycle and node health.
        .target(
            name: "SchedulerService",
            dependencies: ["Placement"],
            path: "Scheduler/Service"
        ),
        // Synthetic city workloads and the benchmark, shared by the simulator CLI and its tests.
        .target(
            name: "Simulation",
            dependencies: ["Placement"],
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
            dependencies: ["SchedulerService", "Placement"],
            path: "Tests/SchedulerServiceTests"
        ),
        .testTarget(
            name: "SimulationTests",
            dependencies: ["Simulation", "Placement"],
            path: "Tests/SimulationTests"
        ),
    ],
    swiftLanguageModes: [.v6]
)
