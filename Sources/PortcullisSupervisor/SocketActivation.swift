import CSystemd
import Glibc

/// The listening sockets systemd passed (`LISTEN_FDS`, `LISTEN_PID`, `LISTEN_FDNAMES`), read
/// through libsystemd. Empty when the process was not socket-activated.
enum SocketActivation {
    struct Passed {
        let descriptor: Int32
        let name: String
    }

    /// Takes the passed descriptors and unsets the variables, so workers do not see them.
    static func takePassedSockets() -> [Passed] {
        var names: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?
        let count = sd_listen_fds_with_names(1, &names)
        guard count > 0 else { return [] }
        defer {
            if let names {
                for index in 0..<Int(count) { free(names[index]) }
                free(names)
            }
        }
        return (0..<Int(count)).map { index in
            let name = names?[index].map { String(cString: $0) } ?? "unknown"
            return Passed(descriptor: SD_LISTEN_FDS_START + Int32(index), name: name)
        }
    }
}
