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

    /// What `usage` costs, per component (`.total`: in all).
    public func charges(for usage: UsageAmounts) -> UsageAmounts { UsageAmounts.combining(usage, perUnit, *) }
}

/// A deployment's prices: one list for every node class, and lists for the classes that cost
/// otherwise (a GPU center's core-hour is not a general cloud's).
public struct PriceList: Sendable, Hashable, Codable {
    /// The currency of every price and charge, as bills show it (`CNY`).
    public var currency: String
    /// The basis a bill's amount due is on: what was held (the default: a reservation is paid
    /// for whether used or not) or what was measured. Bills show both.
    public var basis: MeteringBasis
    public var standard: UnitPrices
    public var nodeClasses: [NodeClass: UnitPrices]

    public init(currency: String = "CNY", basis: MeteringBasis = .allocated, standard: UnitPrices = UnitPrices(), nodeClasses: [NodeClass: UnitPrices] = [:]) {
        self.currency = currency
        self.basis = basis
        self.standard = standard
        self.nodeClasses = nodeClasses
    }

    /// The greatest price of one unit, and the greatest budget.
    public static let maxAmount = 1e12

    /// The prices of use on a node of `nodeClass`; the standard list for use on no node (API
    /// calls) or on a node no longer known.
    public func prices(for nodeClass: NodeClass?) -> UnitPrices {
        nodeClass.flatMap { nodeClasses[$0] } ?? standard
    }
}

/// A price list and the moment it takes effect.
public struct PriceVersion: Sendable, Hashable, Codable {
    public var effectiveFrom: Double
    public var list: PriceList
    public var publishedAt: Double
    public var publishedBy: String

    public init(effectiveFrom: Double, list: PriceList, publishedAt: Double, publishedBy: String) {
        self.effectiveFrom = effectiveFrom
        self.list = list
        self.publishedAt = publishedAt
        self.publishedBy = publishedBy
    }
}

/// The price lists over time, each in effect from its moment until the next one's. A list never
/// takes effect before it is published and is never changed once published, so a bill, once
/// seen, stays as it was; one currency throughout, so that bills add up.
public struct PriceHistory: Sendable, Hashable {
    /// By effective moment.
    public private(set) var versions: [PriceVersion]

    public init(_ versions: [PriceVersion] = []) {
        self.versions = versions.sorted { $0.effectiveFrom < $1.effectiveFrom }
    }

    /// The list in effect at `time`; before the first, no prices (everything at 0).
    public func list(at time: Double) -> PriceList {
        versions.last { $0.effectiveFrom <= time }?.list ?? versions.first.map { PriceList(currency: $0.list.currency, basis: $0.list.basis) } ?? PriceList()
    }

    /// The lists in effect over `[from, to)`, each with the part of the range it covers.
    public func periods(from: Double, to: Double) -> [(from: Double, to: Double, list: PriceList)] {
        guard to > from else { return [] }
        var bounds = [from] + versions.map(\.effectiveFrom).filter { $0 > from && $0 < to } + [to]
        bounds = bounds.sorted()
        return zip(bounds, bounds.dropFirst()).map { ($0, $1, list(at: $0)) }
    }

    /// Why `version` cannot join these lists at `now`, or nil: it may not take effect before it is
    /// published, nor at the moment another list does, nor change the currency. (Between two
    /// lists is fine: one published for later still takes effect then.)
    public func refusal(of version: PriceVersion, at now: Double) -> ServiceError? {
        if version.effectiveFrom < now - Self.clockTolerance {
            return ServiceError.unprocessable("effectiveFrom", "prices are never retroactive: a list takes effect now or later, not at \(version.effectiveFrom) (now is \(now))")
        }
        if versions.contains(where: { $0.effectiveFrom == version.effectiveFrom }) {
            return ServiceError.unprocessable("effectiveFrom", "a list takes effect at \(version.effectiveFrom) already")
        }
        if let currency = versions.last?.list.currency, currency != version.list.currency {
            return ServiceError.unprocessable("currency", "bills are in \(currency): a list in \(version.list.currency) cannot follow")
        }
        return nil
    }

    /// How far in the past a new list's moment may be, for the clocks of whoever publishes it.
    static let clockTolerance = 60.0

    mutating func publish(_ version: PriceVersion) {
        versions.insert(version, at: versions.firstIndex { $0.effectiveFrom > version.effectiveFrom } ?? versions.endIndex)
    }
}

/// A price list as the configuration file and the API write it: the currency, the basis, the
/// standard unit prices, and per node class the prices that differ from them.
/// `{"currency": "CNY", "coreHour": 0.12, "nodeClasses": {"ai": {"gpuHour": 9}}}`.
public struct PriceListSpec: Sendable, Hashable, Decodable {
    public var currency: String?
    public var basis: MeteringBasis?
    public var coreHour: Double?
    public var memoryGiBHour: Double?
    public var gpuHour: Double?
    public var storageGiBHour: Double?
    public var mbpsHour: Double?
    public var thousandAPICalls: Double?
    public var nodeClasses: [String: UnitPricesSpec]?

    /// The unit prices of a node class: those left out are the standard ones.
    public struct UnitPricesSpec: Sendable, Hashable, Decodable {
        public var coreHour: Double?
        public var memoryGiBHour: Double?
        public var gpuHour: Double?
        public var storageGiBHour: Double?
        public var mbpsHour: Double?
        public var thousandAPICalls: Double?

        func prices(over base: UnitPrices, field prefix: String) throws(ServiceError) -> UnitPrices {
            var prices = base
            let given: [(String, Double?, WritableKeyPath<UnitPrices, Double>)] = [
                ("coreHour", coreHour, \.coreHour), ("memoryGiBHour", memoryGiBHour, \.memoryGiBHour), ("gpuHour", gpuHour, \.gpuHour),
                ("storageGiBHour", storageGiBHour, \.storageGiBHour), ("mbpsHour", mbpsHour, \.mbpsHour), ("thousandAPICalls", thousandAPICalls, \.thousandAPICalls),
            ]
            for (key, value, keyPath) in given {
                guard let value else { continue }
                guard value.isFinite, (0...PriceList.maxAmount).contains(value) else {
                    throw ServiceError.invalid(prefix + key, "must be a price between 0 and \(Int(PriceList.maxAmount)) per unit, got \(value)")
                }
                prices[keyPath: keyPath] = value
            }
            return prices
        }
    }

    /// The list, checked: at least one price named (a list of nothing but zeros is written out),
    /// every price in range, every node class known, the currency a code.
    public func priceList(field prefix: String = "") throws(ServiceError) -> PriceList {
        let named = [coreHour, memoryGiBHour, gpuHour, storageGiBHour, mbpsHour, thousandAPICalls].contains { $0 != nil } || nodeClasses?.isEmpty == false
        guard named else {
            throw ServiceError.unprocessable(
                prefix.isEmpty ? "prices" : String(prefix.dropLast()),
                "names no price: every price would be 0 (write \"coreHour\": 0 and the others to publish a free list)")
        }
        var list = PriceList()
        if let currency {
            guard (1...16).contains(currency.count), currency.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber) }) else {
                throw ServiceError.invalid(prefix + "currency", "must be 1 to 16 letters or digits, such as CNY")
            }
            // ISO 4217 codes are upper case: `cny` is CNY.
            list.currency = currency.uppercased()
        }
        if let basis { list.basis = basis }
        let standard = UnitPricesSpec(
            coreHour: coreHour, memoryGiBHour: memoryGiBHour, gpuHour: gpuHour, storageGiBHour: storageGiBHour, mbpsHour: mbpsHour,
            thousandAPICalls: thousandAPICalls)
        list.standard = try standard.prices(over: UnitPrices(), field: prefix)
        for (name, spec) in (nodeClasses ?? [:]).sorted(by: { $0.key < $1.key }) {
            guard let nodeClass = NodeClass(rawValue: name) else {
                throw ServiceError.invalid(prefix + "nodeClasses.\(name)", "not a node class: one of \(NodeClass.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            list.nodeClasses[nodeClass] = try spec.prices(over: list.standard, field: prefix + "nodeClasses.\(name).")
        }
        return list
    }
}
