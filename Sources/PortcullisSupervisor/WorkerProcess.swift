import CPosixSpawn
import Glibc

/// Starts a worker by re-executing this binary with `posix_spawn` — never `fork()` of a
/// threaded process — with its control socket at descriptor 3 and the listening sockets at
/// 4, 5, … in the order given. Every other descriptor above standard error is closed in the
/// worker, whatever the master inherited or opened without `O_CLOEXEC`.
enum WorkerProcess {
    struct SpawnError: Error, CustomStringConvertible {
        let description: String
    }

    /// The signals the master handles itself; the worker starts with their default actions.
    static let resetSignals: [Int32] = [SIGTERM, SIGINT, SIGQUIT, SIGHUP, SIGTTIN, SIGTTOU, SIGPIPE, SIGCHLD]

    static func spawn(executable: String, arguments: [String], controlFD: Int32, listeners: [Int32]) throws(SpawnError) -> Int32 {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, controlFD, 3)
        for (offset, fd) in listeners.enumerated() {
            posix_spawn_file_actions_adddup2(&actions, fd, 4 + Int32(offset))
        }
        portcullis_spawn_closefrom(&actions, 4 + Int32(listeners.count))

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

        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
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
            throw SpawnError(description: "cannot start a worker from \(executable): \(String(cString: strerror(status)))")
        }
        return pid
    }

    /// Blocks until the process exits; returns its exit status, or 128 + the signal that killed it.
    static func waitForExit(_ pid: Int32) -> Int32 {
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 {
            if errno != EINTR { return -1 }
        }
        let signal = status & 0x7f
        return signal == 0 ? (status >> 8) & 0xff : 128 + signal
    }
}
