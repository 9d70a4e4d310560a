import Foundation
import Glibc
import PortcullisPlatform

/// The master's end of one worker's control socket: a thread reads the worker's frames
/// (`ready`, `heartbeat`, `metrics`, `recycle`, and hub messages, which go to the ``Relay``), and once the
/// socket closes — or carries something no worker sends — stops relaying to it and reaps the
/// process.
enum WorkerChannel {
    static func watch(id: Int, pid: Int32, controlFD: Int32, relay: Relay, events: AsyncStream<Master.Event>.Continuation) {
        let thread = Thread {
            // A frame no worker sends ends the reading as the socket's close does.
            try? ControlMessage.read(from: controlFD) { message in
                switch message {
                case .ready(let build): events.yield(.ready(id: id, build: build))
                case .heartbeat(let load): events.yield(.heartbeat(id: id, load: load))
                case .recycle: events.yield(.recycling(id: id))
                case .metrics(let exposition): events.yield(.metrics(id: id, exposition: exposition))
                case .relay: relay.forward(message, from: id)
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
