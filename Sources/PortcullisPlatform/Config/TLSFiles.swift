import Foundation
import X509

/// Checks the TLS certificate and key before they are used: readable, PEM, matching, in date.
enum TLSFiles {
    struct Failure: Sendable, Equatable {
        enum File: Sendable { case certificate, key }
        let file: File
        let message: String
    }

    /// TLS files are checked in every profile: a server cannot serve TLS with broken ones.
    static func problems(in settings: ResolvedSettings) -> [ConfigProblem] {
        let certFile = settings[Settings.tlsCertFile]
        let keyFile = settings[Settings.tlsKeyFile]
        guard !certFile.isEmpty || !keyFile.isEmpty else { return [] }
        return check(certificatePath: certFile, keyPath: keyFile).map { failure in
            let setting = failure.file == .certificate ? Settings.tlsCertFile : Settings.tlsKeyFile
            return ConfigProblem(.error, key: setting.key, layer: settings.entry(setting)?.layer ?? .default, failure.message)
        }
    }

    /// Every way the pair fails: unreadable, not PEM, not matching each other, out of date.
    static func check(certificatePath: String, keyPath: String, now: Date = Date()) -> [Failure] {
        var failures: [Failure] = []
        guard !certificatePath.isEmpty else { return [Failure(file: .certificate, message: "is missing while tls.key_file is set")] }
        guard !keyPath.isEmpty else { return [Failure(file: .key, message: "is missing while tls.cert_file is set")] }

        var certificate: Certificate?
        switch readText(certificatePath) {
        case .failure(let why): failures.append(Failure(file: .certificate, message: why.message))
        case .success(let pem):
            do {
                certificate = try Certificate(pemEncoded: pem)
            } catch {
                failures.append(Failure(file: .certificate, message: "\(certificatePath) is not a PEM certificate"))
            }
        }
        var key: Certificate.PrivateKey?
        switch readText(keyPath) {
        case .failure(let why): failures.append(Failure(file: .key, message: why.message))
        case .success(let pem):
            do {
                key = try Certificate.PrivateKey(pemEncoded: pem)
            } catch {
                failures.append(Failure(file: .key, message: "\(keyPath) is not a PEM private key (RSA, ECDSA or Ed25519)"))
            }
        }
        if let certificate {
            if certificate.notValidAfter < now {
                failures.append(Failure(file: .certificate, message: "\(certificatePath) expired on \(certificate.notValidAfter)"))
            } else if certificate.notValidBefore > now {
                failures.append(Failure(file: .certificate, message: "\(certificatePath) is not valid before \(certificate.notValidBefore)"))
            }
            if let key, key.publicKey != certificate.publicKey {
                failures.append(Failure(file: .key, message: "\(keyPath) does not match the certificate in \(certificatePath)"))
            }
        }
        return failures
    }

    /// Why the CA bundle at `path` cannot be used, or nil: it must hold at least one PEM
    /// certificate and nothing that fails to parse as one.
    static func caBundleProblem(_ path: String) -> String? {
        switch readText(path) {
        case .failure(let why): return why.message
        case .success(let pem):
            let end = "-----END CERTIFICATE-----"
            let blocks = pem.split(separator: end, omittingEmptySubsequences: true)
                .compactMap { text in text.range(of: "-----BEGIN").map { String(text[$0.lowerBound...]) + end } }
            guard !blocks.isEmpty else { return "\(path) holds no PEM certificate" }
            for (index, block) in blocks.enumerated() where (try? Certificate(pemEncoded: block)) == nil {
                return "\(path): certificate \(index + 1) is not a valid PEM certificate"
            }
            return nil
        }
    }

    private static func readText(_ path: String) -> Result<String, ReadFailure> {
        guard let data = FileManager.default.contents(atPath: path) else {
            return .failure(ReadFailure(FileManager.default.fileExists(atPath: path) ? "\(path) cannot be read" : "\(path) does not exist"))
        }
        return .success(String(decoding: data, as: UTF8.self))
    }

    struct ReadFailure: Error {
        let message: String
        init(_ message: String) { self.message = message }
    }
}
