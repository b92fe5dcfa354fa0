import Foundation
import NIOSSL
import RoomSyncCore

/// A TLS failure in one line that says what to trust.
extension WeComClient {
    /// The one line for a TLS failure, or `nil` when `error` is not one.
    func tlsFailure(_ error: any Error) -> LocalizedText? {
        guard error is NIOSSLError || error is NIOSSLExtraError || error is BoringSSLError else { return nil }
        let host = URLComponents(string: base)?.host ?? base
        let detail = Self.describe(error, redacting: redact)
        let lower = detail.lowercased()
        if lower.contains("certificate") || lower.contains("hostname") || lower.contains("verify") {
            return LocalizedText(.wecomCertificateUntrusted, ["host": host, "reason": Self.tlsReason(detail)])
        }
        return LocalizedText(.wecomTLSFailed, ["host": host, "reason": Self.tlsReason(detail), "endpoint": redact(base)])
    }

    /// BoringSSL's reason, without the error-queue noise.
    static func tlsReason(_ detail: String) -> String {
        if detail.contains("CERTIFICATE_VERIFY_FAILED") { return "certificate verify failed" }
        if detail.lowercased().contains("hostname") { return "the certificate does not name this host" }
        return String(detail.prefix(160))
    }
}
