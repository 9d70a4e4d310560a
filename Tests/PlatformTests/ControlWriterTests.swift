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
