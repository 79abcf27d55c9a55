import SchedulerService
import Testing

struct MeteringLedgerTests {
    static func sample(_ sequence: UInt64, node: String = "n1", request: String = "r1", tenant: String = "police", from: Double = 0, to: Double = 3_600, cpu: Double = 1) -> MeteringSample {
        MeteringSample(node: node, sequence: sequence, requestID: request, tenant: tenant, start: from, end: to, amounts: UsageAmounts(cpuCoreHours: cpu, gpuHours: cpu / 2))
    }

    @Test func aResentBatchIsCountedOnce() throws {
        var ledger = MeteringLedger()
        let batch = [Self.sample(1), Self.sample(2, from: 3_600, to: 7_200)]
        #expect(try ledger.record(batch) == 2)
        #expect(try ledger.record(batch) == 0)
        #expect(ledger.usage(UsageQuery(requestID: "r1")).cpuCoreHours == 2)
        #expect(ledger.acknowledged(node: "n1") == 2)
    }

    @Test func outOfOrderSamplesAfterAReconnectAreTakenOnceEach() throws {
        var ledger = MeteringLedger()
        try ledger.record([Self.sample(1), Self.sample(3), Self.sample(5)])
        #expect(ledger.acknowledged(node: "n1") == 1)
        try ledger.record([Self.sample(2), Self.sample(3), Self.sample(4)])
        #expect(ledger.acknowledged(node: "n1") == 5)
        #expect(ledger.samples.count == 5)
        // Numbers are per node: n2's first sample is new.
        #expect(try ledger.record([Self.sample(1, node: "n2")]) == 1)
        #expect(ledger.contains(node: "n2", sequence: 1) && !ledger.contains(node: "n2", sequence: 2))
    }

    @Test func queriesFilterAndProrateAtTheRangeEdges() throws {
        var ledger = MeteringLedger()
        try ledger.record([
            Self.sample(1, request: "r1", tenant: "police", from: 0, to: 3_600, cpu: 4),
            Self.sample(2, request: "r2", tenant: "water", from: 0, to: 3_600, cpu: 2),
            Self.sample(1, node: "n2", request: "r1", tenant: "police", from: 3_600, to: 7_200, cpu: 4),
        ])
        #expect(ledger.usage(UsageQuery(tenant: "police")).cpuCoreHours == 8)
        #expect(ledger.usage(UsageQuery(node: "n1")).cpuCoreHours == 6)
        #expect(ledger.usage(UsageQuery(requestID: "r1", node: "n2")).gpuHours == 2)
        // Half of the first hour and all of the second.
        #expect(ledger.usage(UsageQuery(tenant: "police", from: 1_800, to: 7_200)).cpuCoreHours == 6)
        #expect(ledger.usage(UsageQuery(from: 7_200, to: 9_000)).cpuCoreHours == 0)
    }

    @Test func pricesWeighEachKindOfUse() {
        let prices = UnitPrices(coreHour: 0.05, gpuHour: 2, storageGiBHour: 0.001, thousandAPICalls: 0.1)
        let usage = UsageAmounts(cpuCoreHours: 100, gpuHours: 3, storageGiBHours: 1_000, apiCalls: 10_000)
        let charges = prices.charges(for: usage)
        #expect(abs(charges.cpuCoreHours - 5) < 1e-9 && abs(charges.gpuHours - 6) < 1e-9 && abs(charges.apiCalls - 1) < 1e-9)
        #expect(abs(prices.charge(for: usage) - (5 + 6 + 1 + 1)) < 1e-9)
        let list = PriceList(standard: prices, nodeClasses: [.ai: UnitPrices(coreHour: 0.2)])
        #expect(list.prices(for: .ai).coreHour == 0.2 && list.prices(for: .general) == prices && list.prices(for: nil) == prices)
    }

    @Test("a sample above what its allocation could use is named, within the slack it is not")
    func excess() {
        let hour = UsageAmounts(cpuCoreHours: 1, memoryGiBHours: 0.125, gpuHours: 1)
        // 60 s of one core: 60 core-seconds, and the clocks' slack.
        #expect(Self.sample(1, from: 0, to: 60, cpu: 62.0 / 3600).excess(over: hour) == nil)
        // The 498,872 core-hours of a first reading counted from zero.
        let counter = Self.sample(1, from: 0, to: 60, cpu: 498_872)
        #expect(counter.excess(over: hour)?.hasPrefix("cpuCoreHours 498872.0 in 60.0 s is more than 1.0 cores could use") == true)
        var memory = Self.sample(1, from: 0, to: 3600, cpu: 0)
        memory.amounts.memoryGiBHours = 1
        #expect(memory.excess(over: hour)?.hasPrefix("memoryGiBHours") == true)
    }

    @Test("calendar months in UTC, leap years included")
    func months() throws {
        let january1970 = try CalendarMonth.range(of: "1970-01")
        #expect(january1970.from == 0 && january1970.to == 31 * 86_400)
        let november = try CalendarMonth.range(of: "2026-11")
        #expect(november.from == 1_793_491_200 && november.to == 1_796_083_200)
        let february = try CalendarMonth.range(of: "2028-02")
        #expect(february.to - february.from == 29 * 86_400)
        #expect(try CalendarMonth.range(of: "2026-12").to == CalendarMonth.range(of: "2027-01").from)
        let error = #expect(throws: ServiceError.self) { try CalendarMonth.range(of: "2026-13") }
        #expect(error?.field == "month")
    }

    static let malformed: [(sample: MeteringSample, field: String)] = [
        (sample(0), "samples[0].sequence"),
        (MeteringSample(node: "", sequence: 1, requestID: "r", tenant: "t", start: 0, end: 1, amounts: UsageAmounts()), "samples[0].node"),
        (MeteringSample(node: "n", sequence: 1, requestID: "", tenant: "t", start: 0, end: 1, amounts: UsageAmounts()), "samples[0].requestID"),
        (sample(1, from: 10, to: 5), "samples[0].end"),
        (sample(1, cpu: -1), "samples[0].amounts.cpuCoreHours"),
        (sample(1, cpu: .nan), "samples[0].amounts.cpuCoreHours"),
    ]

    @Test(arguments: malformed.indices)
    func malformedSamplesRejectTheBatchNamingTheField(_ i: Int) {
        var ledger = MeteringLedger()
        do {
            try ledger.record([Self.malformed[i].sample])
            Issue.record("expected an error")
        } catch {
            #expect(error.field == Self.malformed[i].field)
        }
        #expect(ledger.samples.isEmpty)
    }
}
