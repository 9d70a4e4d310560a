public import Logging

/// A named piece of start-up or shut-down work.
public struct LifecycleHook: Sendable {
    public let name: String
    public let run: @Sendable () async throws -> Void

    public init(name: String, run: @escaping @Sendable () async throws -> Void) {
        self.name = name
        self.run = run
    }
}

/// A start-up hook that failed, by name.
public struct StartupHookError: Error, CustomStringConvertible {
    public let hook: String
    public let underlying: any Error
    public var description: String { "start-up hook \"\(hook)\" failed: \(underlying)" }
}

/// The app's lifecycle hooks, each list run in registration order: start-up hooks once per
/// configuration, in the master before any worker of it starts; before-serving and
/// after-serving hooks in every serving process, around serving.
public struct LifecycleHooks: Sendable {
    public let startup: [LifecycleHook]
    public let beforeServing: [LifecycleHook]
    public let afterServing: [LifecycleHook]

    /// Runs the start-up hooks in order; the first failure stops them and is thrown, named.
    public func runStartup(logger: Logger) async throws(StartupHookError) {
        for hook in startup {
            logger.info("start-up hook", metadata: ["hook": .string(hook.name)])
            do {
                try await hook.run()
            } catch {
                throw StartupHookError(hook: hook.name, underlying: error)
            }
        }
    }

    /// Runs the before-serving hooks in order, then `serve`, then every after-serving hook in
    /// order — also when a before-serving hook or `serve` failed, so what was opened is closed.
    /// An after-serving hook's failure is logged and does not stop the others.
    public func run<Result: Sendable>(logger: Logger, serve: () async throws -> Result) async throws -> Result {
        let outcome: Swift.Result<Result, any Error>
        do {
            for hook in beforeServing {
                logger.debug("before serving", metadata: ["hook": .string(hook.name)])
                try await hook.run()
            }
            outcome = .success(try await serve())
        } catch {
            outcome = .failure(error)
        }
        for hook in afterServing {
            do {
                logger.debug("after serving", metadata: ["hook": .string(hook.name)])
                try await hook.run()
            } catch {
                logger.error("after-serving hook failed", metadata: ["hook": .string(hook.name), "error": .string("\(error)")])
            }
        }
        return try outcome.get()
    }
}
