import Foundation
import CPosixSpawn
import Glibc
import Synchronization

/// A child process started with `posix_spawn` and reaped by a thread of its own.
///
/// Foundation's `Process` is not used: on Linux it watches children through one shared
/// thread, which blocks for good when a child such as `systemd-socket-activate` closes the
/// descriptor Foundation tracks it by — and then no other test's process is ever seen to exit.
public final class ChildProcess: Sendable {
    final class ExitState: Sendable {
        let status = Mutex<Int32?>(nil)
    }

    public let pid: Int32
    private let state = ExitState()

    /// Starts `command` in `directory` with exactly `environment`; standard output and error go
    /// to the given descriptors, standard input reads the file `stdin`.
    public init(
        _ command: [String], environment: [String: String], directory: String, stdout: Int32, stderr: Int32, stdin: String = "/dev/null"
    ) throws {
        // `cd` first: posix_spawn has no portable way to set the working directory.
        let argv = ["/bin/sh", "-c", "cd \"$0\" && exec \"$@\"", directory] + command
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, stdin, O_RDONLY, 0)
        posix_spawn_file_actions_adddup2(&actions, stdout, 1)
        posix_spawn_file_actions_adddup2(&actions, stderr, 2)
        // Nothing else of the test runner (its database connections, other tests' sockets)
        // reaches the child: SwiftNIO does not open sockets close-on-exec.
        portcullis_spawn_closefrom(&actions, 3)
        let cArguments = argv.map { strdup($0) } + [nil]
        let cEnvironment = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            for pointer in cArguments { free(pointer) }
            for pointer in cEnvironment { free(pointer) }
        }
        var spawned: pid_t = 0
        let result = posix_spawn(&spawned, "/bin/sh", &actions, nil, cArguments, cEnvironment)
        guard result == 0 else { throw ProcessFailure(description: "cannot start \(command[0]): errno \(result)") }
        let pid = spawned
        self.pid = pid
        let state = self.state
        Thread {
            var raw: Int32 = 0
            while waitpid(pid, &raw, 0) < 0 && errno == EINTR {}
            let signal = raw & 0x7f
            state.status.withLock { $0 = signal == 0 ? (raw >> 8) & 0xff : 128 + signal }
        }.start()
    }

    public var isRunning: Bool { state.status.withLock { $0 == nil } }

    /// The exit status, or 128 + the signal that ended it, once it has exited.
    public var exitStatus: Int32? { state.status.withLock { $0 } }

    public func signal(_ number: Int32) {
        if isRunning { kill(pid, number) }
    }

    /// Waits for the exit; kills the process and throws when `timeout` passes first.
    public func waitForExit(timeout: Duration = .seconds(60)) async throws -> Int32 {
        let deadline = ContinuousClock.now + timeout
        while true {
            if let exitStatus { return exitStatus }
            guard ContinuousClock.now < deadline else {
                kill(pid, SIGKILL)
                throw ProcessFailure(description: "process \(pid) did not exit in time")
            }
            try await Task.sleep(for: .milliseconds(20))
        }
    }
}

/// A pipe whose both ends are close-on-exec, so other children do not inherit them.
func closeOnExecPipe() throws -> (read: Int32, write: Int32) {
    var fds: [Int32] = [0, 0]
    guard pipe(&fds) == 0 else { throw ProcessFailure(description: "pipe failed: errno \(errno)") }
    for fd in fds { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
    return (fds[0], fds[1])
}
