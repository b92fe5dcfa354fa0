import Foundation

/// A sliding-window limit per API: at most `maxCalls` calls in any `window`. Callers over the limit wait for
/// the oldest call to leave the window, so roomsync stays under WeCom's published limit instead of provoking 45009.
actor RateLimiter {
    private let maxCalls: Int
    private let window: Duration
    private var recent: [String: [ContinuousClock.Instant]] = [:]

    init(maxCalls: Int, window: Duration) {
        self.maxCalls = max(1, maxCalls)
        self.window = window
    }

    /// Takes a slot for `api`, sleeping first if the window is full. Returns how long it waited.
    func acquire(_ api: String) async throws -> Duration {
        var waited = Duration.zero
        while true {
            let now = ContinuousClock.now
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
}
