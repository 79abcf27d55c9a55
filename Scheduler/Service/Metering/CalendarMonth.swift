/// Calendar months in UTC, as bills are cut.
public enum CalendarMonth {
    /// The start and end (seconds since 1970, UTC) of `month` given as `YYYY-MM`.
    public static func range(of month: String) throws(ServiceError) -> (from: Double, to: Double) {
        let parts = month.split(separator: "-")
        guard parts.count == 2, parts[0].count == 4, parts[1].count == 2, let year = Int(parts[0]), let number = Int(parts[1]), (1...12).contains(number), year >= 1970 else {
            throw ServiceError.invalid("month", "must be a month as YYYY-MM from 1970-01, got '\(month)'")
        }
        let next = number == 12 ? (year + 1, 1) : (year, number + 1)
        return (Double(daysSince1970(year: year, month: number)) * 86_400, Double(daysSince1970(year: next.0, month: next.1)) * 86_400)
    }

    /// The calendar month (UTC) that `time` falls in: its name (`YYYY-MM`) and range.
    public static func containing(_ time: Double) -> (name: String, from: Double, to: Double) {
        let month = self.month(ofDay: Int64((time / 86_400).rounded(.down)))
        let year = 1970 + month / 12, number = month % 12 + 1
        return ("\(year)-\(number < 10 ? "0" : "")\(number)", Double(firstDay(ofMonth: month)) * 86_400, Double(firstDay(ofMonth: month + 1)) * 86_400)
    }

    /// The month a day falls in: months numbered from 1970-01 (0), days from 1970-01-01 (0).
    public static func month(ofDay day: Int64) -> Int64 {
        // The inverse of `daysSince1970`, counted from March as it is.
        let z = day + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1_460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let shifted = (5 * dayOfYear + 2) / 153
        let month = shifted < 10 ? shifted + 3 : shifted - 9
        let year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0)
        return (year - 1970) * 12 + (month - 1)
    }

    /// The first day of a month numbered from 1970-01 (0), in days from 1970-01-01.
    public static func firstDay(ofMonth month: Int64) -> Int64 {
        let year = 1970 + Int(month / 12), number = Int(month % 12) + 1
        return Int64(daysSince1970(year: year, month: number))
    }

    /// Days from 1970-01-01 to the first of the month (the proleptic Gregorian calendar).
    static func daysSince1970(year: Int, month: Int) -> Int {
        // Counted from March, so that the leap day ends a year.
        let y = month <= 2 ? year - 1 : year
        let era = y / 400
        let yearOfEra = y - era * 400
        let dayOfYear = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }
}
