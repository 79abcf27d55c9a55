import Placement

/// What one unit of each kind of use costs, in the price list's currency.
public struct UnitPrices: Sendable, Hashable, Codable {
    public var coreHour: Double
    public var memoryGiBHour: Double
    public var gpuHour: Double
    public var storageGiBHour: Double
    public var mbpsHour: Double
    public var thousandAPICalls: Double

    public init(coreHour: Double = 0, memoryGiBHour: Double = 0, gpuHour: Double = 0, storageGiBHour: Double = 0, mbpsHour: Double = 0, thousandAPICalls: Double = 0) {
        self.coreHour = coreHour
        self.memoryGiBHour = memoryGiBHour
        self.gpuHour = gpuHour
        self.storageGiBHour = storageGiBHour
        self.mbpsHour = mbpsHour
        self.thousandAPICalls = thousandAPICalls
    }

    /// The price of one unit of each component of `UsageAmounts` (one core-hour, one API call).
    var perUnit: UsageAmounts {
        UsageAmounts(
            cpuCoreHours: coreHour, memoryGiBHours: memoryGiBHour, gpuHours: gpuHour, storageGiBHours: storageGiBHour,
            bandwidthMbpsHours: mbpsHour, apiCalls: thousandAPICalls / 1000)
    }

    /// What `usage` costs, per component.
    public func charges(for usage: UsageAmounts) -> UsageAmounts { UsageAmounts.combining(usage, perUnit, *) }

    /// What `usage` costs in all.
    public func charge(for usage: UsageAmounts) -> Double { charges(for: usage).total }
}

/// A deployment's prices: one list for every node class, and lists for the classes that cost
/// otherwise (a GPU center's core-hour is not a general cloud's).
public struct PriceList: Sendable, Hashable, Codable {
    /// The currency of every price and charge, as bills show it (`CNY`).
    public var currency: String
    public var standard: UnitPrices
    public var nodeClasses: [NodeClass: UnitPrices]

    public init(currency: String = "CNY", standard: UnitPrices = UnitPrices(), nodeClasses: [NodeClass: UnitPrices] = [:]) {
        self.currency = currency
        self.standard = standard
        self.nodeClasses = nodeClasses
    }

    /// The prices of use on a node of `nodeClass`; the standard list for use on no node (API
    /// calls) or on a node no longer known.
    public func prices(for nodeClass: NodeClass?) -> UnitPrices {
        nodeClass.flatMap { nodeClasses[$0] } ?? standard
    }
}
