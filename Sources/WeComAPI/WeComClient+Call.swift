import Foundation
import NIOHTTP1
import RoomSyncCore

/// The retry loop every call runs: its slot in flight, its token, its deadline, and what each attempt came to.
extension WeComClient {
    /// One meeting-room call: token, retries, and one token refresh when WeCom says the token is invalid or
    /// expired. Returns the body of an answer whose errcode is 0.
    func call(_ operation: String, body: some Encodable, resendable: Bool) async throws -> Data {
        let payload: Data
        do {
            payload = try JSONEncoder().encode(body)
        } catch {
            throw MeetingRoomAPIError.transport(operation: operation, detail: LocalizedText(.wecomCannotEncode, ["reason": "\(error)"]))
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

    /// Exponential backoff with "equal jitter": half the delay fixed, half random, so retries of many
    /// concurrent calls spread out instead of arriving together.
    func backoff(afterAttempt attempt: Int) -> Duration {
        let policy = configuration.retry
        let exponential = policy.baseDelay * (1 << min(attempt - 1, 16))
        let delay = min(exponential, policy.maxDelay)
        return delay / 2 + delay / 2 * Double.random(in: 0...1)
    }
}
