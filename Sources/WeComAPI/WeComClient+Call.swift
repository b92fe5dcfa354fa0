import AsyncHTTPClient
import Foundation
import NIOCore
import NIOFoundationCompat
import NIOHTTP1
import NIOPosix
import NIOSSL
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
        return try await send(operation, method: .POST, address: .meetingRoom, body: payload, resendable: resendable)
    }

    /// Where a request goes.
    enum Address {
        /// `/cgi-bin/OPERATION?access_token=…`, with the token current when the call gets its slot in flight: a
        /// token read before waiting for the slot may have expired by then. Counted against the calls in flight.
        case meetingRoom
        /// A complete URL (`gettoken`): no token and no slot. A call holding a slot may need a token, so fetching
        /// one must never wait for a slot.
        case url(String)

        var isGated: Bool {
            if case .meetingRoom = self { true } else { false }
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

    /// Sends one request, retrying busy errcodes, connection errors and 5xx, and waiting out 45009, all under the
    /// call's deadline (`Configuration.timeout`, extended by the client's own waits: rate-limit pauses and slots in
    /// flight). `resendable` is false for `add`: once its request may have reached WeCom, it is never sent again.
    /// 45033 (too many calls in flight) is retried until the deadline rather than counted against the attempts:
    /// it is WeCom asking for fewer at once, which the concurrency limit is already giving it.
    func send(
        _ operation: String, method: HTTPMethod, address: Address, body: Data?, resendable: Bool
    ) async throws -> Data {
        let policy = configuration.retry
        let progress = CallProgress()
        var attempt = 1
        var failures = 0
        var refusedTokens: Set<String> = []
        var rateLimitWaited = Duration.zero
        var deadline = ContinuousClock.now + configuration.timeout
        let watchdog = startWatchdog(operation, progress: progress)
        defer { watchdog.cancel() }
        // The slot of an attempt whose token was refused, kept for the attempt with the new one: queueing again for
        // a slot could outlast that token too.
        var kept: AdaptiveConcurrency.Slot?
        while true {
            // Queueing for a slot is the client holding itself back, not WeCom's silence.
            let resumedBefore = address.isGated ? progress.queued() : progress.resumedAt
            let slot: AdaptiveConcurrency.Slot
            if let held = kept {
                slot = held.keptForAnotherAttempt()
                kept = nil
            } else {
                slot = try await concurrency.acquire(gated: address.isGated)
            }
            let outcome: Outcome
            let sent: ContinuousClock.Instant
            var token: String?
            do {
                // The token before the rate limiter's stamp, so the stamp stays close to when the call is sent.
                let url: String
                switch address {
                case .url(let complete):
                    url = complete
                case .meetingRoom:
                    // A `gettoken` has its own deadline; this call's runs from when it can be sent, as it did when
                    // the token was read before the call began.
                    let fetching = ContinuousClock.now
                    let current = try await currentToken()
                    deadline += ContinuousClock.now - fetching
                    token = current
                    let encoded = current.addingPercentEncoding(withAllowedCharacters: Self.queryValueAllowed) ?? current
                    url = "\(base)/cgi-bin/\(operation)?access_token=\(encoded)"
                }
                let waited = try await limiter.acquire(operation)
                if waited > .zero { emit(.waitingForRateLimit(operation: operation, seconds: waited.seconds)) }
                if waited > .zero || slot.waited > .zero {
                    deadline += waited + slot.waited
                    progress.pausedUntil(ContinuousClock.now)
                } else {
                    // Not held back: the silence the watchdog measures goes on from where it was.
                    progress.pausedUntil(resumedBefore)
                }
                let remaining = deadline - ContinuousClock.now
                guard remaining > .zero else {
                    throw deadlineError(operation, attempts: attempt - 1, last: progress.lastReason)
                }
                progress.started(attempt: attempt)
                sent = ContinuousClock.now
                outcome = await exchange(
                    operation, method: method, url: url, body: body, resendable: resendable,
                    timeout: min(configuration.requestTimeout, remaining))
            } catch {
                await concurrency.release(slot, .neutral)
                throw error
            }
            if case .final(let error) = outcome, let token, !refusedTokens.contains(token), refusedTokens.count < 3,
               error.errcode == WeComErrcode.invalidToken || error.errcode == WeComErrcode.expiredToken
            {
                // WeCom rejected the token, so nothing was applied: safe to send again, even an add. Once per
                // token, and for at most three: a server that rejects every token, or keeps giving back the one it
                // rejected, cannot make us loop; a token that expired while this call waited is replaced again.
                refusedTokens.insert(token)
                do {
                    // As for the first token: the `gettoken` has its own deadline, and this call's waits for it.
                    let fetching = ContinuousClock.now
                    _ = try await replaceToken(token)
                    deadline += ContinuousClock.now - fetching
                } catch {
                    await concurrency.release(slot, .neutral)
                    throw error
                }
                kept = slot
                continue
            }
            await concurrency.release(slot, Self.signal(outcome, operation: operation, latency: ContinuousClock.now - sent))
            switch outcome {
            case .success(let data):
                await limiter.succeeded(operation)
                return data
            case .final(let error):
                throw error
            case .retryable(let error, let reason):
                // The next attempt is what a `stillWaiting` from now on is about, with this one's reason.
                progress.failed(reason: Self.shortReason(reason), nextAttempt: attempt + 1)
                if error.errcode != WeComErrcode.tooManyInFlight { failures += 1 }
                guard failures < policy.maxAttempts else { throw error }
                let delay = backoff(afterAttempt: min(attempt, 16))
                guard ContinuousClock.now + delay < deadline else {
                    throw deadlineError(operation, attempts: attempt, last: progress.lastReason)
                }
                attempt += 1
                emit(.retrying(operation: operation, attempt: attempt, reason: reason))
                try await Task.sleep(for: delay)
            case .rateLimited(let error):
                if Self.saysLongWindow(error.message) { throw hourlyLimitError(operation, error) }
                // The pause is shared: the limiter holds back every other caller of this API too, and this call
                // waits for it in `acquire` at the top of the loop.
                let step = await limiter.rateLimited(operation, sentAt: sent, base: policy.baseDelay)
                // Still refused past the minute window: that is WeCom's hourly limit, not worth waiting on.
                guard rateLimitWaited + step <= policy.maxRateLimitWait else { throw hourlyLimitError(operation, error) }
                rateLimitWaited += step
                deadline += step
                emit(.waitingForRateLimit(operation: operation, seconds: step.seconds))
                progress.pausedUntil(ContinuousClock.now + step)
            }
        }
    }

    /// What an attempt says about how much WeCom can take at once (`AdaptiveConcurrency`).
    static func signal(_ outcome: Outcome, operation: String, latency: Duration) -> AdaptiveConcurrency.Signal {
        switch outcome {
        case .success:
            return .answered(operation: operation, latency: latency)
        case .retryable:
            // 45033, -1, 5xx, connection failures, timeouts: fewer at once.
            return .overloaded
        case .rateLimited:
            return .rateLimited
        case .final(let error):
            if error.isOutcomeUnknown { return .overloaded }
            // An errcode about the request itself is still an answer, as fast as WeCom gave it.
            return error.errcode != nil ? .answered(operation: operation, latency: latency) : .neutral
        }
    }

    /// Reports `stillWaiting` each time `stillWaitingAfter` passes without an answer (rate-limit pauses excluded:
    /// those are reported as such).
    private func startWatchdog(_ operation: String, progress: CallProgress) -> Task<Void, Never> {
        let interval = configuration.stillWaitingAfter
        return Task { [weak self] in
            var next = ContinuousClock.now + interval
            while !Task.isCancelled {
                do { try await Task.sleep(until: next, clock: .continuous) } catch { return }
                let (attempt, last, resumed) = progress.snapshot()
                let now = ContinuousClock.now
                if let resumed, resumed + interval > now {
                    // Paused (a rate limit, or queued for a slot in flight): not silence. Look again an interval
                    // after the pause ends, or after an interval if its end is not known yet.
                    next = min(resumed, now + interval) + interval
                    continue
                }
                self?.emit(.stillWaiting(operation: operation, attempt: attempt, last: last))
                next += interval
            }
        }
    }

    /// The one line a call ends with when its deadline passes without an answer.
    private func deadlineError(_ operation: String, attempts: Int, last: String) -> MeetingRoomAPIError {
        let seconds = configuration.timeout.seconds
        let limit = seconds == seconds.rounded() ? String(Int(seconds)) : String(format: "%.1f", seconds)
        let via = configuration.proxy.map { " through the proxy \($0)" } ?? ""
        let message = "no answer from \(redact(base))\(via) within \(limit)s (\(max(1, attempts)) attempt(s), last: \(last)); "
            + "check the endpoint, the network or firewall"
            + (configuration.proxy == nil ? " and whether a proxy is needed (--proxy)" : " and the proxy")
            + ", or raise --timeout"
        // Only failures before sending are retried for add, so reaching the deadline here means nothing was
        // applied; an add that timed out waiting for its answer ends earlier, as outcome unknown (`classify`).
        return .transport(operation: operation, message: message)
    }

    private func hourlyLimitError(_ operation: String, _ error: MeetingRoomAPIError) -> MeetingRoomAPIError {
        .wecom(
            errcode: WeComErrcode.rateLimited,
            errmsg: "WeCom's hourly limit for this API is used up (45009 past the minute window; 150,000 calls an hour "
                + "per API per corp): stopped rather than wait up to an hour; what succeeded is kept, run again later "
                + "(WeCom: \(Self.errmsgText(error.message)))",
            operation: operation)
    }

    /// Whether a 45009's errmsg says the long window was hit: the sandbox says `(long window)`; WeCom may say
    /// `hour`. Real WeCom usually says neither, and the client infers the hourly limit from how long 45009 lasts.
    static func saysLongWindow(_ errmsg: String) -> Bool {
        let text = errmsgText(errmsg).lowercased()
        return text.contains("long window") || text.contains("hour")
    }

    /// The TEXT of a WeCom errmsg (`TEXT, hint: [...], from ip: ..., more info at ...`).
    static func errmsgText(_ errmsg: String) -> String {
        if let range = errmsg.range(of: ", hint: [") { return String(errmsg[..<range.lowerBound]) }
        return errmsg
    }

    /// The address in a WeCom errmsg's `from ip: ADDR`.
    static func fromIP(_ errmsg: String) -> String? {
        guard let match = errmsg.firstMatch(of: /from ip: ([0-9A-Fa-f:.]+)/) else { return nil }
        return String(match.1)
    }

    /// `timeout` for any timeout, otherwise the reason up to its first parenthesis.
    static func shortReason(_ reason: String) -> String {
        let lower = reason.lowercased()
        if lower.contains("timeout") || lower.contains("deadline") || lower.contains("timed out") { return "timeout" }
        if lower.contains("refused") { return "connection refused" }
        return reason.split(separator: "(").first.map { $0.trimmingCharacters(in: .whitespaces) } ?? reason
    }

    /// What WeCom's errcodes that stop a first real run mean, and what to do (SPEC section 7). `nil` for others.
    func advice(errcode: Int, errmsg: String) -> String? {
        let text = Self.errmsgText(errmsg)
        switch errcode {
        case WeComErrcode.untrustedIP:
            let address = Self.fromIP(errmsg) ?? "this machine's address"
            return "WeCom refused the call from \(address), which is not among the app's trusted IPs (\(text)): "
                + "add \(address) to the app's 企业可信IP (WeCom admin console → 应用管理 → the app → 企业可信IP), "
                + "or route roomsync through a proxy with a fixed address that is (--proxy URL or HTTPS_PROXY)"
        case WeComErrcode.apiForbidden:
            return "the app may not call the meeting-room API (\(text)): in the WeCom admin console add it under "
                + "会议室 → 可调用接口的应用 (应用管理 → 会议室 → API)"
        case WeComErrcode.badCorpID:
            return "WeCom does not know the corp id \(configuration.corpID) (\(text)): check WECOM_CORP_ID or "
                + "--corp-id (the 企业ID under 我的企业 → 企业信息)"
        case WeComErrcode.badSecret:
            return "WeCom refused the corp secret (\(text)): check WECOM_CORP_SECRET or --corp-secret-file holds the "
                + "Secret of the self-built app (应用管理 → the app → Secret) of corp \(configuration.corpID)"
        default:
            return nil
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
        _ operation: String, method: HTTPMethod, url: String, body: Data?, resendable: Bool, timeout: Duration
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
            let response = try await http.execute(request, timeout: timeout.timeAmount)
            status = response.status
            contentType = response.headers.first(name: "Content-Type") ?? "none"
            // Past 256 KB the Data shares the buffer's storage instead of copying it (NIOFoundationCompat).
            data = Data(buffer: try await response.body.collect(upTo: Self.maxResponseBytes))
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
        let errcode: Int?, rawErrmsg: String?
        if let envelope = try? Self.readEnvelope(data, upTo: Self.bulkField[operation]) {
            (errcode, rawErrmsg) = envelope
        } else {
            let lenient = LenientJSON.removingTrailingCommas(data)
            guard let object = try? JSONSerialization.jsonObject(with: lenient), let fields = object as? [String: Any] else {
                return .final(.badResponse(operation: operation, message: Self.describeBadBody(data, contentType)))
            }
            (errcode, rawErrmsg) = (fields["errcode"] as? Int, fields["errmsg"] as? String)
        }
        guard let errcode else {
            return .final(.badResponse(operation: operation, message: "the JSON answer has no integer errcode"))
        }
        let errmsg = redact(rawErrmsg ?? "")
        let error = MeetingRoomAPIError.wecom(
            errcode: errcode, errmsg: advice(errcode: errcode, errmsg: errmsg) ?? errmsg, operation: operation)
        switch errcode {
        case 0:
            return .success(data)
        case WeComErrcode.busy, WeComErrcode.tooManyInFlight:
            return .retryable(error, reason: "errcode \(errcode) (\(errmsg))")
        case WeComErrcode.rateLimited:
            return .rateLimited(error)
        default:
            return .final(error)
        }
    }

    /// `errcode` and `errmsg` of a JSON object, read in one pass that checks the body's syntax without building
    /// it. Throws on anything unusual (an errcode written as 0.0, say), and the caller then asks
    /// JSONSerialization, as it always did. With `bulk`, the field of an answer that its caller reads whole (the
    /// rooms of `list`, megabytes), reading stops there once an errcode of 0 has been read: the caller's own
    /// reading checks the rest, and skipping it here too took as long as reading the rooms. A failed call's
    /// answer is read to its end, for an `errmsg` after the rooms and for its syntax.
    static func readEnvelope(_ data: Data, upTo bulk: String? = nil) throws -> (errcode: Int?, errmsg: String?) {
        struct ReachedBulk: Error {}
        var errcode: Int?, errmsg: String?
        do {
            try JSONReader.read(data, allowingTrailingCommas: true) { reader in
                try reader.readObject { key, reader in
                    switch key {
                    case "errcode": errcode = try reader.readInt()
                    case "errmsg": errmsg = try reader.readString()
                    case bulk where errcode == 0: throw ReachedBulk()
                    default: try reader.skipValue()
                    }
                }
            }
        } catch is ReachedBulk {}
        return (errcode, errmsg)
    }

    /// The field `readEnvelope` stops at, for answers read whole by their caller.
    static let bulkField = ["oa/meetingroom/list": "meetingroom_list"]

    /// Whether the request may have reached the server decides everything for `add`: before that point a
    /// failure is a plain, retryable transport error; after it, the outcome is unknown.
    private func classify(_ error: any Error, operation: String, resendable: Bool) -> Outcome {
        let described = Self.describe(error, redacting: redact)
        if let error = error as? HTTPClientError,
           [.invalidURL, .emptyHost, .emptyScheme, .alreadyShutdown].contains(error)
        {
            return .final(.transport(operation: operation, message: "cannot send to \(redact(base)): \(described)"))
        }
        if let tls = tlsFailure(error) {
            // Final: a certificate that is not trusted now will not be trusted on the next attempt.
            return .final(.transport(operation: operation, message: tls))
        }
        if let error = error as? HTTPClientError, error == .proxyAuthenticationRequired {
            let proxy = configuration.proxy.map(\.description) ?? "the proxy"
            return .final(.transport(
                operation: operation,
                message: "\(proxy) refused roomsync's credentials (HTTP 407): check the user and password in the proxy URL"))
        }
        if Self.failedBeforeSending(error) {
            let why = Self.connectReason(described)
            let via = configuration.proxy.map { " through the proxy \($0)" } ?? ""
            return .retryable(
                .transport(operation: operation, message: "cannot connect to \(redact(base))\(via): \(why)"),
                reason: "cannot connect (\(why))"
            )
        }
        let why = Self.isTimeout(error) ? "timeout" : described
        guard resendable else {
            // A lost answer and a timeout are the same to an add: it may have been applied.
            return .final(.outcomeUnknown(
                operation: operation,
                message: "no answer from \(redact(base)) after the request was sent (\(why)); "
                    + "the room may or may not have been added: list before adding again",
                timedOut: Self.isTimeout(error)
            ))
        }
        return .retryable(
            .transport(operation: operation, message: "no answer from \(redact(base)): \(why)"),
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

    /// Removes tokens and the secret from text that may reach a message or a log.
    func redact(_ text: String) -> String {
        var text = text
        // Every answer's errmsg comes through here ("ok"), and Swift builds a regex literal anew on each use: at
        // hundreds of calls a second that was an eighth of the apply's CPU. Only a text that could match runs them.
        if text.contains("access_token=") {
            text = text.replacing(/access_token=[^&\s"']*/, with: "access_token=REDACTED")
        }
        if text.contains("corpsecret=") {
            text = text.replacing(/corpsecret=[^&\s"']*/, with: "corpsecret=REDACTED")
        }
        if !configuration.corpSecret.isEmpty {
            text = text.replacingOccurrences(of: configuration.corpSecret, with: "REDACTED")
        }
        if let password = configuration.proxy?.password, !password.isEmpty {
            text = text.replacingOccurrences(of: password, with: "REDACTED")
        }
        // user:password@ in any URL that reached the text.
        if text.contains("://") {
            text = text.replacing(/:\/\/[^\/\s@]+@/, with: "://REDACTED@")
        }
        return text
    }
}

/// What a call is doing, for its `stillWaiting` reports: the attempt under way, how the last one ended, and when
/// a rate-limit pause (not silence) ends.
final class CallProgress: @unchecked Sendable {
    private let lock = NSLock()
    private var attempt = 1
    private var last = "none"
    private var resumed: ContinuousClock.Instant?

    func started(attempt: Int) { lock.withLock { self.attempt = attempt } }
    func failed(reason: String, nextAttempt: Int) {
        lock.withLock {
            last = reason
            attempt = nextAttempt
        }
    }
    func pausedUntil(_ instant: ContinuousClock.Instant?) { lock.withLock { resumed = instant } }
    var resumedAt: ContinuousClock.Instant? { lock.withLock { resumed } }
    /// Waiting for a slot in flight: paused until further notice. Returns when the last pause ended.
    func queued() -> ContinuousClock.Instant? {
        lock.withLock {
            defer { resumed = .now + .seconds(365 * 86_400) }
            return resumed
        }
    }
    func snapshot() -> (attempt: Int, last: String, resumed: ContinuousClock.Instant?) {
        lock.withLock { (attempt, last, resumed) }
    }
    var lastReason: String { lock.withLock { last } }
}
