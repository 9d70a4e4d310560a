import CPosixSpawn
import Glibc

/// Starts child processes with `posix_spawn` — never `fork()` of a threaded process — giving
/// each exactly the descriptors it is handed: standard input, output and error as the caller
/// maps them, then the listed descriptors in order. Everything else is closed in the child,
/// whatever this process opened without `O_CLOEXEC`, and the signals a server handles itself
/// start with their default actions.
public enum Spawner {
    /// A child that could not be started, with the executable and the reason in the message.
    public struct Failure: Error, CustomStringConvertible {
        public let description: String
    }

    /// The signals the master and the workers handle or ignore; a child starts with their defaults.
    static let resetSignals: [Int32] = [SIGTERM, SIGINT, SIGQUIT, SIGHUP, SIGTTIN, SIGTTOU, SIGPIPE, SIGCHLD]

    /// Starts `executable` with `arguments` and this process's environment.
    /// - Parameters:
    ///   - name: the child's `argv[0]`, when not `executable` (which may be `/proc/self/exe`).
    ///   - standard: descriptors of this process to install as the child's 0, 1 and 2; those
    ///     left out are inherited as they are.
    ///   - passed: descriptors of this process to install as the child's 3, 4, … in order.
    /// - Returns: the child's process id.
    public static func spawn(
        _ executable: String, name: String? = nil, arguments: [String], standard: [Int32: Int32] = [:], passed: [Int32] = []
    ) throws(Failure) -> Int32 {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        for (target, source) in standard where (0...2).contains(target) {
            posix_spawn_file_actions_adddup2(&actions, source, target)
        }
        // The copies are made one after another, so a descriptor to pass that is itself one of
        // the targets (a socket systemd passed as 3, shared memory opened after it was moved)
        // would be overwritten before it is copied: each is passed from a duplicate above them all.
        let firstFree = 3 + Int32(passed.count)
        var sources: [Int32] = []
        defer { for source in sources { close(source) } }
        for fd in passed {
            let copy = fcntl(fd, F_DUPFD_CLOEXEC, firstFree)
            guard copy >= 0 else { throw Failure(description: "cannot pass descriptor \(fd) to \(executable): \(String(cString: strerror(errno)))") }
            sources.append(copy)
        }
        for (offset, fd) in sources.enumerated() {
            posix_spawn_file_actions_adddup2(&actions, fd, 3 + Int32(offset))
        }
        portcullis_spawn_closefrom(&actions, firstFree)

        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var defaults = sigset_t()
        sigemptyset(&defaults)
        for signal in resetSignals { sigaddset(&defaults, signal) }
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        var emptyMask = sigset_t()
        sigemptyset(&emptyMask)
        posix_spawnattr_setsigmask(&attributes, &emptyMask)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK))

        let argv = ([name ?? executable] + arguments).map { strdup($0) } + [nil]
        defer { for pointer in argv { free(pointer) } }
        var environment: [UnsafeMutablePointer<CChar>?] = []
        var cursor = environ
        while let entry = cursor.pointee {
            environment.append(strdup(entry))
            cursor += 1
        }
        environment.append(nil)
        defer { for pointer in environment { free(pointer) } }

        var pid: pid_t = 0
        let status = posix_spawn(&pid, executable, &actions, &attributes, argv, environment)
        guard status == 0 else {
            throw Failure(description: "cannot start \(executable): \(String(cString: strerror(status)))")
        }
        return pid
    }

    /// A pipe whose ends are closed on exec, so only a child they are handed to holds one.
    public static func pipe() throws(Failure) -> (read: Int32, write: Int32) {
        var fds: [Int32] = [-1, -1]
        guard portcullis_pipe_cloexec(&fds) == 0 else {
            throw Failure(description: "cannot create a pipe: \(String(cString: strerror(errno)))")
        }
        return (fds[0], fds[1])
    }

    /// Blocks until the child exits; returns its exit status, or 128 + the signal that killed it.
    public static func waitForExit(_ pid: Int32) -> Int32 {
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 {
            if errno != EINTR { return -1 }
        }
        let signal = status & 0x7f
        return signal == 0 ? (status >> 8) & 0xff : 128 + signal
    }
}
