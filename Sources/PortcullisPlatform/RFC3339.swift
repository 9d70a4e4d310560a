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
        var seconds = seconds
        var parts = tm()
        gmtime_r(&seconds, &parts)
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
            digits(Int(parts.tm_year) + 1900, 4)
            character("-")
            digits(Int(parts.tm_mon) + 1, 2)
            character("-")
            digits(Int(parts.tm_mday), 2)
            character("T")
            digits(Int(parts.tm_hour), 2)
            character(":")
            digits(Int(parts.tm_min), 2)
            character(":")
            digits(Int(parts.tm_sec), 2)
            character(".")
            digits(millis, 3)
            character("Z")
            return end
        }
    }
}
