/// How the ledger answers for a time range: whole calendar months from its monthly rollups,
/// whole days from its daily ones, whole hours from its hourly ones, and the parts of hours at
/// either end from the samples of those hours, prorated. A month's bill reads one row per
/// request and node, however many samples it had.
public struct LedgerPeriods: Sendable, Hashable {
    /// Whole calendar months inside the range (UTC), numbered from 1970-01.
    public var months: Range<Int64> = 0..<0
    /// Whole days inside the range and outside `months`, numbered from 1970-01-01: at most two
    /// runs.
    public var days: [Range<Int64>] = []
    /// Whole hours inside the range and outside the days, numbered from 1970: at most two runs.
    public var hours: [Range<Int64>] = []
    /// The parts of hours at either end: at most two.
    public var partialHours: [PartialHour] = []

    public struct PartialHour: Sendable, Hashable {
        public var hour: Int64
        public var from: Double
        public var to: Double
    }

    public static let secondsPerHour: Double = 3600
    public static let hoursPerDay: Int64 = 24

    /// The periods of `[from, to)`, within what the ledger can hold (1970 to `Limits.latestTime`).
    public init(from: Double, to: Double) {
        let from = min(max(from, 0), Limits.latestTime), to = min(max(to, 0), Limits.latestTime)
        guard to > from else { return }
        let firstWhole = Int64((from / Self.secondsPerHour).rounded(.up)), endWhole = Int64((to / Self.secondsPerHour).rounded(.down))
        guard firstWhole <= endWhole else {
            partialHours = [PartialHour(hour: endWhole, from: from, to: to)]
            return
        }
        if from < Double(firstWhole) * Self.secondsPerHour {
            partialHours.append(PartialHour(hour: firstWhole - 1, from: from, to: Double(firstWhole) * Self.secondsPerHour))
        }
        if to > Double(endWhole) * Self.secondsPerHour {
            partialHours.append(PartialHour(hour: endWhole, from: Double(endWhole) * Self.secondsPerHour, to: to))
        }
        let firstDay = (firstWhole + Self.hoursPerDay - 1) / Self.hoursPerDay, endDay = endWhole / Self.hoursPerDay
        guard firstDay < endDay else {
            if firstWhole < endWhole { hours = [firstWhole..<endWhole] }
            return
        }
        hours = [firstWhole..<(firstDay * Self.hoursPerDay), (endDay * Self.hoursPerDay)..<endWhole].filter { !$0.isEmpty }
        // The first month that starts on or after the first whole day, the last that ends by the end.
        var firstMonth = CalendarMonth.month(ofDay: firstDay)
        if CalendarMonth.firstDay(ofMonth: firstMonth) < firstDay { firstMonth += 1 }
        let endMonth = CalendarMonth.month(ofDay: endDay)
        if firstMonth < endMonth {
            months = firstMonth..<endMonth
            days = [firstDay..<CalendarMonth.firstDay(ofMonth: firstMonth), CalendarMonth.firstDay(ofMonth: endMonth)..<endDay].filter { !$0.isEmpty }
        } else {
            days = [firstDay..<endDay]
        }
    }

    /// The hour a time falls in.
    public static func hour(of time: Double) -> Int64 { Int64((time / secondsPerHour).rounded(.down)) }

    /// Samples of one basis cut at hour boundaries (`pieces(of:)`), each with its hour. Allocated
    /// samples come unnumbered from the scheduler: given the last number the ledger gave
    /// (`lastNumber`), they are numbered on from it, and the new last number is returned.
    public static func pieces(of samples: [MeteringSample], numberingFrom lastNumber: Int64?) -> (pieces: [(hour: Int64, sample: MeteringSample)], lastNumber: Int64?) {
        var number = lastNumber
        var out: [(hour: Int64, sample: MeteringSample)] = []
        for whole in samples {
            var numbered = whole
            if let last = number {
                number = last + 1
                numbered.sequence = UInt64(last + 1)
            }
            out += pieces(of: numbered)
        }
        return (out, number)
    }

    /// A sample cut at hour boundaries: the ledger stores and rolls up each piece in its hour,
    /// so that no stored piece crosses an hour. A sample of no duration is one piece.
    public static func pieces(of sample: MeteringSample) -> [(hour: Int64, sample: MeteringSample)] {
        let first = hour(of: sample.start), last = sample.end > sample.start ? hour(of: sample.end.nextDown) : first
        guard first < last else { return [(first, sample)] }
        return (first...last).map { hour in
            let start = max(sample.start, Double(hour) * secondsPerHour), end = min(sample.end, Double(hour + 1) * secondsPerHour)
            var piece = sample
            piece.start = start
            piece.end = end
            piece.amounts = sample.amounts * ((end - start) / (sample.end - sample.start))
            return (hour, piece)
        }
    }
}
