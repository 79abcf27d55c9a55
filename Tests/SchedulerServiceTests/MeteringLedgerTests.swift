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

    @Test func billingWeighsEachKindOfUse() {
        let weights = BillingWeights(perCoreHour: 0.05, perGPUHour: 2, perStorageGiBHour: 0.001, perAPICall: 0.0001)
        let usage = UsageAmounts(cpuCoreHours: 100, gpuHours: 3, storageGiBHours: 1_000, apiCalls: 10_000)
        #expect(abs(weights.charge(for: usage) - (5 + 6 + 1 + 1)) < 1e-9)
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
