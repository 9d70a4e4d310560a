import Foundation
import Glibc
import PortcullisPlatform

/// The master's end of one worker's control socket: a thread reads the worker's frames
/// (`ready`, `heartbeat`, `recycle`, and hub messages, which go to the ``Relay``), and once the
/// socket closes — or carries something no worker sends — stops relaying to it and reaps the
/// process.
enum WorkerChannel {
    static func watch(id: Int, pid: Int32, controlFD: Int32, relay: Relay, events: AsyncStream<Master.Event>.Continuation) {
        let thread = Thread {
            var reader = ControlMessage.Reader()
            var buffer = [UInt8](repeating: 0, count: 65536)
            reading: while true {
                let count = read(controlFD, &buffer, buffer.count)
                if count < 0 && errno == EINTR { continue }
                if count <= 0 { break }
                reader.append(buffer[0..<count])
                do {
                    while let message = try reader.next() {
                        switch message {
                        case .ready(let build): events.yield(.ready(id: id, build: build))
                        case .heartbeat(let load): events.yield(.heartbeat(id: id, load: load))
                        case .recycle: events.yield(.recycling(id: id))
                        case .relay: relay.forward(message, from: id)
                        }
                    }
                } catch {
                    break reading
                }
            }
            relay.remove(id)
            close(controlFD)
            events.yield(.exited(id: id, status: Spawner.waitForExit(pid)))
        }
        thread.name = "portcullis-worker-\(id)"
        thread.start()
    }
}
