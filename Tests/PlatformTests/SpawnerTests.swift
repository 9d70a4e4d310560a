import Foundation
import PortcullisPlatform
import Testing

/// Descriptors reach a child in the order they were listed, even when some of them already sit
/// at the numbers others are to take (as a socket systemd passed at 3 does).
@Suite struct SpawnerTests {
    @Test func passedDescriptorsArriveInOrderWhateverTheirNumbers() async throws {
        var pipes: [Int32] = []
        for _ in 0..<8 {
            var pair: [Int32] = [0, 0]
            #expect(pipe(&pair) == 0)
            pipes += pair
        }
        defer { for fd in pipes { close(fd) } }
        // Every target number up to the highest pipe's is passed, so each pipe's own number is
        // the target of an earlier copy: the low ones are listed last.
        let count = Int(pipes.max() ?? 3) - 2
        let passed = (0..<count).map { pipes[(count - 1 - $0) % pipes.count] }
        #expect(passed.contains { (3..<3 + Int32(passed.count)).contains($0) })
        let expected = passed.map { Self.target(of: "/proc/self/fd/\($0)") }
        let output = try Spawner.pipe()
        let script = (0..<passed.count).map { "readlink /proc/self/fd/\(3 + $0)" }.joined(separator: "; ")
        let pid = try Spawner.spawn("/bin/sh", arguments: ["-c", script], standard: [1: output.write], passed: passed)
        close(output.write)
        let printed = try #require(String(data: FileHandle(fileDescriptor: output.read, closeOnDealloc: true).readDataToEndOfFile(), encoding: .utf8))
        #expect(Spawner.waitForExit(pid) == 0)
        #expect(printed.split(separator: "\n").map(String.init) == expected)
    }

    static func target(of link: String) -> String {
        (try? FileManager.default.destinationOfSymbolicLink(atPath: link)) ?? "?"
    }
}
