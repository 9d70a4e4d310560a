import Crypto
import Foundation
import SwiftASN1
import X509

/// Self-signed certificates made in-process, for TLS validation tests.
public enum TestCertificates {
    public struct Pair {
        public let certificatePEM: String
        public let keyPEM: String
    }

    /// A test CA and a `localhost`/127.0.0.1 server certificate it signed.
    public struct Chain {
        public let caPEM: String
        public let leaf: Pair
    }

    public static func makeChain() throws -> Chain {
        let caKey = P256.Signing.PrivateKey()
        let caCertificateKey = Certificate.PrivateKey(caKey)
        let caName = try DistinguishedName { CommonName("Portcullis Test CA") }
        let now = Date()
        let ca = try Certificate(
            version: .v3, serialNumber: Certificate.SerialNumber(), publicKey: caCertificateKey.publicKey,
            notValidBefore: now.addingTimeInterval(-3600), notValidAfter: now.addingTimeInterval(86400),
            issuer: caName, subject: caName, signatureAlgorithm: .ecdsaWithSHA256,
            extensions: try Certificate.Extensions {
                Critical(BasicConstraints.isCertificateAuthority(maxPathLength: 0))
                KeyUsage(keyCertSign: true)
            },
            issuerPrivateKey: caCertificateKey
        )
        let leafKey = P256.Signing.PrivateKey()
        let leaf = try Certificate(
            version: .v3, serialNumber: Certificate.SerialNumber(), publicKey: Certificate.PrivateKey(leafKey).publicKey,
            notValidBefore: now.addingTimeInterval(-3600), notValidAfter: now.addingTimeInterval(86400),
            issuer: caName, subject: try DistinguishedName { CommonName("localhost") }, signatureAlgorithm: .ecdsaWithSHA256,
            extensions: try Certificate.Extensions {
                SubjectAlternativeNames([.dnsName("localhost"), .ipAddress(ASN1OctetString(contentBytes: [127, 0, 0, 1]))])
                try ExtendedKeyUsage([.serverAuth])
            },
            issuerPrivateKey: caCertificateKey
        )
        return Chain(
            caPEM: try ca.serializeAsPEM().pemString,
            leaf: Pair(certificatePEM: try leaf.serializeAsPEM().pemString, keyPEM: leafKey.pemRepresentation)
        )
    }

    /// A certificate for `localhost` valid between the two dates, with its P-256 key.
    public static func make(notBefore: Date = Date().addingTimeInterval(-3600), notAfter: Date = Date().addingTimeInterval(86400)) throws -> Pair {
        let key = P256.Signing.PrivateKey()
        let certificateKey = Certificate.PrivateKey(key)
        let name = try DistinguishedName { CommonName("localhost") }
        let certificate = try Certificate(
            version: .v3,
            serialNumber: Certificate.SerialNumber(),
            publicKey: certificateKey.publicKey,
            notValidBefore: notBefore,
            notValidAfter: notAfter,
            issuer: name,
            subject: name,
            signatureAlgorithm: .ecdsaWithSHA256,
            extensions: try Certificate.Extensions {
                SubjectAlternativeNames([.dnsName("localhost"), .ipAddress(ASN1OctetString(contentBytes: [127, 0, 0, 1]))])
            },
            issuerPrivateKey: certificateKey
        )
        return Pair(certificatePEM: try certificate.serializeAsPEM().pemString, keyPEM: key.pemRepresentation)
    }
}

/// A configuration file in `directory` that serves TLS with `chain`'s leaf on a free loopback
/// port: the file's path and the port.
public func writeTLSConfig(_ chain: TestCertificates.Chain, in directory: TemporaryDirectory) throws -> (file: String, port: Int) {
    let cert = try directory.write("server.pem", chain.leaf.certificatePEM)
    let key = try directory.write("server.key", chain.leaf.keyPEM)
    let port = try freeLoopbackPort()
    let file = try directory.write("portcullis.yaml", """
        tls:
          cert_file: \(cert)
          key_file: \(key)
          listen: ["127.0.0.1:\(port)"]
        """)
    return (file, port)
}
