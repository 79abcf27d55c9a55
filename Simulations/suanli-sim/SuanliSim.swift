import ArgumentParser

@main
struct SuanliSim: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "suanli-sim",
        abstract: "Capacity simulation and benchmarks on Suanli's placement core.",
        subcommands: [Bench.self])
}
