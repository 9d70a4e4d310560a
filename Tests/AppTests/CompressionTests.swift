import CompressNIO
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import PortcullisApp
import Testing

@Suite struct CompressionTests {
    /// 20 KiB of JSON, the shape of a list endpoint's page.
    static let page: String = "[" + (0..<400).map { #"{"id":\#($0),"name":"user-\#($0)"}"# }.joined(separator: ",") + "]"
    /// Text that zlib cannot shrink much, so its output spans several 32 KiB windows.
    static let noisy: [String] = (0..<16).map { part in
        var generator = SystemRandomNumberGenerator()
        return (0..<8192).map { _ in String(UInt8.random(in: 0...255, using: &generator), radix: 16) }.joined() + "\(part)"
    }

    static func routes(_ builder: inout ApplicationBuilder) {
        var blueprint = Blueprint(name: "bodies")
        blueprint.get("page") { _, _ in Self.response(Self.page, type: "application/json") }
        blueprint.get("png") { _, _ in Self.response(String(repeating: "P", count: 8192), type: "image/png") }
        blueprint.get("encoded") { _, _ in Self.response(Self.page, type: "application/json", [.contentEncoding: "br"]) }
        blueprint.get("no-transform") { _, _ in Self.response(Self.page, type: "text/plain", [.cacheControl: "no-transform"]) }
        blueprint.get("secret") { _, _ in Self.response(Self.page, type: "application/json", [.cacheControl: "no-transform"]) }
        blueprint.get("varies") { request, _ in
            var response = Self.response(Self.page, type: "application/json")
            response.headers[.vary] = request.uri.queryParameters["vary"].map(String.init)
            return response
        }
        blueprint.get("stream") { _, _ in
            Response(status: .ok, headers: [.contentType: "text/plain"], body: ResponseBody { writer in
                for part in Self.noisy { try await writer.write(ByteBuffer(string: part)) }
                try await writer.finish(nil)
            })
        }
        builder.register(blueprint)
    }

    static func response(_ text: String, type: String, _ extra: HTTPFields = [:]) -> Response {
        var headers: HTTPFields = [.contentType: type]
        headers.append(contentsOf: extra)
        return Response(status: .ok, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(string: text)))
    }

    /// The decoded body, or `nil` when it is not valid `algorithm` data.
    static func decode(_ body: ByteBuffer, _ algorithm: ZlibAlgorithm) -> String? {
        var body = body
        return (try? body.decompress(with: algorithm)).map { String(buffer: $0) }
    }

    @Test func aLargeJSONBodyIsGzippedForAClientThatAcceptsIt() async throws {
        try await withTestApp(customize: Self.routes) { client, _, _ in
            try await client.execute(uri: "/page", method: .get, headers: [.acceptEncoding: "gzip, deflate, br"]) { response in
                #expect(response.status == .ok)
                #expect(response.headers[.contentEncoding] == "gzip")
                #expect(response.headers[.vary] == "Accept-Encoding")
                #expect(response.body.readableBytes < Self.page.utf8.count / 4)
                #expect(Self.decode(response.body, .gzip) == Self.page)
            }
        }
    }

    @Test func deflateIsTheZlibFormat() async throws {
        try await withTestApp(customize: Self.routes) { client, _, _ in
            try await client.execute(uri: "/page", method: .get, headers: [.acceptEncoding: "gzip;q=0.2, deflate"]) { response in
                #expect(response.headers[.contentEncoding] == "deflate")
                #expect(Self.decode(response.body, .zlib) == Self.page)
            }
        }
    }

    @Test func aStreamedBodyIsCompressedWindowByWindow() async throws {
        try await withTestApp(customize: Self.routes) { client, _, _ in
            try await client.execute(uri: "/stream", method: .get, headers: [.acceptEncoding: "gzip"]) { response in
                #expect(response.headers[.contentEncoding] == "gzip")
                #expect(response.body.readableBytes > 32 * 1024)
                #expect(Self.decode(response.body, .gzip) == Self.noisy.joined())
            }
        }
    }

    @Test func withoutAcceptEncodingTheBodyIsSentAsItIsButVaries() async throws {
        try await withTestApp(customize: Self.routes) { client, _, _ in
            for accept in [nil, "identity", "gzip;q=0", "br"] as [String?] {
                var headers = HTTPFields()
                if let accept { headers[.acceptEncoding] = accept }
                try await client.execute(uri: "/page", method: .get, headers: headers) { response in
                    #expect(response.headers[.contentEncoding] == nil)
                    #expect(response.headers[.vary] == "Accept-Encoding")
                    #expect(String(buffer: response.body) == Self.page)
                }
            }
        }
    }

    @Test func tinyBodiesImagesEncodedBodiesAndNoTransformAreLeftAlone() async throws {
        try await withTestApp(customize: Self.routes) { client, _, _ in
            for uri in ["/healthz", "/png", "/encoded", "/no-transform"] {
                try await client.execute(uri: uri, method: .get, headers: [.acceptEncoding: "gzip, deflate"]) { response in
                    #expect(response.status == .ok)
                    #expect(response.headers[.contentEncoding] != "gzip", "\(uri)")
                    #expect(response.headers[.contentEncoding] != "deflate", "\(uri)")
                }
            }
            try await client.execute(uri: "/png", method: .get, headers: [.acceptEncoding: "gzip"]) { response in
                #expect(response.headers[.vary] == nil)
                #expect(response.body.readableBytes == 8192)
            }
            try await client.execute(uri: "/healthz", method: .get, headers: [.acceptEncoding: "gzip"]) { response in
                #expect(response.headers[.vary] == nil, "too small to encode, the same for every client")
                #expect(json(response.body)["status"] as? String == "ok")
            }
            try await client.execute(uri: "/no-transform", method: .get, headers: [.acceptEncoding: "gzip"]) { response in
                #expect(response.headers[.vary] == nil)
            }
        }
    }

    @Test func aJSONRouteCanOptOutWithNoTransformAndStillGetsNoStore() async throws {
        try await withTestApp(customize: Self.routes) { client, _, _ in
            try await client.execute(uri: "/secret", method: .get, headers: [.acceptEncoding: "gzip"]) { response in
                #expect(response.headers[.contentEncoding] == nil)
                #expect(response.headers[.cacheControl] == "no-store, no-transform")
                #expect(String(buffer: response.body) == Self.page)
            }
        }
    }

    @Test func headIsNotEncoded() async throws {
        try await withTestApp(customize: Self.routes) { client, _, _ in
            try await client.execute(uri: "/page", method: .head, headers: [.acceptEncoding: "gzip"]) { response in
                #expect(response.status == .ok)
                #expect(response.headers[.contentEncoding] == nil)
            }
        }
    }

    @Test func theSmallestSizeIsConfigurable() async throws {
        try await withTestApp(overrides: ["server.compression_min_bytes": "0"]) { client, _, _ in
            try await client.execute(uri: "/healthz", method: .get, headers: [.acceptEncoding: "gzip"]) { response in
                #expect(response.headers[.contentEncoding] == "gzip")
                #expect(Self.decode(response.body, .gzip) == #"{"status":"ok"}"#)
            }
        }
    }

    @Test func compressionCanBeTurnedOff() async throws {
        try await withTestApp(overrides: ["server.compression": "false"], customize: Self.routes) { client, _, _ in
            try await client.execute(uri: "/page", method: .get, headers: [.acceptEncoding: "gzip"]) { response in
                #expect(response.headers[.contentEncoding] == nil)
                #expect(response.headers[.vary] == nil)
                #expect(String(buffer: response.body) == Self.page)
            }
        }
    }

    @Test func varyListsOriginAndAcceptEncodingOnce() async throws {
        try await withTestApp(overrides: ["cors.origins": "https://app.example"], customize: Self.routes) { client, _, _ in
            try await client.execute(uri: "/page", method: .get, headers: [.acceptEncoding: "gzip", .origin: "https://app.example"]) { response in
                #expect(response.headers[.contentEncoding] == "gzip")
                #expect(response.headers[values: .vary].sorted() == ["Accept-Encoding", "Origin"])
            }
        }
    }

    @Test func aRoutesOwnVaryIsKeptAndNotRepeated() async throws {
        try await withTestApp(customize: Self.routes) { client, _, _ in
            for (listed, expected) in [
                ("accept-encoding", ["accept-encoding"]), ("Cookie,%20%20ACCEPT-ENCODING", ["Cookie,  ACCEPT-ENCODING"]),
                ("*", ["*"]), ("Cookie", ["Cookie", "Accept-Encoding"]), ("Accept-Encodings", ["Accept-Encodings", "Accept-Encoding"]),
            ] {
                try await client.execute(uri: "/varies?vary=\(listed)", method: .get, headers: [.acceptEncoding: "gzip"]) { response in
                    #expect(response.headers[.contentEncoding] == "gzip")
                    #expect(response.headers[values: .vary] == expected, "\(listed)")
                }
            }
        }
    }
}
