import PortcullisPlatform
import Testing

/// The worker command line: what the master writes, the worker reads back whole.
@Suite struct WorkerInvocationTests {
    @Test("the arguments read back as the invocation that wrote them", arguments: [
        WorkerInvocation(index: 0, generation: 1, node: "n", listeners: []),
        WorkerInvocation(
            index: 3, generation: 12, node: "0E9C1F7A-node",
            listeners: [
                .init(address: "127.0.0.1:8080", tls: false), .init(address: "[::1]:8443", tls: true),
                .init(address: "unix:/run/portcullis/http.sock", tls: false),
            ],
            shareSlot: 1023,
            configFile: "/etc/portcullis/with spaces=and equals.yaml", profile: "production", workers: 4,
            listen: ["127.0.0.1:8080", "unix:/run/portcullis/http.sock"]),
    ])
    func roundTrip(invocation: WorkerInvocation) throws {
        #expect(try WorkerInvocation(parsing: invocation.arguments) == invocation)
    }

    @Test func listenersAreNumberedFromDescriptorSixInOrder() {
        let invocation = WorkerInvocation(
            index: 0, generation: 1, node: "n", listeners: [.init(address: "a:1", tls: false), .init(address: "b:2", tls: true)])
        #expect(invocation.arguments.contains("6=a:1") && invocation.arguments.contains("7=tls:b:2"))
        #expect(WorkerInvocation.descriptor(ofListener: 1) == 7)
    }

    @Test("a command line the master did not write is refused", arguments: [
        ["--index", "0", "--generation", "1"],
        ["--index", "x", "--generation", "1", "--node", "n"],
        ["--index", "0", "--generation", "1", "--node"],
        ["--index", "0", "--generation", "1", "--node", "n", "--listen-fd", "7=a:1"],
        ["--index", "0", "--generation", "1", "--node", "n", "--listen-fd", "a:1"],
        ["--index", "0", "--generation", "1", "--node", "n", "--workers", "many"],
        ["--index", "0", "--generation", "1", "--node", "n", "--bogus", "1"],
        ["--index", "0", "--generation", "1", "--node", "n", "--share-slot", "1024"],
        ["--index", "0", "--generation", "1", "--node", "n", "--share-slot", "-1"],
    ])
    func malformedArgumentsThrow(arguments: [String]) {
        #expect(throws: WorkerInvocation.ParseError.self) { try WorkerInvocation(parsing: arguments) }
    }
}
