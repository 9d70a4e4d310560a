public import Hummingbird
import HTTPTypes
import Logging
import PortcullisPlatform
import W3CTraceContext

/// Gives every request its ID (the client's `X-Request-ID` when well-formed) and its trace
/// context (the client's or proxy's W3C `traceparent` when well-formed, else a new trace), and
/// resolves the client address and scheme through ``TrustedProxies``: the first stage of
/// ``EdgeMiddleware``.
public struct RequestIdentity: Sendable {
    let proxies: TrustedProxies

    public init(trustedProxies: TrustedProxies) {
        self.proxies = trustedProxies
    }

    /// Sets the request's ID, its trace, its logger's `request_id` and `trace_id`, and its origin.
    public func assign(_ request: Request, to context: inout AppRequestContext) {
        context.requestID = request.headers.value(.xRequestID).flatMap(Self.acceptable) ?? Self.newID()
        context.logger[metadataKey: "request_id"] = .string(context.requestID)
        context.trace = Self.trace(continuing: request.headers.value(.traceparent))
        context.traceID = context.trace.traceID.description
        context.logger[metadataKey: "trace_id"] = .string(context.traceID)
        context.origin = proxies.resolve(peer: context.peer, directScheme: context.viaTLS ? "https" : "http", headers: request.headers)
    }

    /// 1–128 characters of `[A-Za-z0-9._:-]`, or nil.
    static func acceptable(_ id: String) -> String? {
        (1...128).contains(id.utf8.count) && idBytes.containsAll(id) ? id : nil
    }

    private static let idBytes = ASCIISet(alphanumericsAnd: "._:-")

    /// Where new IDs' randomness comes from: one per process.
    private static let random = RandomPool()

    /// This server's span of the trace `traceparent` names, or of a new trace when there is
    /// none or it is malformed (W3C Trace Context level 1: then a new trace starts).
    static func trace(continuing traceparent: String?) -> TraceContext {
        let span = random.next128()
        if let traceparent, let parent = try? TraceContext(traceParentHeaderValue: traceparent) {
            return TraceContext(traceID: parent.traceID, spanID: SpanID(span.0), flags: parent.flags, state: parent.state)
        }
        return TraceContext(traceID: TraceID(random.next128()), spanID: SpanID(span.1), flags: [], state: noTrace.state)
    }

    /// A context's trace before this stage runs. Made once: an empty `TraceState` builds an
    /// ordered dictionary, which cost two allocations and generic-metadata lookups per request.
    static let noTrace = TraceContext(traceID: .null, spanID: .null, flags: [], state: TraceState([]))

    /// 32 random hex digits.
    static func newID() -> String {
        let random = Self.random.next128()
        return String(unsafeUninitializedCapacity: 32) { buffer in
            func write(_ word: UInt64, at start: Int) {
                for digit in 0..<16 {
                    let nibble = UInt8(truncatingIfNeeded: word >> (60 - 4 * digit)) & 0xF
                    buffer[start + digit] = nibble < 10 ? 0x30 + nibble : 0x57 + nibble
                }
            }
            write(random.0, at: 0)
            write(random.1, at: 16)
            return 32
        }
    }
}

extension HTTPField.Name {
    /// `X-Request-ID`.
    public static let xRequestID = Self("X-Request-ID")!
    /// W3C Trace Context's `traceparent`.
    public static let traceparent = Self("traceparent")!
}

extension TraceID {
    /// A trace ID of 16 random bytes.
    init(_ random: (UInt64, UInt64)) {
        var bytes = TraceID.null.bytes
        withUnsafeMutableBytes(of: &bytes) { raw in
            raw.storeBytes(of: random.0, toByteOffset: 0, as: UInt64.self)
            raw.storeBytes(of: random.1, toByteOffset: 8, as: UInt64.self)
        }
        self.init(bytes: bytes)
    }
}

extension SpanID {
    /// A span ID of 8 random bytes; never all zero, which W3C reserves.
    init(_ random: UInt64) {
        var bytes = SpanID.null.bytes
        withUnsafeMutableBytes(of: &bytes) { $0.storeBytes(of: random | 1, as: UInt64.self) }
        self.init(bytes: bytes)
    }
}
