import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// RFC 3339 timestamps in UTC with exactly three fraction digits: `2026-11-25T13:21:30.123Z`,
/// as log lines and API bodies write them.
public enum RFC3339 {
    /// The current time.
    public static func now() -> String {
        var spec = timespec()
        clock_gettime(CLOCK_REALTIME, &spec)
        return string(seconds: spec.tv_sec, milliseconds: Int(spec.tv_nsec / 1_000_000))
    }

    /// `date`, its fraction cut to milliseconds.
    public static func string(from date: Date) -> String {
        let milliseconds = Int64((date.timeIntervalSince1970 * 1000).rounded(.down))
        let (seconds, millis) = milliseconds.quotientAndRemainder(dividingBy: 1000)
        return millis < 0
            ? string(seconds: time_t(seconds - 1), milliseconds: Int(millis + 1000))
            : string(seconds: time_t(seconds), milliseconds: Int(millis))
    }

    private static func string(seconds: time_t, milliseconds millis: Int) -> String {
        let (days, secondOfDay) = Int(seconds).floorDividedBy(86_400)
        let (year, month, day) = civil(days: days)
        // Written digit by digit into one string: it is on every log line, the access log's too.
        return String(unsafeUninitializedCapacity: 24) { buffer in
            var end = 0
            func digits(_ value: Int, _ width: Int) {
                var value = value
                for position in stride(from: end + width - 1, through: end, by: -1) {
                    buffer[position] = UInt8(truncatingIfNeeded: 0x30 + value % 10)
                    value /= 10
                }
                end += width
            }
            func character(_ ascii: Unicode.Scalar) {
                buffer[end] = UInt8(ascii: ascii)
                end += 1
            }
            digits(year, 4)
            character("-")
            digits(month, 2)
            character("-")
            digits(day, 2)
            character("T")
            digits(secondOfDay / 3600, 2)
            character(":")
            digits(secondOfDay / 60 % 60, 2)
            character(":")
            digits(secondOfDay % 60, 2)
            character(".")
            digits(millis, 3)
            character("Z")
            return end
        }
    }

    /// The proleptic Gregorian date `days` after 1970-01-01, by Howard Hinnant's
    /// `civil_from_days`: arithmetic only. (`gmtime_r` takes glibc's time zone lock on every
    /// call, and every log line asked it.)
    private static func civil(days: Int) -> (year: Int, month: Int, day: Int) {
        let (era, dayOfEra) = (days + 719_468).floorDividedBy(146_097)
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let shiftedMonth = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * shiftedMonth + 2) / 5 + 1
        let month = shiftedMonth < 10 ? shiftedMonth + 3 : shiftedMonth - 9
        return (yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }
}

extension Int {
    /// Quotient rounded down and the remainder that goes with it (never negative for a positive divisor).
    fileprivate func floorDividedBy(_ divisor: Int) -> (quotient: Int, remainder: Int) {
        let (quotient, remainder) = quotientAndRemainder(dividingBy: divisor)
        return remainder < 0 ? (quotient - 1, remainder + divisor) : (quotient, remainder)
    }
}
