import Glibc
import PortcullisPlatform
import Testing

/// Each `write(2)` into a datagram socket arrives as one datagram, so these tests see the
/// sink's writes exactly as it made them.
@Suite struct BatchedSinkTests {
    final class Datagrams {
        let reader: Int32
        let writer: Int32

        init() throws {
            var pair: [Int32] = [0, 0]
            try #require(socketpair(AF_UNIX, Int32(SOCK_DGRAM.rawValue), 0, &pair) == 0)
            reader = pair[0]
            writer = pair[1]
        }

        deinit {
            close(reader)
            close(writer)
        }

        /// The datagrams waiting now.
        func received() -> [String] {
            var all: [String] = []
            var buffer = [UInt8](repeating: 0, count: 65536)
            while true {
                let count = recv(reader, &buffer, buffer.count, Int32(MSG_DONTWAIT))
                guard count > 0 else { return all }
                all.append(String(decoding: buffer[0..<count], as: UTF8.self))
            }
        }
    }

    @Test func flushWritesWholeLinesInOrderInBatchesOfAtMostPipeBuf() throws {
        let socket = try Datagrams()
        let sink = BatchedSink(descriptor: socket.writer, delay: .seconds(3600))
        let lines = (0..<300).map { "{\"n\":\($0),\"pad\":\"\(String(repeating: "x", count: $0 % 97))\"}\n" }
        // Both ways in: text, and the UTF-8 bytes the access log writes its lines into.
        for (index, line) in lines.enumerated() {
            if index.isMultiple(of: 2) { sink.write(line: line) } else { sink.write(utf8: Array(line.utf8)) }
        }
        sink.flush()
        let writes = socket.received()
        #expect(writes.joined() == lines.joined())
        #expect(writes.count > 1 && writes.count < lines.count / 4)
        for write in writes {
            #expect(write.utf8.count <= Int(PIPE_BUF))
            #expect(write.hasSuffix("\n"))
        }
    }

    @Test func aLineLongerThanABatchIsWrittenWholeByItself() throws {
        let socket = try Datagrams()
        let sink = BatchedSink(descriptor: socket.writer, delay: .seconds(3600))
        let long = String(repeating: "y", count: Int(PIPE_BUF) * 2) + "\n"
        sink.write(line: "before\n")
        sink.write(line: long)
        sink.write(line: "after\n")
        sink.flush()
        #expect(socket.received() == ["before\n", long, "after\n"])
    }

    @Test func heldLinesAreWrittenAfterTheDelayWithoutAFlush() async throws {
        let socket = try Datagrams()
        let sink = BatchedSink(descriptor: socket.writer, delay: .milliseconds(20))
        sink.write(line: "one\n")
        sink.write(line: "two\n")
        var received: [String] = []
        let deadline = ContinuousClock.now + .seconds(10)
        while received.joined() != "one\ntwo\n", ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(10))
            received += socket.received()
        }
        #expect(received == ["one\ntwo\n"])
        sink.write(line: "three\n")
        while !received.contains("three\n"), ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(10))
            received += socket.received()
        }
        #expect(received.last == "three\n", "a later line schedules a flush of its own")
    }
}
