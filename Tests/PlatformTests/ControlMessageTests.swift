import Glibc
import PortcullisPlatform
import Testing

/// The control socket's frames: what one side writes, the other reads back, however the
/// socket splits it; what no writer of this build makes ends the reading.
@Suite struct ControlMessageTests {
    static let messages: [ControlMessage] = [
        .ready(build: "1.2.3 abcdef"),
        .heartbeat(WorkerLoad(requests: 1 << 40, connections: 12)),
        .recycle,
        .relay(Array("hello".utf8)),
        .relay([]),
    ]

    @Test func framesSplitAtEveryByteReadBackAsWritten() throws {
        let bytes = Self.messages.flatMap(\.encoded)
        for cut in 0...bytes.count {
            var reader = ControlMessage.Reader()
            var read: [ControlMessage] = []
            for piece in [bytes[..<cut], bytes[cut...]] {
                reader.append(piece)
                while let message = try reader.next() { read.append(message) }
            }
            #expect(read == Self.messages, "cut at \(cut)")
        }
    }

    @Test("a frame no writer makes is refused", arguments: [
        [0, 0, 0, 0],
        [0x7f, 0xff, 0xff, 0xff],
        [0, 0, 0, 1, 9],
        [0, 0, 0, 3, 2, 0, 0],
        [0, 0, 0, 3, 1, 0xff, 0xfe],
        [0, 0, 1, 2, 1] + [UInt8](repeating: 0x61, count: ControlMessage.maximumBuildLength + 1),
    ] as [[UInt8]])
    func malformedFramesThrow(frame: [UInt8]) {
        var reader = ControlMessage.Reader()
        reader.append(frame[...])
        #expect(throws: ControlFrameError.self) { _ = try reader.next() }
    }

    @Test func aNegativeCountIsSentAsZero() throws {
        var reader = ControlMessage.Reader()
        reader.append(ControlMessage.heartbeat(WorkerLoad(requests: -5, connections: 3)).encoded[...])
        #expect(try reader.next() == .heartbeat(WorkerLoad(requests: 0, connections: 3)))
    }

    @Test func readingASocketHandsOverEveryFrameUntilItCloses() throws {
        var pair: [Int32] = [0, 0]
        #expect(socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0, &pair) == 0)
        defer { close(pair[1]) }
        let bytes = Self.messages.flatMap(\.encoded)
        #expect(write(pair[0], bytes, bytes.count) == bytes.count)
        close(pair[0])
        var read: [ControlMessage] = []
        try ControlMessage.read(from: pair[1]) { read.append($0) }
        #expect(read == Self.messages)
    }
}
