import SchedulerService
import Testing

struct MeteringTests {
    static func sample(_ sequence: UInt64, node: String = "n1", request: String = "r1", tenant: String = "police", from: Double = 0, to: Double = 3_600, cpu: Double = 1) -> MeteringSample {
        MeteringSample(node: node, sequence: sequence, requestID: request, tenant: tenant, start: from, end: to, amounts: UsageAmounts(cpuCoreHours: cpu, gpuHours: cpu / 2))
    }

    @Test func aResentBatchIsTakenOnce() throws {
        var intake = MeteringIntake()
        let batch = [Self.sample(1), Self.sample(2, from: 3_600, to: 7_200)]
        #expect(try intake.take(batch) == batch)
        #expect(try intake.take(batch).isEmpty)
        #expect(intake.acknowledged(node: "n1") == 2)
    }

    @Test func outOfOrderSamplesAfterAReconnectAreTakenOnceEach() throws {
        var intake = MeteringIntake()
        #expect(try intake.take([Self.sample(1), Self.sample(3), Self.sample(5)]).count == 3)
        #expect(intake.acknowledged(node: "n1") == 1)
        #expect(try intake.take([Self.sample(2), Self.sample(3), Self.sample(4)]).map(\.sequence) == [2, 4])
        #expect(intake.acknowledged(node: "n1") == 5)
        // Numbers are per node: n2's first sample is new.
        #expect(try intake.take([Self.sample(1, node: "n2")]).count == 1)
        #expect(intake.contains(node: "n2", sequence: 1) && !intake.contains(node: "n2", sequence: 2))
    }

    static let ranges: [(Double, Double)] = [
        (0, 86_400 * 3), (1_800, 7_200), (10, 20), (3_599.5, 3_600.5), (86_000, 86_400 * 40 + 5), (-Double.infinity, Double.infinity), (5, 5),
    ]

    @Test("a range is read as whole days, whole hours and the parts of hours at its ends, covering it exactly once", arguments: ranges)
    func periods(from: Double, to: Double) {
        let periods = LedgerPeriods(from: from, to: to)
        let lower = max(from, 0), upper = min(to, Limits.latestTime)
        var covered = periods.months.reduce(0) { $0 + Double(CalendarMonth.firstDay(ofMonth: $1 + 1) - CalendarMonth.firstDay(ofMonth: $1)) * 86_400 }
        covered += periods.days.reduce(0) { $0 + Double($1.count) * 86_400 }
        covered += periods.hours.reduce(0) { $0 + Double($1.count) * 3_600 }
        covered += periods.partialHours.reduce(0) { $0 + ($1.to - $1.from) }
        #expect(abs(covered - max(0, upper - lower)) < 1e-6, "\(periods)")
        // Every partial hour is less than an hour, and it is in its hour.
        for part in periods.partialHours { #expect(part.to - part.from < 3_600 && LedgerPeriods.hour(of: part.from) == part.hour) }
        if from == 0, to == 86_400 * 3 { #expect(periods.months.isEmpty && periods.days == [0..<3] && periods.hours.isEmpty && periods.partialHours.isEmpty) }
        if from == 86_000, to == 86_400 * 40 + 5 {
            // 23:53 on 1 January to 00:00:05 on 10 February 1970: the rest of the 1st, January's
            // other 30 days as days (not the whole month), February's first nine.
            #expect(periods.months.isEmpty && periods.days == [1..<40] && periods.hours.isEmpty && periods.partialHours.count == 2)
        }
    }

    @Test("a calendar month is read from its monthly rollup; months, days and hours cover a year's range exactly once")
    func months() throws {
        let november = try CalendarMonth.range(of: "2026-11")
        let periods = LedgerPeriods(from: november.from, to: november.to)
        #expect(periods.months.count == 1 && periods.days.isEmpty && periods.hours.isEmpty && periods.partialHours.isEmpty)
        #expect(CalendarMonth.firstDay(ofMonth: periods.months.lowerBound) * 86_400 == Int64(november.from))
        for day: Int64 in [0, 31, 59, 365, 789, 20_758, 20_787, 40_000] {
            let month = CalendarMonth.month(ofDay: day)
            #expect(CalendarMonth.firstDay(ofMonth: month) <= day && day < CalendarMonth.firstDay(ofMonth: month + 1), "day \(day)")
        }
        let year = LedgerPeriods(from: november.from - 86_400 * 40 - 1_000, to: november.to + 86_400 * 70 + 10)
        // 22 September to 9 February: October to January whole, the rest of September and
        // February's first days as days.
        #expect(year.months.count == 4 && year.days.count == 2 && year.partialHours.count == 2)
    }

    @Test("a sample is cut at hour boundaries into pieces that add up to it")
    func pieces() {
        let sample = Self.sample(1, from: 1_800, to: 9_000, cpu: 2)
        let pieces = LedgerPeriods.pieces(of: sample)
        #expect(pieces.map(\.hour) == [0, 1, 2])
        #expect(pieces.map(\.sample.start) == [1_800, 3_600, 7_200] && pieces.map(\.sample.end) == [3_600, 7_200, 9_000])
        #expect(abs(pieces.reduce(0) { $0 + $1.sample.amounts.cpuCoreHours } - 2) < 1e-12)
        #expect(LedgerPeriods.pieces(of: Self.sample(2, from: 3_600, to: 7_200)).map(\.hour) == [1])
        #expect(LedgerPeriods.pieces(of: Self.sample(3, from: 100, to: 100)).map(\.hour) == [0])
    }

    @Test func pricesWeighEachKindOfUse() {
        let prices = UnitPrices(coreHour: 0.05, gpuHour: 2, storageGiBHour: 0.001, thousandAPICalls: 0.1)
        let usage = UsageAmounts(cpuCoreHours: 100, gpuHours: 3, storageGiBHours: 1_000, apiCalls: 10_000)
        let charges = prices.charges(for: usage)
        #expect(abs(charges.cpuCoreHours - 5) < 1e-9 && abs(charges.gpuHours - 6) < 1e-9 && abs(charges.apiCalls - 1) < 1e-9)
        #expect(abs(prices.charges(for: usage).total - (5 + 6 + 1 + 1)) < 1e-9)
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
    func calendarMonths() throws {
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
        var intake = MeteringIntake()
        let error = #expect(throws: MeteringError.self) { try intake.take([Self.malformed[i].sample]) }
        #expect(error?.field == Self.malformed[i].field)
        #expect(intake.acknowledged(node: Self.malformed[i].sample.node) == nil, "nothing of a refused batch is taken")
    }
}
