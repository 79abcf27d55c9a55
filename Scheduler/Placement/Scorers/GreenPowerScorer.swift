/// Prefers nodes powered by renewable energy, then nodes that draw less power per busy core.
public struct GreenPowerScorer: PlacementScorer {
    public var name: String { "green-power" }
    /// Power per busy core that scores 0 on the efficiency part.
    public var referenceWattsPerCore: Double

    public init(referenceWattsPerCore: Double = 20) {
        self.referenceWattsPerCore = referenceWattsPerCore
    }

    public func score(node: Int, in context: PlacementContext) -> Double {
        let energy = context.state.table.energy[node]
        let efficiency = max(0, 1 - energy.wattsPerBusyCore / referenceWattsPerCore)
        return 0.8 * min(max(energy.greenShare, 0), 1) + 0.2 * efficiency
    }
}
