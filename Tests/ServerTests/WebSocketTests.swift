import Foundation
import NIOCore
import TestSupport
import Testing

/// The WebSocket routes over loopback with a raw client: the handshake's checks, the messages
/// of each route, the limits and the close codes.
@Suite struct WebSocketTests {
    @Test func echoAnswersEachMessageAndTheHandshakeGoesThroughTheMiddleware() async throws {
        try await withLiveServer { server in
            let client = try await WebSocketTestClient.open(port: server.port, path: "/ws/echo")
            #expect(client.status == 101)
            #expect(client.header("X-Request-ID") != nil)
            try await client.sendText("hello")
            #expect(await client.next()?.text == "Echo: hello")
            try await client.sendBinary([1, 2, 3])
            let binary = await client.next()
            #expect(binary?.opcode == 0x2)
            #expect(binary?.payload == [1, 2, 3])
            try await client.sendClose()
            #expect(await client.nextClose()?.closeCode == 1000)
            #expect(server.logs.text.contains(#""path":"/ws/echo""#))
        }
    }

    /// A client that sends far more than it reads for a while, then reads one for each it
    /// sends: its echoes come back in order, whether the reading task wrote them itself or
    /// queued them behind others while the connection was full.
    @Test func echoesComeBackInOrderWhileTheConnectionFillsAndDrains() async throws {
        try await withLiveServer(overrides: ["ws.send_queue_messages": "100000", "ws.send_queue_bytes": "16777216"]) { server in
            let client = try await WebSocketTestClient.open(port: server.port, path: "/ws/echo", receiveBuffer: 4096)
            // 150 × 60 kB is more than the kernel (4 MiB at most) and NIO (64 KiB) buffer for a
            // client that does not read, so the connection stops being writable and echoes queue.
            let padding = String(repeating: "z", count: 60_000)
            var expected = 0
            var inOrder = true
            func readOne() async {
                let frame = await client.next()
                inOrder = inOrder && frame?.text == "Echo: \(expected) \(padding)"
                expected += 1
            }
            for index in 0..<150 { try await client.sendText("\(index) \(padding)") }
            for index in 150..<600 {
                await readOne()
                try await client.sendText("\(index) \(padding)")
            }
            while expected < 600, inOrder { await readOne() }
            #expect(inOrder, "echo \(expected - 1) came out of order or not at all")
            #expect(!server.logs.text.contains("slow consumer"))
        }
    }

    @Test func aPlainRequestToAWebSocketRouteGets426() async throws {
        try await withLiveServer { server in
            let response = try await server.get("/ws/echo")
            #expect(response.status.code == 426)
            #expect(response.headers.first(name: "Upgrade") == "websocket")
            let body = String(buffer: try await response.body.collect(upTo: 1 << 16))
            #expect(body.contains("UpgradeRequired"))
        }
    }

    @Test func theHandshakeRefusesAForeignOriginWith403() async throws {
        try await withLiveServer(overrides: ["cors.origins": "https://app.example"]) { server in
            let foreign = try await WebSocketTestClient.open(port: server.port, path: "/ws/echo", headers: [("Origin", "https://evil.example")])
            #expect(foreign.status == 403)
            #expect(foreign.header("Content-Type")?.hasPrefix("application/json") == true)
            #expect(foreign.body.contains(#""error":"Forbidden""#))
            #expect(await foreign.next(timeout: 5) == nil)
            let listed = try await WebSocketTestClient.open(port: server.port, path: "/ws/echo", headers: [("Origin", "https://app.example")])
            #expect(listed.status == 101)
            let noOrigin = try await WebSocketTestClient.open(port: server.port, path: "/ws/echo")
            #expect(noOrigin.status == 101)
        }
    }

    @Test func anUnknownWebSocketPathGets404() async throws {
        try await withLiveServer { server in
            let client = try await WebSocketTestClient.open(port: server.port, path: "/ws/nowhere")
            #expect(client.status == 404)
        }
    }

    @Test func theConnectionLimitRefusesTheNextHandshakeWith503() async throws {
        try await withLiveServer(overrides: ["ws.max_connections": "1"]) { server in
            let first = try await WebSocketTestClient.open(port: server.port, path: "/ws/echo")
            #expect(first.status == 101)
            let second = try await WebSocketTestClient.open(port: server.port, path: "/ws/echo")
            #expect(second.status == 503)
            try await first.sendClose()
            _ = await first.nextClose()
            var status = 0
            for _ in 0..<100 where status != 101 {
                status = try await WebSocketTestClient.open(port: server.port, path: "/ws/echo").status
                if status != 101 { try await Task.sleep(for: .milliseconds(50)) }
            }
            #expect(status == 101)
        }
    }

    @Test func aMessageOverTheLimitIsClosedWith1009WholeFragmentedOrInflated() async throws {
        try await withLiveServer(overrides: ["ws.max_message_bytes": "1024"]) { server in
            let whole = try await WebSocketTestClient.open(port: server.port, path: "/ws/echo")
            try await whole.sendText(String(repeating: "a", count: 1024))
            #expect(await whole.next()?.text.count == 1030)
            try await whole.sendText(String(repeating: "a", count: 1025))
            #expect(await whole.nextClose()?.closeCode == 1009)

            let fragmented = try await WebSocketTestClient.open(port: server.port, path: "/ws/echo")
            try await fragmented.send(opcode: 0x1, Array(repeating: 0x61, count: 600), fin: false)
            try await fragmented.send(opcode: 0x0, Array(repeating: 0x61, count: 600))
            #expect(await fragmented.nextClose()?.closeCode == 1009)

            let compressed = try await WebSocketTestClient.open(
                port: server.port, path: "/ws/echo", headers: [("Sec-WebSocket-Extensions", "permessage-deflate")])
            #expect(compressed.header("Sec-WebSocket-Extensions")?.hasPrefix("permessage-deflate") == true)
            let small = try WebSocketTestClient.deflate(String(repeating: "b", count: 500))
            try await compressed.send(opcode: 0x1, small, compressed: true)
            #expect(await compressed.next()?.compressed == true)
            let bomb = try WebSocketTestClient.deflate(String(repeating: "b", count: 100_000))
            #expect(bomb.count < 1024)
            try await compressed.send(opcode: 0x1, bomb, compressed: true)
            #expect(await compressed.nextClose()?.closeCode == 1009)
        }
    }

    @Test func chatClosesWith1008WithoutAValidTokenAndRelaysMembersMessages() async throws {
        try await withLiveServer { server in
            let anonymous = try await WebSocketTestClient.open(port: server.port, path: "/ws/chat")
            #expect(anonymous.status == 101)
            let refusal = await anonymous.nextClose()
            #expect(refusal?.closeCode == 1008)
            #expect(refusal?.closeReason == "Auth required")
            let forged = try await WebSocketTestClient.open(port: server.port, path: "/ws/chat?token=not.a.token")
            let invalid = await forged.nextClose()
            #expect(invalid?.closeCode == 1008)
            #expect(invalid?.closeReason == "Invalid token")

            let token = try await server.token(for: "ada")
            let viaQuery = try await WebSocketTestClient.open(port: server.port, path: "/ws/chat?token=\(token)")
            let viaHeader = try await WebSocketTestClient.open(port: server.port, path: "/ws/chat", headers: [("Authorization", "Bearer \(token)")])
            try await Self.waitForSubscribers(2, of: "chat", on: server)
            try await viaQuery.sendText("hi all")
            let expected = #"{"message":"hi all","user":"ada"}"#
            #expect(await viaQuery.next()?.text == expected)
            #expect(await viaHeader.next()?.text == expected)
            try await viaHeader.sendBinary([0xff])
            let binary = await viaHeader.nextClose()
            #expect(binary?.closeCode == 1003)
            #expect(binary?.closeReason == "Text messages only")
        }
    }

    @Test func broadcastReachesEveryClientTheSenderIncluded() async throws {
        try await withLiveServer { server in
            let first = try await WebSocketTestClient.open(port: server.port, path: "/ws/broadcast")
            let second = try await WebSocketTestClient.open(port: server.port, path: "/ws/broadcast")
            try await Self.waitForSubscribers(2, of: "broadcast", on: server)
            try await first.sendText("one")
            try await second.sendText("two")
            for client in [first, second] {
                let received = [await client.next()?.text, await client.next()?.text]
                #expect(Set(received.compactMap { $0 }) == ["one", "two"])
            }
        }
    }

    @Test func pubsubDeliversToSubscribersAndAnswersBadFramesWithErrorsWithoutClosing() async throws {
        try await withLiveServer { server in
            let subscriber = try await WebSocketTestClient.open(port: server.port, path: "/ws/pubsub")
            let publisher = try await WebSocketTestClient.open(port: server.port, path: "/ws/pubsub")
            let bad: [(String, String)] = [
                ("{not json", "frame is not valid JSON"),
                ("[1,2]", "frame must be a JSON object"),
                (#"{"topic":"news"}"#, "missing field: type (a string)"),
                (#"{"type":"shout","topic":"news"}"#, "unknown type: shout (expected subscribe, unsubscribe or publish)"),
                (#"{"type":"subscribe"}"#, "missing field: topic (a string)"),
                (#"{"type":"publish","topic":"news"}"#, "missing field: data"),
                (#"{"type":"subscribe","topic":""}"#, "topic must be 1 to 256 bytes of UTF-8"),
                (#"{"type":"subscribe","topic":"\#(String(repeating: "é", count: 129))"}"#, "topic must be 1 to 256 bytes of UTF-8"),
            ]
            for (frame, message) in bad {
                try await publisher.sendText(frame)
                #expect(await publisher.next()?.text == #"{"message":"\#(message)","type":"error"}"#)
            }
            try await publisher.sendBinary([1])
            #expect(await publisher.next()?.text == #"{"message":"frames must be JSON text","type":"error"}"#)

            try await subscriber.sendText(#"{"type":"subscribe","topic":"news"}"#)
            #expect(await subscriber.next()?.text == #"{"topic":"news","type":"subscribed"}"#)
            try await publisher.sendText(#"{"type":"publish","topic":"sports","data":1}"#)
            try await publisher.sendText(#"{"type":"publish","topic":"news","data":{"headline":"WebSockets land"}}"#)
            #expect(await subscriber.next()?.text == #"{"data":{"headline":"WebSockets land"},"topic":"news","type":"message"}"#)
            try await subscriber.sendText(#"{"type":"unsubscribe","topic":"news"}"#)
            #expect(await subscriber.next()?.text == #"{"topic":"news","type":"unsubscribed"}"#)
            try await publisher.sendText(#"{"type":"publish","topic":"news","data":2}"#)
            #expect(await subscriber.next(timeout: 1) == nil)
        }
    }

    @Test func aClientThatDoesNotReadIsClosedWhileAFastOneGetsEveryMessage() async throws {
        try await withLiveServer(overrides: ["ws.send_queue_messages": "16"]) { server in
            let slow = try await WebSocketTestClient.open(port: server.port, path: "/ws/broadcast", receiveBuffer: 4096)
            let fast = try await WebSocketTestClient.open(port: server.port, path: "/ws/broadcast")
            try await Self.waitForSubscribers(2, of: "broadcast", on: server)
            // Send until the server gives up on the slow one: that takes more than NIO's 64 KiB
            // and what the kernel buffers for a peer whose window is closed (megabytes). The
            // fast client reads each message before it sends the next, so it never has more
            // than one queued however slowly this machine runs the test.
            let message = String(repeating: "x", count: 32_000)
            var sent = 0
            var received = 0
            while sent < 3000, !server.logs.text.contains("slow consumer") {
                try await fast.sendText(message)
                sent += 1
                guard let frame = await fast.next(), frame.opcode == 0x1, frame.payload.count == 32_000 else { break }
                received += 1
            }
            #expect(received == sent)
            #expect(server.logs.text.contains("slow consumer"))
            // The slow client wakes up and finds the close frame after what the buffers held.
            let close = await slow.nextClose()
            #expect(close?.closeCode == 1008)
            #expect(close?.closeReason == "slow consumer")
        }
    }

    /// The count limit is far away here: only the bytes can close it.
    @Test func aClientThatNeverReadsItsEchoesIsClosedAtTheByteBudget() async throws {
        try await withLiveServer(overrides: ["ws.send_queue_messages": "100000", "ws.send_queue_bytes": "1048576"]) { server in
            let client = try await WebSocketTestClient.open(port: server.port, path: "/ws/echo", receiveBuffer: 4096)
            let message = String(repeating: "y", count: 256_000)
            var sent = 0
            while sent < 400, !server.logs.text.contains("slow consumer") {
                try await client.sendText(message)
                sent += 1
                if sent % 8 == 0 { try await Task.sleep(for: .milliseconds(20)) }
            }
            #expect(server.logs.text.contains("slow consumer"))
            #expect(sent < 400)
            let close = await client.nextClose(timeout: 30)
            #expect(close?.closeCode == 1008)
            #expect(close?.closeReason == "slow consumer")
        }
    }

    /// Each connection alone is far below its own bound; together they spend the worker's,
    /// and once they are closed their bytes are back: a new client is echoed at once.
    @Test func clientsThatNeverReadAreClosedWhenTheWorkersBudgetIsSpentAndGiveItBack() async throws {
        try await withLiveServer(overrides: [
            "ws.send_queue_messages": "100000", "ws.send_queue_bytes": "67108864", "ws.worker_queue_bytes": "1048576",
        ]) { server in
            let message = String(repeating: "w", count: 200_000)
            var clients: [WebSocketTestClient] = []
            for _ in 0..<3 { clients.append(try await WebSocketTestClient.open(port: server.port, path: "/ws/echo", receiveBuffer: 4096)) }
            var rounds = 0
            while rounds < 200, server.logs.records.filter({ $0["reason"] as? String == "slow consumer" }).count < 3 {
                for client in clients { try? await client.sendText(message) }
                rounds += 1
                try await Task.sleep(for: .milliseconds(10))
            }
            for client in clients { #expect(await client.nextClose(timeout: 30)?.closeCode == 1008) }
            let fresh = try await WebSocketTestClient.open(port: server.port, path: "/ws/echo")
            try await fresh.sendText(message)
            #expect(await fresh.next()?.payload.count == 200_006)
        }
    }

    @Test func subscriptionsPerConnectionAreLimitedWithAnErrorFrame() async throws {
        try await withLiveServer(overrides: ["ws.max_subscriptions": "3"]) { server in
            let client = try await WebSocketTestClient.open(port: server.port, path: "/ws/pubsub")
            for topic in ["a", "b", "c", "a"] {
                try await client.sendText(#"{"type":"subscribe","topic":"\#(topic)"}"#)
                #expect(await client.next()?.text == #"{"topic":"\#(topic)","type":"subscribed"}"#)
            }
            try await client.sendText(#"{"type":"subscribe","topic":"d"}"#)
            #expect(await client.next()?.text == #"{"message":"too many subscriptions: at most 3 topics per connection","type":"error"}"#)
            try await client.sendText(#"{"type":"unsubscribe","topic":"b"}"#)
            #expect(await client.next()?.text == #"{"topic":"b","type":"unsubscribed"}"#)
            try await client.sendText(#"{"type":"subscribe","topic":"d"}"#)
            #expect(await client.next()?.text == #"{"topic":"d","type":"subscribed"}"#)
        }
    }

    /// A rate of 2 a second, and 10 messages sent as fast as the client can: only a machine
    /// that took seconds to send them would let them all through.
    @Test func aConnectionPublishingFasterThanThePublishRateIsRefused() async throws {
        try await withLiveServer(overrides: ["ws.publish_rate": "2"]) { server in
            let pubsub = try await WebSocketTestClient.open(port: server.port, path: "/ws/pubsub")
            try await pubsub.sendText(#"{"type":"subscribe","topic":"fast"}"#)
            #expect(await pubsub.next()?.text == #"{"topic":"fast","type":"subscribed"}"#)
            for index in 0..<10 { try await pubsub.sendText(#"{"type":"publish","topic":"fast","data":\#(index)}"#) }
            var replies: [String] = []
            for _ in 0..<10 { replies.append(await pubsub.next()?.text ?? "") }
            #expect(replies.filter { $0.contains(#""type":"message""#) }.count < 10)
            #expect(replies.contains(#"{"message":"publishing too fast: at most 2 messages a second (ws.publish_rate)","type":"error"}"#))

            let broadcast = try await WebSocketTestClient.open(port: server.port, path: "/ws/broadcast", receiveBuffer: 65536)
            for index in 0..<10 { try await broadcast.sendText("b\(index)") }
            let close = await broadcast.nextClose()
            #expect(close?.closeCode == 1008)
            #expect(close?.closeReason == "publishing too fast")
        }
    }

    @Test func idleConnectionsArePingedAndOneThatDoesNotAnswerIsClosed() async throws {
        try await withLiveServer(overrides: ["ws.ping_interval": "1"]) { server in
            let answering = try await WebSocketTestClient.open(port: server.port, path: "/ws/echo")
            let silent = try await WebSocketTestClient.open(port: server.port, path: "/ws/echo")
            // `next` answers pings; three intervals pass with nothing else to read.
            #expect(await answering.next(timeout: 3.5) == nil)
            try await answering.sendText("still open")
            #expect(await answering.next()?.text == "Echo: still open")
            // The silent client reads only now: a ping it never answered, then the close.
            let close = await silent.nextClose()
            #expect(close?.closeCode == 1001)
            #expect(close?.closeReason == "Ping timeout")
        }
    }

    @Test func aGracefulStopClosesEveryWebSocketWith1001() async throws {
        try await withLiveServer { server in
            let client = try await WebSocketTestClient.open(port: server.port, path: "/ws/echo")
            try await client.sendText("still here")
            #expect(await client.next()?.text == "Echo: still here")
            await server.stop()
            let close = await client.nextClose()
            #expect(close?.closeCode == 1001)
            #expect(close?.closeReason == "Server shutting down")
        }
    }

    /// Raw deflate with a sync flush and its last four bytes dropped, as RFC 7692 frames it.
    /// Waits until the hub has `count` subscribers on `topic`: a handshake's `101` is sent
    /// before its session subscribes.
    static func waitForSubscribers(_ count: Int, of topic: String, on server: LiveServer) async throws {
        for _ in 0..<500 {
            if server.app.hub.subscriberCount(topic) >= count { return }
            try await Task.sleep(for: .milliseconds(10))
        }
        throw RawConnection.Failure(description: "\(topic) has fewer than \(count) subscribers")
    }
}
