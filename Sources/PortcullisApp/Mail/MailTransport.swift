import PortcullisPlatform

/// Where `send_email` jobs deliver, as `mail.transport` says.
protocol MailTransport: Sendable {
    /// Delivers the message of job `jobID`. Delivering the same job twice (a retry after a lost
    /// lease) should not send it twice where the transport can tell.
    func deliver(_ message: MailMessage, jobID: Int64) async throws
}

enum MailTransports {
    static func make(_ mail: PortcullisConfig.Mail, stateDir: String) -> any MailTransport {
        switch mail.transport {
        case "sendmail": SendmailTransport(path: mail.sendmailPath)
        default: OutboxTransport(directory: stateDir + "/outbox")
        }
    }
}
