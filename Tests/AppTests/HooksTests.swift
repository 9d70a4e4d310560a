import Foundation
import TestSupport
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import PortcullisApp
import PortcullisHTTP
import PortcullisPlatform
import Testing

@Suite struct HooksTests {
    @Test func requestHooksRunGlobalThenBlueprintAroundTheHandlerAndOnlyForTheirBlueprint() async throws {
        let trail = Trail()
        try await withTestApp(customize: { builder in
            builder.beforeRequest { _, _ in trail.add("global before") }
            builder.afterRequest { _, _, response in
                trail.add("global after")
                response.headers[HTTPField.Name("X-Global")!] = "1"
            }
            var a = Blueprint(name: "a", prefix: "/a")
            a.beforeRequest { _, context in
                trail.add("a before")
                context.requestID = context.requestID + "-seen-by-a"
            }
            a.afterRequest { _, _, _ in trail.add("a after") }
            a.get("x") { _, context in
                trail.add("a handler \(context.requestID.hasSuffix("-seen-by-a"))")
                return Response(status: .ok)
            }
            var b = Blueprint(name: "b", prefix: "/b")
            b.beforeRequest { _, _ in trail.add("b before") }
            b.get("y") { _, _ in
                trail.add("b handler")
                return Response(status: .ok)
            }
            builder.register(a)
            builder.register(b)
        }) { client, _, _ in
            try await client.execute(uri: "/a/x", method: .get) { response in
                #expect(response.status == .ok)
                #expect(response.headers[HTTPField.Name("X-Global")!] == "1")
            }
            try await client.execute(uri: "/b/y", method: .get) { _ in }
        }
        #expect(trail.all == [
            "global before", "a before", "a handler true", "a after", "global after",
            "global before", "b before", "b handler", "global after",
        ])
    }

    @Test func aBeforeRequestHookCanRefuseWithATypedError() async throws {
        try await withTestApp(customize: { builder in
            var admin = Blueprint(name: "admin", prefix: "/admin")
            admin.beforeRequest { _, _ in throw APIError.forbidden("Admins only.") }
            admin.get("panel") { _, _ in Response(status: .ok) }
            builder.register(admin)
        }) { client, _, _ in
            try await client.execute(uri: "/admin/panel", method: .get) { response in
                #expect(response.status == .forbidden)
                #expect(json(response.body)["message"] as? String == "Admins only.")
            }
        }
    }

    struct StartupFailed: Error {}

    @Test func lifecycleHooksRunInOrderAndAfterServingRunsWhenStartupFailsHalfWay() async throws {
        let trail = Trail()
        let capture = LogCapture()
        let config = try PortcullisConfig.testing(stateDir: "/tmp/portcullis-hooks-test")
        let loggers = LoggerFactory(config: config, sink: capture)
        func build(failing: Bool) throws -> PortcullisApplication {
            try AppFactory.makeApplication(config: config, loggers: loggers) { builder in
                builder.beforeServing("open a") { trail.add("before a") }
                builder.beforeServing("open b") {
                    trail.add("before b")
                    if failing { throw StartupFailed() }
                }
                builder.beforeServing("open c") { trail.add("before c") }
                builder.afterServing("close 1") { trail.add("after 1") }
                builder.afterServing("close 2") { trail.add("after 2") }
            }
        }
        try await build(failing: false).lifecycle.run(logger: loggers.logger("test")) { trail.add("serve") }
        #expect(trail.all == ["before a", "before b", "before c", "serve", "after 1", "after 2"])

        let failed = Trail()
        await #expect(throws: StartupFailed.self) {
            try await build(failing: true).lifecycle.run(logger: loggers.logger("test")) { failed.add("serve") }
        }
        #expect(failed.all.isEmpty)
        #expect(Array(trail.all.suffix(4)) == ["before a", "before b", "after 1", "after 2"])
    }

    @Test func startupHooksRunInOrderAndTheFirstFailureStopsThemByName() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let config = try PortcullisConfig.testing(stateDir: directory.path + "/state")
        let loggers = LoggerFactory(config: config, sink: LogCapture())
        let trail = Trail()
        let app = try AppFactory.makeApplication(config: config, loggers: loggers) { builder in
            Self.addThreeHooksFailingInTheMiddle(trail) { builder.atStartup($0, $1) }
            builder.beforeServing("per worker") { trail.add("per worker") }
        }
        do {
            try await app.lifecycle.runStartup(logger: loggers.logger("test"))
            Issue.record("a failing start-up hook must throw")
        } catch {
            #expect(error.hook == "b")
            #expect(error.description.hasPrefix("start-up hook \"b\" failed"))
        }
        #expect(trail.all == ["a", "b"])
        #expect(FileManager.default.fileExists(atPath: directory.path + "/state"), "the product's own start-up hook ran first")
    }

    @Test func shutdownHooksAllRunInOrderAndAFailureIsLoggedNotFatal() async throws {
        let config = try PortcullisConfig.testing(stateDir: "/tmp/portcullis-hooks-test", overrides: ["log.format": "json"])
        let capture = LogCapture()
        let loggers = LoggerFactory(config: config, sink: capture)
        let trail = Trail()
        let app = try AppFactory.makeApplication(config: config, loggers: loggers) { builder in
            Self.addThreeHooksFailingInTheMiddle(trail) { builder.atShutdown($0, $1) }
        }
        await app.lifecycle.runShutdown(logger: loggers.logger("test"))
        #expect(trail.all == ["a", "b", "c"])
        #expect(capture.records.contains { $0["msg"] as? String == "shutdown hook failed" && $0["hook"] as? String == "b" })
    }

    /// Registers hooks "a", "b" and "c" with `add`; each notes its name in `trail`, and "b" throws.
    static func addThreeHooksFailingInTheMiddle(_ trail: Trail, _ add: (String, @escaping @Sendable () async throws -> Void) -> Void) {
        for name in ["a", "b", "c"] {
            add(name) {
                trail.add(name)
                if name == "b" { throw StartupFailed() }
            }
        }
    }
}
