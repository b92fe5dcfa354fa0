import AsyncHTTPClient
import Foundation
import NIOCore
import NIOPosix
import RoomSyncCore

/// What a failed exchange means: whether the request may have reached the server, and the reason in a few words.
extension WeComClient {
    /// Whether the request may have reached the server decides everything for `add`: before that point a
    /// failure is a plain, retryable transport error; after it, the outcome is unknown.
    func classify(_ error: any Error, operation: String, resendable: Bool) -> Outcome {
        let described = Self.describe(error, redacting: redact)
        if let error = error as? HTTPClientError,
           [.invalidURL, .emptyHost, .emptyScheme, .alreadyShutdown].contains(error)
        {
            return .final(.transport(
                operation: operation, detail: LocalizedText(.wecomCannotSend, ["endpoint": redact(base), "reason": described])))
        }
        if let tls = tlsFailure(error) {
            // Final: a certificate that is not trusted now will not be trusted on the next attempt.
            return .final(.transport(operation: operation, detail: tls))
        }
        if let error = error as? HTTPClientError, error == .proxyAuthenticationRequired {
            let proxy = configuration.proxy.map(\.description) ?? Catalogue.text(.wecomTheProxy)
            return .final(.transport(operation: operation, detail: LocalizedText(.wecomProxyRefusedCredentials, ["proxy": proxy])))
        }
        if Self.failedBeforeSending(error) {
            let why = ConnectionFailure.reason(error) ?? Self.connectReason(described)
            let detail =
                configuration.proxy.map {
                    LocalizedText(.wecomCannotConnectViaProxy, ["endpoint": redact(base), "proxy": $0.description, "reason": why])
                } ?? LocalizedText(.wecomCannotConnect, ["endpoint": redact(base), "reason": why])
            return .retryable(
                .transport(operation: operation, detail: detail),
                reason: "cannot connect (\(why))"
            )
        }
        let why = Self.isTimeout(error) ? "timeout" : ConnectionFailure.reason(error) ?? described
        guard resendable else {
            // A lost answer and a timeout are the same to an add: it may have been applied.
            return .final(.outcomeUnknown(
                operation: operation,
                detail: LocalizedText(.wecomNoAnswerAfterSending, ["endpoint": redact(base), "reason": why]),
                timedOut: Self.isTimeout(error)
            ))
        }
        return .retryable(
            .transport(operation: operation, detail: LocalizedText(.wecomNoAnswer, ["endpoint": redact(base), "reason": why])),
            reason: "no answer (\(why))"
        )
    }

    /// The operating system's reason in a connection failure, without NIO's wrapping (`SingleConnectionFailure(…)`).
    static func connectReason(_ described: String) -> String {
        let lower = described.lowercased()
        for (needle, reason) in [
            ("connection refused", "connection refused"), ("no route to host", "no route to host"),
            ("network is unreachable", "network is unreachable"), ("dns", "cannot resolve the host name"),
            ("name or service not known", "cannot resolve the host name"), ("timeout", "timeout"),
            ("invalidproxyresponse", "the proxy did not open a tunnel"),
        ] where lower.contains(needle) {
            return reason
        }
        return String(described.prefix(200))
    }

    static func isTimeout(_ error: any Error) -> Bool {
        if let error = error as? HTTPClientError {
            return [.deadlineExceeded, .readTimeout, .writeTimeout, .connectTimeout].contains(error)
        }
        return false
    }

    static func failedBeforeSending(_ error: any Error) -> Bool {
        if let error = error as? HTTPClientError {
            return [
                .connectTimeout, .tlsHandshakeTimeout, .socksHandshakeTimeout, .httpProxyHandshakeTimeout,
                .invalidProxyResponse,
            ].contains(error)
        }
        if error is NIOConnectionError { return true }
        if case ChannelError.connectTimeout = error { return true }
        if let error = error as? IOError {
            return [ECONNREFUSED, ENETUNREACH, EHOSTUNREACH, EADDRNOTAVAIL].contains(error.errnoCode)
        }
        return false
    }


    static func describe(_ error: any Error, redacting redact: (String) -> String = { $0 }) -> String {
        let text = String(describing: error).split(whereSeparator: \.isNewline).joined(separator: " ")
        return redact(text)
    }


    /// `timeout` for any timeout, otherwise the reason up to its first parenthesis.
    static func shortReason(_ reason: String) -> String {
        let lower = reason.lowercased()
        if lower.contains("timeout") || lower.contains("deadline") || lower.contains("timed out") { return "timeout" }
        if lower.contains("refused") { return "connection refused" }
        return reason.split(separator: "(").first.map { $0.trimmingCharacters(in: .whitespaces) } ?? reason
    }
}
