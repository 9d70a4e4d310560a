import Glibc

/// What travels on a worker's control socket, both ways, as length-prefixed frames: four
/// bytes of big-endian length (of what follows), a kind byte, the body. The worker says
/// `ready` (with its build, which must be its master's), `heartbeat` (with what it has served
/// so far), `metrics` (its Prometheus exposition, which the master sums with the others') and
/// `recycle`; either side sends `relay`, a hub message that the master passes on to every
/// other worker.
public enum ControlMessage: Sendable, Equatable {
    case ready(build: String)
    case heartbeat(WorkerLoad)
    case recycle
    case relay([UInt8])
    case metrics([UInt8])

    /// The longest build description a `ready` frame carries.
    public static let maximumBuildLength = 256

    /// The largest frame either side accepts: a hub message of 64 MiB (the largest
    /// `ws.max_message_bytes`) with its topic and kind.
    public static let maximumLength = (64 << 20) + 1024

    /// The frame's bytes.
    public var encoded: [UInt8] {
        let (kind, body): (UInt8, [UInt8]) = switch self {
        case .ready(let build): (1, build.utf8.count <= Self.maximumBuildLength ? Array(build.utf8) : Array("?".utf8))
        case .heartbeat(let load): (2, Self.bigEndian(load.requests) + Self.bigEndian(load.connections))
        case .recycle: (3, [])
        case .relay(let bytes): (4, bytes)
        case .metrics(let text): (5, text)
        }
        // A body over ``maximumLength`` is refused by ControlWriter before it is sent, and by
        // every reader; truncating here only keeps the conversion from trapping.
        let length = UInt32(truncatingIfNeeded: body.count + 1)
        var frame = [UInt8(length >> 24), UInt8(length >> 16 & 0xff), UInt8(length >> 8 & 0xff), UInt8(length & 0xff), kind]
        frame += body
        return frame
    }

    /// Eight bytes, big-endian; a negative count is sent as 0.
    private static func bigEndian(_ value: Int) -> [UInt8] {
        let unsigned = UInt64(max(0, value))
        return (0..<8).map { UInt8(truncatingIfNeeded: unsigned >> (56 - 8 * $0)) }
    }

    /// The count eight big-endian bytes hold, at most `Int.max`.
    private static func integer(_ bytes: ArraySlice<UInt8>) -> Int {
        Int(clamping: bytes.reduce(UInt64(0)) { $0 << 8 | UInt64($1) })
    }

    /// Reassembles frames from the bytes a socket delivers, in whatever pieces they come.
    public struct Reader: Sendable {
        private var pending: [UInt8] = []
        private var start = 0

        public init() {}

        /// Adds bytes read from the socket.
        public mutating func append(_ bytes: ArraySlice<UInt8>) { pending += bytes }

        /// The next whole frame; nil until one is complete. Throws on a frame no writer of
        /// this build makes, after which the socket is not worth reading.
        public mutating func next() throws(ControlFrameError) -> ControlMessage? {
            guard pending.count - start >= 4 else { return nil }
            let length = pending[start..<(start + 4)].reduce(0) { $0 << 8 | Int($1) }
            guard (1...ControlMessage.maximumLength).contains(length) else { throw ControlFrameError(detail: "length \(length)") }
            guard pending.count - start >= 4 + length else { return nil }
            let kind = pending[start + 4]
            let body = Array(pending[(start + 5)..<(start + 4 + length)])
            start += 4 + length
            if start == pending.count {
                pending.removeAll(keepingCapacity: true)
                start = 0
            } else if start > 65536, start > pending.count / 2 {
                pending.removeFirst(start)
                start = 0
            }
            switch kind {
            case 1:
                guard body.count <= ControlMessage.maximumBuildLength, let build = String(validating: body, as: UTF8.self) else {
                    throw ControlFrameError(detail: "build of \(body.count) bytes")
                }
                return .ready(build: build)
            case 2:
                guard body.count == 16 else { throw ControlFrameError(detail: "heartbeat of \(body.count) bytes") }
                return .heartbeat(WorkerLoad(requests: ControlMessage.integer(body[0..<8]), connections: ControlMessage.integer(body[8..<16])))
            case 3: return .recycle
            case 4: return .relay(body)
            case 5: return .metrics(body)
            default: throw ControlFrameError(detail: "kind \(kind)")
            }
        }
    }
}

extension ControlMessage {
    /// Reads frames from the control socket `fd` on the calling thread, handing each to
    /// `handle`, until the other end closes it. Throws on a frame no writer of this build makes,
    /// after which the socket is not worth reading.
    public static func read(from fd: Int32, _ handle: (ControlMessage) -> Void) throws(ControlFrameError) {
        var reader = Reader()
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let count = Glibc.read(fd, &buffer, buffer.count)
            if count < 0 && errno == EINTR { continue }
            if count <= 0 { return }
            reader.append(buffer[0..<count])
            while let message = try reader.next() { handle(message) }
        }
    }
}

/// What a worker reports with each heartbeat: the responses it has sent since it started and
/// the connections it holds now.
public struct WorkerLoad: Sendable, Equatable {
    public var requests: Int
    public var connections: Int

    public init(requests: Int, connections: Int) {
        self.requests = requests
        self.connections = connections
    }
}

/// A control frame that cannot come from this build: the socket is closed.
public struct ControlFrameError: Error, CustomStringConvertible {
    let detail: String
    public var description: String { "malformed control frame (\(detail))" }
}
