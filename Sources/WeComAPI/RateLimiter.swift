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
    /// When the current pause was set; the length of the next one (as a power of two of the base delay); and
    /// the APIs whose window opened since their last pause.
    private var pauseStarted: [String: ContinuousClock.Instant] = [:]
    private var nextStep: [String: Int] = [:]
    private var windowOpened: Set<String> = []

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

    /// WeCom answered 45009 to a call of `api`: holds every caller of that API back, and returns how long this
    /// caller is to count as waited. WeCom does not say when its window ends, so the pause grows (`base`, doubling,
    /// up to a second) until a call gets through. It grows only when a 45009 comes for a call sent after the last
    /// pause began; the others, sent before it, are answers to the same full window, so the workers' refusals
    /// together grow it once, not once each (with every worker restarting at `base`, that was a storm of 45009 at
    /// tight limits). After a window opened, the next full one starts one step short of the pause that last
    /// worked, instead of from `base` again.
    func rateLimited(_ api: String, sentAt sent: ContinuousClock.Instant, base: Duration) -> Duration {
        let now = ContinuousClock.now
        if let until = pausedUntil[api], let started = pauseStarted[api], sent < started {
            return max(.zero, until - now)
        }
        if windowOpened.remove(api) != nil {
            nextStep[api] = max(0, nextStep[api, default: 0] - 2)
        }
        let steps = nextStep[api, default: 0]
        let step = min(.seconds(1), base * (1 << min(steps, 10)))
        nextStep[api] = steps + 1
        pauseStarted[api] = now
        let until = now + step
        if let current = pausedUntil[api], current >= until { return current - now }
        pausedUntil[api] = until
        return step
    }

    /// A call of `api` succeeded: WeCom's window is open again.
    func succeeded(_ api: String) {
        if nextStep[api] != nil { windowOpened.insert(api) }
    }
}
