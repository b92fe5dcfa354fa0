import Foundation
import NIOSSL

/// A TLS failure in one line that says what to trust.
extension WeComClient {
    /// The one line for a TLS failure, or `nil` when `error` is not one.
    func tlsFailure(_ error: any Error) -> String? {
        guard error is NIOSSLError || error is NIOSSLExtraError || error is BoringSSLError else { return nil }
        let host = URLComponents(string: base)?.host ?? base
        let detail = Self.describe(error, redacting: redact)
        let lower = detail.lowercased()
        if lower.contains("certificate") || lower.contains("hostname") || lower.contains("verify") {
            return "the certificate of \(host) is not trusted (\(Self.tlsReason(detail))); if a company proxy re-signs "
                + "TLS, trust its CA with --ca-file PATH (or SSL_CERT_FILE=PATH)"
        }
        return "TLS with \(host) failed (\(Self.tlsReason(detail))); is \(redact(base)) an https endpoint?"
    }

    /// BoringSSL's reason, without the error-queue noise.
    static func tlsReason(_ detail: String) -> String {
        if detail.contains("CERTIFICATE_VERIFY_FAILED") { return "certificate verify failed" }
        if detail.lowercased().contains("hostname") { return "the certificate does not name this host" }
        return String(detail.prefix(160))
    }
}
