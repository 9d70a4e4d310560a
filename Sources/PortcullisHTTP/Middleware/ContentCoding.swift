import Foundation
import CompressNIO

/// A content coding the server can apply to a response body (RFC 9110 §8.4.1), and the
/// `Accept-Encoding` negotiation that picks one.
public enum ContentCoding: String, Sendable, CaseIterable {
    case gzip
    /// HTTP's "deflate" is the zlib format (RFC 1950), not raw deflate.
    case deflate

    /// The coding the client prefers among those it accepts: the highest `q` above zero,
    /// gzip on a tie. `nil` when the client accepts neither (or sent no `Accept-Encoding`).
    public static func negotiate(_ acceptEncoding: String?) -> ContentCoding? {
        guard let acceptEncoding else { return nil }
        var weights: [String: Double] = [:]
        for element in acceptEncoding.split(separator: ",") {
            let parts = element.split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces) }
            guard let name = parts.first?.lowercased(), !name.isEmpty else { continue }
            var weight = 1.0
            for parameter in parts.dropFirst() where parameter.lowercased().hasPrefix("q=") {
                guard let q = Double(parameter.dropFirst(2)), (0...1).contains(q) else { weight = 0; break }
                weight = q
            }
            weights[name == "x-gzip" ? "gzip" : name] = weight
        }
        let wildcard = weights["*"] ?? 0
        let ranked = allCases.map { (coding: $0, weight: weights[$0.rawValue] ?? wildcard) }
        guard let best = ranked.max(by: { $0.weight < $1.weight }), best.weight > 0 else { return nil }
        return ranked.first { $0.weight == best.weight }?.coding
    }

    var algorithm: ZlibAlgorithm {
        switch self {
        case .gzip: .gzip
        case .deflate: .zlib
        }
    }
}
