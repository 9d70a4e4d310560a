import Foundation
import PortcullisJobs

/// `send_email`: delivers `{to, subject, body}` from `mail.from` through the configured
/// transport. The Message-ID is the job's, the same on every attempt.
enum SendEmailJob {
    static let kind = "send_email"

    static func handler(transport: any MailTransport, from: String, transportName: String) -> JobHandler {
        let host = ProcessInfo.processInfo.hostName
        return JobHandler(kind: kind) { context in
            guard case .object(let fields) = context.payload, case .string(let to)? = fields["to"],
                case .string(let subject)? = fields["subject"], case .string(let body)? = fields["body"]
            else { throw JobFailure("the job's payload is not an email", permanent: true) }
            let messageID = "job-\(context.id)@\(host)"
            let message = MailMessage(from: from, to: to, subject: subject, body: body, messageID: messageID, date: Date())
            try await transport.deliver(message, jobID: context.id)
            return ["message_id": .string(messageID), "transport": .string(transportName)]
        }
    }
}
