import TestSupport
import Testing

@Suite struct ConnectionTimeoutTests {
    let request = "GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n"

    @Test func aClientThatNeverFinishesItsRequestHeadIsDisconnected() async throws {
        try await withLiveServer(overrides: ["server.header_timeout": "0.3", "server.idle_timeout": "30"]) { server in
            let slow = try RawConnection(port: server.port)
            try slow.send("GET /healthz HTTP/1.1\r\nHost: loc")
            let reading = await slow.readUntilClosed(timeout: 10)
            #expect(reading.closedByServer)
            #expect(reading.text.isEmpty)

            let silent = try RawConnection(port: server.port)
            #expect(await silent.readUntilClosed(timeout: 10).closedByServer)
        }
    }

    @Test func aPromptClientIsServedAndItsNextSlowHeadIsCut() async throws {
        try await withLiveServer(overrides: ["server.header_timeout": "0.3", "server.idle_timeout": "30"]) { server in
            let connection = try RawConnection(port: server.port)
            try connection.send(request)
            let first = await connection.read(timeout: 10, until: isCompleteResponse)
            #expect(first.text.hasPrefix("HTTP/1.1 200 OK"))
            #expect(!first.closedByServer)
            try connection.send("GET /heal")
            #expect(await connection.readUntilClosed(timeout: 10).closedByServer)
        }
    }

    @Test func anIdleKeepAliveConnectionIsClosed() async throws {
        try await withLiveServer(overrides: ["server.header_timeout": "30", "server.idle_timeout": "0.3"]) { server in
            let connection = try RawConnection(port: server.port)
            try connection.send(request)
            let reading = await connection.readUntilClosed(timeout: 10)
            #expect(reading.text.hasPrefix("HTTP/1.1 200 OK"))
            #expect(reading.closedByServer)
        }
    }
}
