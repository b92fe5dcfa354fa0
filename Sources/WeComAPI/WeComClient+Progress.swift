import Synchronization

/// The watchdog behind a call's `stillWaiting` events, and what it reads.
extension WeComClient {
    /// Reports `stillWaiting` each time `stillWaitingAfter` passes without an answer (rate-limit pauses excluded:
    /// those are reported as such).
    func startWatchdog(_ operation: String, progress: CallProgress) -> Task<Void, Never> {
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
}

/// What a call is doing, for its `stillWaiting` reports: the attempt under way, how the last one ended, and when
/// a rate-limit pause (not silence) ends.
final class CallProgress: Sendable {
    private struct State {
        var attempt = 1
        var last = "none"
        var resumed: ContinuousClock.Instant?
    }

    private let state = Mutex(State())

    func started(attempt: Int) { state.withLock { $0.attempt = attempt } }
    func failed(reason: String, nextAttempt: Int) {
        state.withLock {
            $0.last = reason
            $0.attempt = nextAttempt
        }
    }
    func pausedUntil(_ instant: ContinuousClock.Instant?) { state.withLock { $0.resumed = instant } }
    var resumedAt: ContinuousClock.Instant? { state.withLock { $0.resumed } }
    /// Waiting for a slot in flight: paused until further notice. Returns when the last pause ended.
    func queued() -> ContinuousClock.Instant? {
        state.withLock { state in
            defer { state.resumed = .now + .seconds(365 * 86_400) }
            return state.resumed
        }
    }
    func snapshot() -> (attempt: Int, last: String, resumed: ContinuousClock.Instant?) {
        state.withLock { ($0.attempt, $0.last, $0.resumed) }
    }
    var lastReason: String { state.withLock { $0.last } }
}
