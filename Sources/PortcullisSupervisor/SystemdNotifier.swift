import CSystemd
import Glibc

/// Tells systemd how the service is doing through libsystemd's `sd_notify`, when it runs
/// under a unit with `NOTIFY_SOCKET` set; otherwise every call does nothing.
struct SystemdNotifier {
    /// The watchdog interval: half of `WATCHDOG_USEC`, nil when the unit has no watchdog.
    let watchdogInterval: Duration?

    init() {
        var microseconds: UInt64 = 0
        watchdogInterval = sd_watchdog_enabled(0, &microseconds) > 0 ? .microseconds(Int64(microseconds / 2)) : nil
    }

    /// - Parameter note: added to the status line, such as why the last reload failed; only its
    ///   first line and at most 200 characters, since a notification is one datagram of lines.
    func ready(workers: Int, generation: Int, note: String? = nil) {
        let shown = note.map { "; " + String(($0.split(whereSeparator: \.isNewline).first ?? "").prefix(200)) } ?? ""
        send("READY=1\nSTATUS=serving with \(workers) worker(s), generation \(generation)" + shown)
    }

    func reloading() {
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        let microseconds = UInt64(now.tv_sec) * 1_000_000 + UInt64(now.tv_nsec) / 1000
        send("RELOADING=1\nMONOTONIC_USEC=\(microseconds)\nSTATUS=reloading")
    }

    func stopping() {
        send("STOPPING=1\nSTATUS=stopping")
    }

    /// One watchdog ping; sent from the master's loop, so a wedged loop stops the pings.
    func watchdog() {
        send("WATCHDOG=1")
    }

    private func send(_ state: String) {
        _ = sd_notify(0, state)
    }
}
