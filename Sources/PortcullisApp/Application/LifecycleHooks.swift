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
/// configuration, in the master before any worker of it starts; shutdown hooks once, in the
/// master after the last worker stopped; before-serving and after-serving hooks in every
/// serving process, around serving.
public struct LifecycleHooks: Sendable {
    public let startup: [LifecycleHook]
    public let shutdown: [LifecycleHook]
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

    /// Runs every shutdown hook in order; a failure is logged and does not stop the others.
    public func runShutdown(logger: Logger) async {
        await runAll(shutdown, logger: logger, failure: "shutdown hook failed")
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
        await runAll(afterServing, logger: logger, failure: "after-serving hook failed")
        return try outcome.get()
    }

    private func runAll(_ hooks: [LifecycleHook], logger: Logger, failure: Logger.Message) async {
        for hook in hooks {
            do {
                logger.debug("running hook", metadata: ["hook": .string(hook.name)])
                try await hook.run()
            } catch {
                logger.error(failure, metadata: ["hook": .string(hook.name), "error": .string("\(error)")])
            }
        }
    }
}
