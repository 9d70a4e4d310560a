import Dispatch
import Glibc
import PortcullisJobs
import PortcullisPlatform

/// Pipes each message to a sendmail-compatible program (`mail.sendmail_path`; Debian's MTAs —
/// Postfix, Exim, msmtp-mta — all install `/usr/sbin/sendmail`), as
/// `sendmail -i -f <from> -- <to>`. Its exit status decides: 0 delivered, anything else a
/// failure the job retries, with the program's first line of output in the job's error.
/// A program still running after ``timeout`` is killed.
struct SendmailTransport: MailTransport {
    let path: String
    static let timeout = Duration.seconds(60)

    func deliver(_ message: MailMessage, jobID: Int64) async throws {
        let input: (read: Int32, write: Int32)
        let output: (read: Int32, write: Int32)
        let pid: Int32
        do {
            input = try Spawner.pipe()
            do {
                output = try Spawner.pipe()
            } catch {
                close(input.read)
                close(input.write)
                throw error
            }
            do {
                pid = try Spawner.spawn(
                    path, arguments: ["-i", "-f", message.from, "--", message.to],
                    standard: [0: input.read, 1: output.write, 2: output.write]
                )
            } catch {
                for fd in [input.read, input.write, output.read, output.write] { close(fd) }
                throw error
            }
        } catch {
            throw JobFailure("\(error)")
        }
        close(input.read)
        close(output.write)
        let run = Run(pid: pid, stdin: input.write, stdout: output.read, message: message.rendered(.lf))
        let (status, printed) = await withTaskCancellationHandler {
            await withTaskGroup(of: (Int32, String)?.self) { group in
                group.addTask { await run.finish() }
                group.addTask {
                    guard (try? await Task.sleep(for: Self.timeout)) != nil else { return nil }
                    kill(pid, SIGKILL)
                    return nil
                }
                var outcome: (Int32, String) = (-1, "")
                while let next = await group.next() {
                    guard let next else { continue }
                    outcome = next
                    group.cancelAll()
                }
                return outcome
            }
        } onCancel: {
            kill(pid, SIGKILL)
        }
        guard status == 0 else {
            let reason = status > 128 ? "was killed (signal \(status - 128))" : "exited with status \(status)"
            throw JobFailure("sendmail \(reason)" + (printed.isEmpty ? "" : ": \(printed)"))
        }
    }

    /// A started sendmail: feeds it the message, reads what it prints, waits for it to exit.
    private struct Run: Sendable {
        let pid: Int32
        let stdin: Int32
        let stdout: Int32
        let message: [UInt8]

        /// The exit status and the first line the program printed (at most 200 characters).
        func finish() async -> (Int32, String) {
            // Queues of their own, which get threads of their own: the global queue has one
            // thread per CPU, and a few transports blocked on their programs would stall it.
            await withCheckedContinuation { continuation in
                DispatchQueue(label: "portcullis-sendmail-drain").async {
                    let group = DispatchGroup()
                    DispatchQueue(label: "portcullis-sendmail-feed").async(group: group) { feed() }
                    let printed = drain()
                    group.wait()
                    continuation.resume(returning: (Spawner.waitForExit(pid), printed))
                }
            }
        }

        /// Writes the message with SIGPIPE blocked on this thread: a program that exits without
        /// reading all of it makes the write fail with EPIPE instead of killing the process, and
        /// the signal left pending is taken before the thread goes back to its pool.
        private func feed() {
            var pipeSignal = sigset_t()
            sigemptyset(&pipeSignal)
            sigaddset(&pipeSignal, SIGPIPE)
            var previous = sigset_t()
            pthread_sigmask(SIG_BLOCK, &pipeSignal, &previous)
            var written = 0
            var broken = false
            while written < message.count {
                let count = message[written...].withUnsafeBytes { write(stdin, $0.baseAddress, $0.count) }
                if count < 0 && errno == EINTR { continue }
                guard count > 0 else {
                    broken = errno == EPIPE
                    break
                }
                written += count
            }
            close(stdin)
            if broken {
                var immediately = timespec(tv_sec: 0, tv_nsec: 0)
                _ = sigtimedwait(&pipeSignal, nil, &immediately)
            }
            pthread_sigmask(SIG_SETMASK, &previous, nil)
        }

        private func drain() -> String {
            var kept: [UInt8] = []
            var buffer = [UInt8](repeating: 0, count: 4096)
            while true {
                let count = buffer.withUnsafeMutableBytes { read(stdout, $0.baseAddress, $0.count) }
                if count < 0 && errno == EINTR { continue }
                guard count > 0 else { break }
                if kept.count < 4096 { kept += buffer[0..<min(count, 4096 - kept.count)] }
            }
            close(stdout)
            let text = String(decoding: kept, as: UTF8.self)
            let first = text.split(whereSeparator: \.isNewline).first.map(String.init) ?? ""
            return String(first.prefix(200))
        }
    }
}
