import Foundation
import Synchronization

/// The `Date` header value, formatted at most once a second.
final class HTTPDate: Sendable {
    private let cache = Mutex<(second: Int, text: String)>((-1, ""))

    func now() -> String {
        let seconds = Int(Date().timeIntervalSince1970)
        return cache.withLock { cached in
            if cached.second != seconds { cached = (seconds, Self.format(seconds)) }
            return cached.text
        }
    }

    private static func format(_ seconds: Int) -> String {
        var time = time_t(seconds)
        var parts = tm()
        gmtime_r(&time, &parts)
        var buffer = [CChar](repeating: 0, count: 64)
        let length = strftime(&buffer, buffer.count, "%a, %d %b %Y %H:%M:%S GMT", &parts)
        return String(decoding: buffer.prefix(length).map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
