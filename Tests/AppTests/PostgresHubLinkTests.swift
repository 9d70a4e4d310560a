import Foundation
import Logging
@testable import PortcullisApp
import PortcullisPersistence
import PortcullisPlatform
import Testing
import TestSupport

/// The link to other nodes holds at most `ws.relay_queue_bytes` of messages waiting for
/// PostgreSQL: beyond it messages are dropped, with one warning and, once messages get
/// through again, one notice with the count.
@Suite struct PostgresHubLinkTests {
    @Test func messagesBeyondTheByteBoundAreDroppedWithOneWarningAndTheirCount() async throws {
        try await withTemporaryDirectory { directory in
            try await TestDatabase.with(.postgres, in: directory) { database in
                let config = try PortcullisConfig.testing(stateDir: directory.path, overrides: testStoreDefaults(database).merging(["log.format": "json"]) { $1 })
                let logs = LogCapture()
                let logger = LoggerFactory(config: config, sink: logs).logger("portcullis.hub")
                let store = try StoreFactory.make(config.database, logger: logger)
                try await store.whileRunning {
                    let link = PostgresHubLink(store: store, hub: Hub(), node: "test-node", logger: logger, byteLimit: 65536)
                    let message = HubMessage(topic: "broadcast", payload: .text(String(repeating: "m", count: 5000)))
                    // Nothing drains the queue yet: 13 messages of 5009 bytes fit in 64 KiB.
                    for _ in 0..<20 { link.forward(message) }
                    func lines(_ text: String) -> [[String: Any]] { logs.records.filter { ($0["msg"] as? String)?.hasPrefix(text) == true } }
                    for _ in 0..<500 where lines("queue full").isEmpty { try await Task.sleep(for: .milliseconds(10)) }
                    #expect(lines("queue full; dropping hub messages for other nodes").count == 1)
                    let running = Task { try await link.run() }
                    defer { running.cancel() }
                    for _ in 0..<500 where lines("queue has room again").isEmpty {
                        link.forward(message)
                        try await Task.sleep(for: .milliseconds(10))
                    }
                    let recovered = lines("queue has room again; hub messages for other nodes dropped meanwhile")
                    #expect(recovered.count == 1)
                    // The 7 of the burst, and any sent in the loop above before the queue drained.
                    #expect((recovered.first?["dropped"] as? String).flatMap { Int($0) }.map { $0 >= 7 } == true)
                    #expect(lines("queue full").count == 1)
                }
            }
        }
    }
}
