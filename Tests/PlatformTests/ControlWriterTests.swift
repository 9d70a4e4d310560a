import Glibc
import PortcullisPlatform
import Testing

/// The control socket's writer: hub messages are bounded in bytes, heartbeats never are, and
/// what was queued arrives in order.
@Suite struct ControlWriterTests {
    @Test func relayedFramesStopAtTheLimitWhileHeartbeatsStillGo() async throws {
        var pair: [Int32] = [0, 0]
        #expect(socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0, &pair) == 0)
        defer { close(pair[0]); close(pair[1]) }
        let writer = ControlWriter(fd: pair[0], label: "test-control", limit: 1 << 20)
        let frame = ControlMessage.relay([UInt8](repeating: 7, count: 64 << 10)).encoded
        // The peer reads nothing: the socket buffer fills, then the queue's megabyte.
        var accepted = 0
        while writer.send(relayed: frame) { accepted += 1 }
        // At least the limit's worth (the socket buffer may have taken some off the count).
        #expect(accepted * frame.count >= (1 << 20) - frame.count)
        #expect(accepted < 1000)
        #expect(writer.send(.heartbeat(WorkerLoad(requests: 1, connections: 2))))
        // Now the peer reads: every accepted frame, then the heartbeat, in order.
        var reader = ControlMessage.Reader()
        var buffer = [UInt8](repeating: 0, count: 65536)
        var relayed = 0
        reading: while true {
            let count = read(pair[1], &buffer, buffer.count)
            guard count > 0 else { break }
            reader.append(buffer[0..<count])
            while let message = try reader.next() {
                switch message {
                case .relay: relayed += 1
                case .heartbeat: break reading
                default: Issue.record("unexpected \(message)")
                }
            }
        }
        #expect(relayed == accepted)
        writer.drain()
    }
}

@Suite struct ControlMessageTests {
    func decode(_ bytes: [UInt8]) throws -> ControlMessage? {
        var reader = ControlMessage.Reader()
        reader.append(bytes[...])
        return try reader.next()
    }

    @Test func readyAndHeartbeatCarryTheBuildAndTheLoad() throws {
        let messages: [ControlMessage] = [
            .ready(build: "1.2.3 abc1234"),
            .heartbeat(WorkerLoad(requests: 1 << 40, connections: 17)),
            .recycle,
            .relay([1, 2, 3]),
        ]
        for message in messages { #expect(try decode(message.encoded) == message) }
    }

    @Test func malformedReadyAndHeartbeatBodiesAreRefused() {
        #expect(throws: ControlFrameError.self) { try decode([0, 0, 0, 3, 2, 0, 0]) }
        #expect(throws: ControlFrameError.self) { try decode([0, 0, 0, 3, 1, 0xff, 0xfe]) }
        let long = [UInt8](repeating: 0x61, count: ControlMessage.maximumBuildLength + 1)
        #expect(throws: ControlFrameError.self) { try decode([0, 0, 1, 2, 1] + long) }
        #expect(throws: ControlFrameError.self) { try decode(Array(ControlMessage.relay([0]).encoded.prefix(4)) + [9, 0]) }
    }
}
