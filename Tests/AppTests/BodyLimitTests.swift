import TestSupport
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import PortcullisApp
import Testing

@Suite struct BodyLimitTests {
    func echoLength(_ builder: inout ApplicationBuilder) {
        var blueprint = Blueprint(name: "echo")
        blueprint.post("echo") { request, _ in
            let body = try await request.body.collect(upTo: .max)
            return Response(status: .ok, body: .init(byteBuffer: ByteBuffer(string: "\(body.readableBytes)")))
        }
        builder.register(blueprint)
    }

    @Test func aBodyAtTheLimitPassesAndOneByteMoreIs413() async throws {
        try await withTestApp(overrides: ["server.max_body_bytes": "64"], customize: echoLength) { client, _, _ in
            try await client.execute(uri: "/echo", method: .post, body: ByteBuffer(repeating: 0x61, count: 64)) { response in
                #expect(response.status == .ok)
                #expect(String(buffer: response.body) == "64")
            }
            try await client.execute(uri: "/echo", method: .post, body: ByteBuffer(repeating: 0x61, count: 65)) { response in
                #expect(response.status == .contentTooLarge)
                let body = json(response.body)
                #expect(body["error"] as? String == "PayloadTooLarge")
                #expect(body["details"] as? [String: Int] == ["limit_bytes": 64])
                #expect(response.headers[.connection] == "close")
            }
        }
    }

    @Test func theLimitAppliesBeforeRoutingToUnknownRoutesToo() async throws {
        try await withTestApp(overrides: ["server.max_body_bytes": "8"]) { client, _, _ in
            try await client.execute(uri: "/nowhere", method: .post, body: ByteBuffer(repeating: 0x61, count: 9)) { response in
                #expect(response.status == .contentTooLarge)
            }
        }
    }
}
