import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import RoomSyncCore

extension WeComClient {
    /// One meeting-room call: token, retries, and one token refresh when WeCom says the token is invalid or
    /// expired. Returns the body of an answer whose errcode is 0.
    func call(_ operation: String, body: some Encodable, resendable: Bool) async throws -> Data {
        let payload: Data
        do {
            payload = try JSONEncoder().encode(body)
        } catch {
            throw MeetingRoomAPIError.transport(operation: operation, message: "cannot encode the request: \(error)")
        }
        var token = try await currentToken()
        var refreshed = false
        while true {
            let encoded = token.addingPercentEncoding(withAllowedCharacters: Self.queryValueAllowed) ?? token
            do {
                return try await send(
                    operation, method: .POST, url: "\(base)/cgi-bin/\(operation)?access_token=\(encoded)",
                    body: payload, resendable: resendable, token: token
                )
            } catch let error as MeetingRoomAPIError
                where !refreshed
                && (error.errcode == WeComErrcode.invalidToken || error.errcode == WeComErrcode.expiredToken)
            {
                // WeCom rejected the token, so nothing was applied: safe to send again, even an add. Only once,
                // so a server that rejects every token cannot make us loop.
                refreshed = true
                token = try await replaceToken(token)
            }
        }
    }

    /// The largest answer read. `list` returns every room in one answer, about 210 bytes a room (more with
    /// ranges): 100,000 rooms are over 20 MB. The bound only keeps a misbehaving server from exhausting memory.
    static let maxResponseBytes = 256 * 1024 * 1024

    /// Characters a query value may hold unescaped: the query set without the separators `&`, `=`, `+`, `#`.
    static let queryValueAllowed = CharacterSet.urlQueryAllowed.subtracting(CharacterSet(charactersIn: "&=+#"))

    /// What one HTTP exchange came to.
    enum Outcome {
        case success(Data)
        /// Worth another attempt after a backoff; `error` is final if the attempts are used up.
        case retryable(MeetingRoomAPIError, reason: String)
        /// 45009: wait for WeCom's window, then try again.
        case rateLimited(MeetingRoomAPIError)
        case final(MeetingRoomAPIError)
    }

    /// Sends one request, retrying busy errcodes, connection errors and 5xx, and waiting out 45009.
    /// `resendable` is false for `add`: once its request may have reached WeCom, it is never sent again.
    func send(
        _ operation: String, method: HTTPMethod, url: String, body: Data?, resendable: Bool, token: String?
    ) async throws -> Data {
        let policy = configuration.retry
        var attempt = 1
        var rateLimitStep = 0
        var rateLimitWaited = Duration.zero
        while true {
            let waited = try await limiter.acquire(operation)
            if waited > .zero { emit(.waitingForRateLimit(operation: operation, seconds: waited.seconds)) }
            switch await exchange(operation, method: method, url: url, body: body, resendable: resendable) {
            case .success(let data):
                return data
            case .final(let error):
                throw error
            case .retryable(let error, let reason):
                guard attempt < policy.maxAttempts else { throw error }
                attempt += 1
                emit(.retrying(operation: operation, attempt: attempt, reason: reason))
                try await Task.sleep(for: backoff(afterAttempt: attempt - 1))
            case .rateLimited(let error):
                // WeCom does not say when its window ends: wait in growing steps of at most a second.
                let step = min(.seconds(1), policy.baseDelay * (1 << min(rateLimitStep, 10)))
                rateLimitStep += 1
                guard rateLimitWaited + step <= policy.maxRateLimitWait else { throw error }
                rateLimitWaited += step
                emit(.waitingForRateLimit(operation: operation, seconds: step.seconds))
                // The pause is shared: the limiter holds back every other caller of this API too, and this call
                // waits for it in `acquire` at the top of the loop.
                await limiter.pause(operation, for: step)
            }
        }
    }

    /// Exponential backoff with "equal jitter": half the delay fixed, half random, so retries of many
    /// concurrent calls spread out instead of arriving together.
    func backoff(afterAttempt attempt: Int) -> Duration {
        let policy = configuration.retry
        let exponential = policy.baseDelay * (1 << min(attempt - 1, 16))
        let delay = min(exponential, policy.maxDelay)
        return delay / 2 + delay / 2 * Double.random(in: 0...1)
    }

    private func exchange(
        _ operation: String, method: HTTPMethod, url: String, body: Data?, resendable: Bool
    ) async -> Outcome {
        var request = HTTPClientRequest(url: url)
        request.method = method
        if let body {
            request.headers.add(name: "Content-Type", value: "application/json; charset=utf-8")
            request.body = .bytes(ByteBuffer(bytes: body))
        }
        configuration.logger.debug("\(method.rawValue) \(redact(url))")
        let status: HTTPResponseStatus
        let contentType: String
        let data: Data
        do {
            let response = try await http.execute(request, timeout: configuration.requestTimeout.timeAmount)
            status = response.status
            contentType = response.headers.first(name: "Content-Type") ?? "none"
            let buffer = try await response.body.collect(upTo: Self.maxResponseBytes)
            data = Data(buffer.readableBytesView)
        } catch {
            return classify(error, operation: operation, resendable: resendable)
        }
        configuration.logger.debug("\(operation): HTTP \(status.code), \(data.count) bytes")
        if (500...599).contains(status.code) {
            let error = MeetingRoomAPIError.transport(
                operation: operation, message: "\(redact(base)) answered HTTP \(status.code)"
            )
            guard resendable else {
                return .final(.outcomeUnknown(
                    operation: operation,
                    message: "the server answered HTTP \(status.code) after the request was sent; "
                        + "the room may or may not have been added: list before adding again"
                ))
            }
            return .retryable(error, reason: "HTTP \(status.code)")
        }
        guard status == .ok else {
            return .final(.badResponse(
                operation: operation,
                message: "expected HTTP 200 with a JSON body, got HTTP \(status.code) (Content-Type: \(contentType))"
            ))
        }
        let lenient = LenientJSON.removingTrailingCommas(data)
        let errcode: Int?, rawErrmsg: String?
        if let envelope = try? Self.readEnvelope(lenient) {
            (errcode, rawErrmsg) = envelope
        } else {
            guard let object = try? JSONSerialization.jsonObject(with: lenient), let fields = object as? [String: Any] else {
                return .final(.badResponse(operation: operation, message: Self.describeBadBody(data, contentType)))
            }
            (errcode, rawErrmsg) = (fields["errcode"] as? Int, fields["errmsg"] as? String)
        }
        guard let errcode else {
            return .final(.badResponse(operation: operation, message: "the JSON answer has no integer errcode"))
        }
        let errmsg = redact(rawErrmsg ?? "")
        let error = MeetingRoomAPIError.wecom(errcode: errcode, errmsg: errmsg, operation: operation)
        switch errcode {
        case 0:
            return .success(data)
        case WeComErrcode.busy, WeComErrcode.systemBusy:
            return .retryable(error, reason: "errcode \(errcode) (\(errmsg))")
        case WeComErrcode.rateLimited:
            return .rateLimited(error)
        default:
            return .final(error)
        }
    }

    /// `errcode` and `errmsg` of a JSON object, read in one pass that checks the whole body's syntax without
    /// building it: a `list` answer is megabytes, and its rooms are decoded once, later. Throws on anything
    /// unusual (an errcode written as 0.0, say), and the caller then asks JSONSerialization, as it always did.
    static func readEnvelope(_ data: Data) throws -> (errcode: Int?, errmsg: String?) {
        try JSONReader.read(data) { reader in
            var errcode: Int?, errmsg: String?
            try reader.readObject { key, reader in
                switch key {
                case "errcode": errcode = try reader.readInt()
                case "errmsg": errmsg = try reader.readString()
                default: try reader.skipValue()
                }
            }
            return (errcode, errmsg)
        }
    }

    /// Whether the request may have reached the server decides everything for `add`: before that point a
    /// failure is a plain, retryable transport error; after it, the outcome is unknown.
    private func classify(_ error: any Error, operation: String, resendable: Bool) -> Outcome {
        let described = Self.describe(error, redacting: redact)
        if let error = error as? HTTPClientError,
           [.invalidURL, .emptyHost, .emptyScheme, .alreadyShutdown].contains(error)
        {
            return .final(.transport(operation: operation, message: "cannot send to \(redact(base)): \(described)"))
        }
        if Self.failedBeforeSending(error) {
            return .retryable(
                .transport(operation: operation, message: "cannot connect to \(redact(base)): \(described)"),
                reason: "cannot connect (\(described))"
            )
        }
        guard resendable else {
            return .final(.outcomeUnknown(
                operation: operation,
                message: "no answer after the request was sent (\(described)); "
                    + "the room may or may not have been added: list before adding again"
            ))
        }
        return .retryable(
            .transport(operation: operation, message: "no answer from \(redact(base)): \(described)"),
            reason: "no answer (\(described))"
        )
    }

    static func failedBeforeSending(_ error: any Error) -> Bool {
        if let error = error as? HTTPClientError {
            return [.connectTimeout, .tlsHandshakeTimeout, .socksHandshakeTimeout, .httpProxyHandshakeTimeout]
                .contains(error)
        }
        if error is NIOConnectionError { return true }
        if case ChannelError.connectTimeout = error { return true }
        if let error = error as? IOError {
            return [ECONNREFUSED, ENETUNREACH, EHOSTUNREACH, EADDRNOTAVAIL].contains(error.errnoCode)
        }
        return false
    }

    static func describeBadBody(_ data: Data, _ contentType: String) -> String {
        let text = String(decoding: data.prefix(512), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        if text.isEmpty { return "expected a JSON body, got an empty one (Content-Type: \(contentType))" }
        if text.hasPrefix("<") {
            return "expected JSON, got an HTML page (Content-Type: \(contentType)); is the endpoint a WeCom API?"
        }
        return "expected JSON, got \(data.count) bytes that are not valid JSON (truncated or malformed)"
    }

    static func describe(_ error: any Error, redacting redact: (String) -> String = { $0 }) -> String {
        let text = String(describing: error).split(whereSeparator: \.isNewline).joined(separator: " ")
        return redact(text)
    }

    /// Removes tokens and the secret from text that may reach a message or a log.
    func redact(_ text: String) -> String {
        var text = text.replacing(/access_token=[^&\s"']*/, with: "access_token=REDACTED")
        text = text.replacing(/corpsecret=[^&\s"']*/, with: "corpsecret=REDACTED")
        if !configuration.corpSecret.isEmpty {
            text = text.replacingOccurrences(of: configuration.corpSecret, with: "REDACTED")
        }
        return text
    }
}
