#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// RFC 3339 timestamps in UTC with exactly three fraction digits: `2026-11-25T13:21:30.123Z`.
enum LogTimestamp {
    static func now() -> String {
        var spec = timespec()
        clock_gettime(CLOCK_REALTIME, &spec)
        var seconds = spec.tv_sec
        var parts = tm()
        gmtime_r(&seconds, &parts)
        let millis = Int(spec.tv_nsec / 1_000_000)
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
