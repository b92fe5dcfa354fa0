import Foundation

/// A sliding-window limit per API: at most `maxCalls` calls in any `window`. Callers over the limit wait for
/// the oldest call to leave the window, so roomsync stays under WeCom's published limit instead of provoking 45009.
actor RateLimiter {
    private let maxCalls: Int
    private let window: Duration
    private var recent: [String: [ContinuousClock.Instant]] = [:]
    /// Set when WeCom answered 45009: every caller of that API waits until then, not just the one that was told,
    /// so concurrent workers do not each keep provoking 45009 while the window lasts.
    private var pausedUntil: [String: ContinuousClock.Instant] = [:]

    init(maxCalls: Int, window: Duration) {
        self.maxCalls = max(1, maxCalls)
        self.window = window
    }

    /// Takes a slot for `api`, sleeping first if the window is full or the API is paused. Returns how long it
    /// waited for the window.
    func acquire(_ api: String) async throws -> Duration {
        var waited = Duration.zero
        while true {
            let now = ContinuousClock.now
            if let until = pausedUntil[api], until > now {
                // Not counted in `waited`: the caller that was answered 45009 already reported this wait.
                try await Task.sleep(until: until, clock: .continuous)
                continue
            }
            var calls = recent[api, default: []]
            calls.removeAll { now - $0 >= window }
            if calls.count < maxCalls {
                calls.append(now)
                recent[api] = calls
                return waited
            }
            recent[api] = calls
            let wait = calls[0] + window - now
            waited += wait
            // Sleeping inside the actor is fine: the actor is reentrant, and the loop re-checks the window.
            try await Task.sleep(for: wait)
        }
    }

    /// Holds every caller of `api` back for `duration` (extending, never shortening, a pause already set).
    func pause(_ api: String, for duration: Duration) {
        let until = ContinuousClock.now + duration
        if let current = pausedUntil[api], current >= until { return }
        pausedUntil[api] = until
    }
}
