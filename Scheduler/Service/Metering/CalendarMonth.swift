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
