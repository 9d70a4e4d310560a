import Foundation
import Glibc
import PortcullisPlatform

/// The master's end of one worker's control socket: a thread reads the worker's line
/// messages (`ready`, `heartbeat`, `recycle`), and once the socket closes, reaps the process.
enum WorkerChannel {
    static func watch(id: Int, pid: Int32, controlFD: Int32, events: AsyncStream<Master.Event>.Continuation) {
        let thread = Thread {
            var pending = [UInt8]()
            var buffer = [UInt8](repeating: 0, count: 512)
            while true {
                let count = read(controlFD, &buffer, buffer.count)
                if count < 0 && errno == EINTR { continue }
                if count <= 0 { break }
                pending += buffer[0..<count]
                while let newline = pending.firstIndex(of: 0x0a) {
                    let line = String(decoding: pending[..<newline], as: UTF8.self)
                    pending.removeSubrange(...newline)
                    switch line {
                    case "ready": events.yield(.ready(id: id))
                    case "heartbeat": events.yield(.heartbeat(id: id))
                    case "recycle": events.yield(.recycling(id: id))
                    default: break
                    }
                }
            }
            close(controlFD)
            events.yield(.exited(id: id, status: Spawner.waitForExit(pid)))
        }
        thread.name = "portcullis-worker-\(id)"
        thread.start()
    }
}
