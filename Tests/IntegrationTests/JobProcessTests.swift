import AsyncHTTPClient
import Foundation
import NIOCore
import TestSupport
import Testing

/// Durable jobs across worker processes of the built binary: competing workers deliver each
/// email exactly once, and a worker killed with SIGKILL loses none of the jobs it held. One
/// at a time: each runs three processes and a sendmail per message.
@Suite(.serialized) struct JobProcessTests {
    /// A sendmail stand-in that takes `pause` seconds per message and leaves each delivery as
    /// a file named after the recipient and its own pid in `deliveries`.
    static func sendmail(in directory: TemporaryDirectory, pause: String) throws -> (program: String, deliveries: String) {
        let deliveries = directory.path + "/deliveries"
        try FileManager.default.createDirectory(atPath: deliveries, withIntermediateDirectories: true)
        let program = try directory.write("sendmail", "#!/bin/sh\nsleep \(pause)\ncat > \"\(deliveries)/$5.$$\"\n", mode: 0o755)
        return (program, deliveries)
    }

    /// `serve --workers 2` sending mail through the stand-in, with a user signed up and logged in.
    static func serve(
        _ directory: TemporaryDirectory, _ database: TestDatabase, sendmailPause: String, _ extra: [String: String]
    ) async throws -> (serve: ServeProcess, port: Int, token: String, deliveries: String) {
        let mail = try sendmail(in: directory, pause: sendmailPause)
        let environment = DatabaseProcessTests.environment(directory, database, [
            "PORTCULLIS_MAIL_TRANSPORT": "sendmail", "PORTCULLIS_MAIL_SENDMAIL_PATH": mail.program,
        ].merging(extra) { $1 })
        let serve = try ServeProcess(["--listen", "127.0.0.1:0", "--workers", "2"], environment: environment, in: directory.path)
        let port = try await MasterProcessTests.waitUntilReady(serve)
        return (serve, port, try await token(port), mail.deliveries)
    }

    /// Signs up and logs in through the server; returns the bearer header value.
    static func token(_ port: Int) async throws -> String {
        let created = try await DatabaseProcessTests.post(port, "/users", #"{"username":"jobber","email":"jobber@example.com","password":"correct horse"}"#)
        #expect(created.status == .created)
        let login = try await DatabaseProcessTests.post(port, "/auth/login", #"{"username":"jobber","password":"correct horse"}"#)
        let body = try await login.body.collect(upTo: 1 << 16)
        let json = try JSONSerialization.jsonObject(with: Data(body.readableBytesView)) as? [String: Any]
        return "Bearer " + (json?["access_token"] as? String ?? "")
    }

    /// Queues one email per recipient, four requests at a time; returns recipient → job id.
    static func queueEmails(_ port: Int, token: String, to recipients: [String]) async throws -> [String: Int] {
        try await withThrowingTaskGroup(of: (String, Int).self) { group in
            var pending = recipients[...]
            var ids: [String: Int] = [:]
            func next() {
                guard let recipient = pending.popFirst() else { return }
                group.addTask {
                    let reply = try await DatabaseProcessTests.post(
                        port, "/send-email", #"{"to":"\#(recipient)","subject":"Report","body":"Ready."}"#, headers: [("Authorization", token)]
                    )
                    let body = try await reply.body.collect(upTo: 1 << 16)
                    let json = try JSONSerialization.jsonObject(with: Data(body.readableBytesView)) as? [String: Any]
                    guard reply.status == .accepted, let id = json?["job_id"] as? Int else {
                        throw ProcessFailure(description: "send-email answered \(reply.status): \(String(buffer: body))")
                    }
                    return (recipient, id)
                }
            }
            for _ in 0..<4 { next() }
            while let (recipient, id) = try await group.next() {
                ids[recipient] = id
                next()
            }
            return ids
        }
    }

    /// `GET /jobs/{id}` as JSON.
    static func job(_ port: Int, _ id: Int, token: String) async throws -> [String: Any] {
        var request = HTTPClientRequest(url: "http://127.0.0.1:\(port)/jobs/\(id)")
        request.headers.add(name: "Authorization", value: token)
        let reply = try await HTTPClient.shared.execute(request, timeout: .seconds(10))
        let body = try await reply.body.collect(upTo: 1 << 16)
        return try JSONSerialization.jsonObject(with: Data(body.readableBytesView)) as? [String: Any] ?? [:]
    }

    /// Waits until every job has succeeded (or `timeout` passes); returns each job's JSON.
    static func waitForAll(_ port: Int, _ ids: [Int], token: String, timeout: Duration = .seconds(60)) async throws -> [Int: [String: Any]] {
        let deadline = ContinuousClock.now + timeout
        var jobs: [Int: [String: Any]] = [:]
        while true {
            for id in ids where jobs[id]?["state"] as? String != "succeeded" { jobs[id] = try await job(port, id, token: token) }
            if jobs.values.allSatisfy({ $0["state"] as? String == "succeeded" }) || ContinuousClock.now > deadline { return jobs }
            try await Task.sleep(for: .milliseconds(100))
        }
    }

    /// Recipient → how many times the stand-in delivered to them.
    static func deliveries(in directory: String) throws -> [String: Int] {
        try FileManager.default.contentsOfDirectory(atPath: directory).reduce(into: [:]) { counts, name in
            counts[String(name[..<(name.lastIndex(of: ".") ?? name.endIndex)]), default: 0] += 1
        }
    }

    @Test("two worker processes share the jobs, and each email is delivered exactly once", arguments: DatabaseBackend.allCases)
    func workersShareTheJobs(backend: DatabaseBackend) async throws {
        try await withTemporaryDirectory { directory in
            try await TestDatabase.with(backend, in: directory) { database in
                let (serve, port, token, deliveries) = try await Self.serve(
                    directory, database, sendmailPause: "0.1", ["PORTCULLIS_JOBS_CONCURRENCY": "2"]
                )
                let recipients = (0..<60).map { "r\($0)@example.com" }
                let ids = try await Self.queueEmails(port, token: token, to: recipients)
                let jobs = try await Self.waitForAll(port, Array(ids.values), token: token)

                #expect(jobs.values.filter { $0["state"] as? String == "succeeded" }.count == recipients.count)
                #expect(jobs.values.allSatisfy { $0["attempts"] as? Int == 1 })
                let delivered = try Self.deliveries(in: deliveries)
                #expect(delivered.keys.sorted() == recipients.sorted())
                #expect(delivered.values.allSatisfy { $0 == 1 }, "\(delivered.filter { $0.value != 1 })")
                // A worker logs the success after committing it, so the line may trail the state.
                try await MasterProcessTests.waitFor(serve, timeout: .seconds(10)) { records in
                    records.filter { $0["msg"] as? String == "job succeeded" }.count >= recipients.count
                }
                let succeeded = serve.records.filter { $0["msg"] as? String == "job succeeded" }
                #expect(succeeded.count == recipients.count)
                #expect(Set(succeeded.compactMap { $0["worker"] as? Int }) == [0, 1], "both workers ran jobs")
                serve.signal(SIGTERM)
                #expect(try await serve.waitForExit() == 0)
            }
        }
    }

    @Test("kill -9 of a worker holding jobs: none is lost, and only those it held can run twice", arguments: DatabaseBackend.allCases)
    func killedWorkerLosesNoJob(backend: DatabaseBackend) async throws {
        try await withTemporaryDirectory { directory in
            try await TestDatabase.with(backend, in: directory) { database in
                let (serve, port, token, deliveries) = try await Self.serve(
                    directory, database, sendmailPause: "0.3", ["PORTCULLIS_JOBS_CONCURRENCY": "4", "PORTCULLIS_JOBS_LEASE_SECONDS": "5"]
                )
                let recipients = (0..<40).map { "k\($0)@example.com" }
                let ids = try await Self.queueEmails(port, token: token, to: recipients)

                // Kill the worker that started a job which has not finished yet.
                var victim: Int?
                try await MasterProcessTests.waitFor(serve) { records in
                    let finished = Set(records.filter { $0["msg"] as? String == "job succeeded" }.compactMap { $0["job_id"] as? String })
                    victim = records.first { $0["msg"] as? String == "job started" && !finished.contains($0["job_id"] as? String ?? "") }?["pid"] as? Int
                    return victim != nil
                }
                let pid = try #require(victim)
                #expect(kill(Int32(pid), SIGKILL) == 0)

                let jobs = try await Self.waitForAll(port, Array(ids.values), token: token)
                let lost = jobs.values.filter { $0["state"] as? String != "succeeded" }.count
                let delivered = try Self.deliveries(in: deliveries)
                let duplicated = delivered.values.reduce(0, +) - recipients.count
                let rerun = Set(jobs.filter { ($0.value["attempts"] as? Int ?? 0) > 1 }.map { "\($0.key)" })
                // What the killed worker held: the jobs it started and never finished (its log ends at the kill).
                let byVictim = serve.records.filter { $0["pid"] as? Int == pid }
                let held = Set(byVictim.filter { $0["msg"] as? String == "job started" }.compactMap { $0["job_id"] as? String })
                    .subtracting(byVictim.filter { $0["msg"] as? String == "job succeeded" }.compactMap { $0["job_id"] as? String })
                print("kill -9 of worker pid \(pid): jobs held \(held.count), lost \(lost), re-run \(rerun.count), delivered twice \(duplicated)")
                #expect(lost == 0)
                #expect(delivered.keys.sorted() == recipients.sorted(), "every email was delivered")
                // Only jobs the killed worker had claimed can run again: at most jobs.concurrency.
                // (Its log is no exact account: the kill can fall between a claim and its "job
                // started", or between a success and its line.)
                #expect(rerun.count <= 4, "\(rerun)")
                #expect(duplicated <= rerun.count)
                #expect(MasterProcessTests.masterMessages(serve.records, "worker died").count == 1)
                #expect(MasterProcessTests.masterMessages(serve.records, "worker started").count == 3, "the master replaced it")
                serve.signal(SIGTERM)
                #expect(try await serve.waitForExit() == 0)
            }
        }
    }
}
