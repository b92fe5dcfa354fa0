import Foundation

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
