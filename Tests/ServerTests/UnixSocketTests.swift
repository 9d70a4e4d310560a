import Foundation
import TestSupport
import Testing

@Suite struct UnixSocketTests {
    @Test func aUnixListenerServesAndIsGroupWritableOnly() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let path = directory.path + "/http.sock"
        try await withLiveServer(listeners: [.unix(path: path)]) { _ in
            let attributes = try FileManager.default.attributesOfItem(atPath: path)
            #expect((attributes[.posixPermissions] as? Int) == 0o660)
            let connection = try RawConnection(unixPath: path)
            try connection.send("GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n")
            let reading = await connection.read(timeout: 10, until: isCompleteResponse)
            #expect(reading.text.hasPrefix("HTTP/1.1 200 OK"))
            #expect(reading.text.hasSuffix("{\"status\":\"ok\"}"))
        }
    }
}
