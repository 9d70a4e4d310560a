import AsyncHTTPClient
import Foundation
import NIOSSL
import TestSupport
import Testing

/// TLS served by the master's workers: side by side with plain HTTP, and certificates re-read on HUP.
@Suite struct TLSProcessTests {
    func client(trusting pem: String) throws -> HTTPClient {
        var tls = TLSConfiguration.makeClientConfiguration()
        tls.trustRoots = .certificates([try NIOSSLCertificate(bytes: Array(pem.utf8), format: .pem)])
        return HTTPClient(eventLoopGroupProvider: .singleton, configuration: HTTPClient.Configuration(tlsConfiguration: tls))
    }

    @Test func plainAndTLSListenersServeSideBySideAndHUPRereadsTheCertificate() async throws {
        try await withTemporaryDirectory { directory in
            let first = try TestCertificates.makeChain()
            let (file, tlsPort) = try writeTLSConfig(first, in: directory)
            let serve = try ServeProcess(["--config", file, "--listen", "127.0.0.1:0"], environment: serveEnvironment(directory), in: directory.path)
            let plainPort = try await serve.waitForPort()
            try await MasterProcessTests.waitFor(serve) { !MasterProcessTests.masterMessages($0, "ready").isEmpty }

            let plain = try await HTTPClient.shared.execute(HTTPClientRequest(url: "http://127.0.0.1:\(plainPort)/healthz"), timeout: .seconds(10))
            #expect(plain.status == .ok)
            #expect(plain.headers.first(name: "Strict-Transport-Security") == nil)
            let firstClient = try client(trusting: first.caPEM)
            defer { _ = firstClient.shutdown() }
            let secure = try await firstClient.execute(HTTPClientRequest(url: "https://localhost:\(tlsPort)/healthz"), timeout: .seconds(10))
            #expect(secure.status == .ok)
            #expect(secure.headers.first(name: "Strict-Transport-Security") != nil)

            // A key that does not match is refused on HUP; the old certificate keeps serving.
            let second = try TestCertificates.makeChain()
            try directory.write("server.key", second.leaf.keyPEM)
            serve.signal(SIGHUP)
            try await MasterProcessTests.waitFor(serve) { records in
                MasterProcessTests.masterMessages(records, "reload refused").contains { $0["key"] as? String == "tls.key_file" }
            }
            #expect(try await firstClient.execute(HTTPClientRequest(url: "https://localhost:\(tlsPort)/healthz"), timeout: .seconds(10)).status == .ok)

            // Both files replaced: the new generation serves the new certificate.
            try directory.write("server.pem", second.leaf.certificatePEM)
            serve.signal(SIGHUP)
            try await MasterProcessTests.waitFor(serve) { !MasterProcessTests.masterMessages($0, "reloaded").isEmpty }
            let secondClient = try client(trusting: second.caPEM)
            defer { _ = secondClient.shutdown() }
            #expect(try await secondClient.execute(HTTPClientRequest(url: "https://localhost:\(tlsPort)/healthz"), timeout: .seconds(10)).status == .ok)

            serve.signal(SIGTERM)
            #expect(try await serve.waitForExit() == 0)
        }
    }
}
