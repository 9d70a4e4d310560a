import NIOSSL
import PortcullisPlatform

/// The TLS server configuration from `tls.*`: Mozilla's "intermediate" profile by default
/// (TLS 1.2 and 1.3, ECDHE with AEAD ciphers only), "modern" (TLS 1.3 only) with
/// `tls.min_version: 1.3`. ALPN (h2, http/1.1) is added by the HTTP/2 channel.
public enum TLSSettings {
    /// The TLS 1.2 suites of Mozilla's intermediate profile; TLS 1.3 suites are all AEAD.
    static let intermediateCiphers = [
        "ECDHE-ECDSA-AES128-GCM-SHA256", "ECDHE-RSA-AES128-GCM-SHA256",
        "ECDHE-ECDSA-AES256-GCM-SHA384", "ECDHE-RSA-AES256-GCM-SHA384",
        "ECDHE-ECDSA-CHACHA20-POLY1305", "ECDHE-RSA-CHACHA20-POLY1305",
    ].joined(separator: ":")

    /// Reads the certificate chain and key; a failure here is reported before a worker serves.
    public static func serverConfiguration(_ tls: PortcullisConfig.TLS) throws -> TLSConfiguration {
        let chain = try NIOSSLCertificate.fromPEMFile(tls.certFile).map { NIOSSLCertificateSource.certificate($0) }
        let key = try NIOSSLPrivateKey(file: tls.keyFile, format: .pem)
        var configuration = TLSConfiguration.makeServerConfiguration(certificateChain: chain, privateKey: .privateKey(key))
        configuration.minimumTLSVersion = tls.minVersion == "1.3" ? .tlsv13 : .tlsv12
        configuration.cipherSuites = intermediateCiphers
        return configuration
    }
}
