import ArgumentParser

@main
struct SuanliSim: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "suanli-sim",
        abstract: "Capacity simulation and benchmarks on Suanli's placement core.",
        subcommands: [Run.self, Capacity.self, Compare.self, OpenB.self, Bench.self, Pack.self])
}
