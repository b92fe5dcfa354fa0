import Foundation

/// How many calls the client keeps in flight, learned as it goes instead of asked of the user (SPEC section 7):
/// additive increase while answers come back as fast as the fastest seen, multiplicative decrease when WeCom says
/// it has too many (45033), is over its rate (45009), or stops answering in time (AIMD, as TCP does).
///
/// It starts by doubling (each fast answer adds a slot, so the limit doubles every round trip), the way TCP's slow
/// start finds a link's capacity in a few round trips; the first sign of overload ends that, and from then on the
/// limit grows by one slot a round trip, more slowly again near the level that last overloaded WeCom, so the
/// probing that finds spare capacity rarely costs a refused call. Growth stops while answers queue (a latency over
/// twice the fastest one seen for that call), which is where more in flight only adds waiting.
///
/// The caller's explicit cap (`--parallelism`, or the most the client allows) bounds it; it never goes below one.
actor AdaptiveConcurrency {
    /// A slot held by one attempt; hand it back with `release`.
    struct Slot: Sendable {
        /// The decrease epoch the attempt started in: an overload seen by an attempt sent before the last decrease
        /// is already accounted for, so one burst of refusals halves the limit once, not once per refused call.
        fileprivate let epoch: Int
        /// The limit when the slot was taken: the answer says the limit was worth growing only if that many were
        /// in flight at some point while it was out (`peakInFlight`).
        fileprivate let limitWhenTaken: Int
        /// False for a call that does not count against the limit (`gettoken`): its release changes nothing.
        fileprivate var gated = true
        /// How long the caller waited for the slot (not WeCom's silence: the client holding itself back).
        private(set) var waited: Duration

        /// The same slot, for another attempt of the same call: it waited for nothing more.
        func keptForAnotherAttempt() -> Slot {
            var slot = self
            slot.waited = .zero
            return slot
        }
    }

    /// What an attempt came to, as far as the limit is concerned.
    enum Signal: Sendable {
        /// WeCom answered (success or an error about the request itself) after `latency`.
        case answered(operation: String, latency: Duration)
        /// Too much in flight: 45033, HTTP 5xx, a timeout, a refused connection.
        case overloaded
        /// Too fast: 45009. Fewer in flight, and no growth for a minute (WeCom's window): while the rate is what
        /// limits, more in flight only means more calls refused together when the window closes.
        case rateLimited
        /// Says nothing about capacity (a TLS failure, a request that could not be built).
        case neutral
    }

    let cap: Int
    private(set) var limit: Double
    private var inFlight = 0
    /// The most in flight since the limit last had a round of answers: growth needs the limit to have been what
    /// held calls back, and a limit never reached proves nothing.
    private var peakInFlight = 0
    private var releasedThisRound = 0
    private var slowStart = true
    private var noGrowthUntil: ContinuousClock.Instant?
    private var epoch = 0
    /// The limit at the last overload: growth slows when it gets near.
    private var overloadedAt: Double?
    /// The fastest answer seen per operation (a `list` of every room is slower than an `add`, and says nothing
    /// about the add's queueing), and the answers seen since it was last renewed.
    private var fastest: [String: (latency: Duration, samples: Int, windowFastest: Duration)] = [:]
    private var waiters: [(id: UInt64, continuation: CheckedContinuation<Void, any Error>)] = []
    private var nextWaiterID: UInt64 = 0

    /// How many answers the fastest latency is kept for before it is renewed from the latest ones, so a baseline
    /// from a quiet moment does not hold the limit down for the whole run.
    private static let baselineWindow = 500
    /// WeCom's rate-limit window (a minute), for how long a 45009 stops the limit growing.
    static let rateLimitWindow = Duration.seconds(60)

    init(initial: Int, cap: Int) {
        self.cap = max(1, cap)
        limit = Double(min(max(1, initial), self.cap))
    }

    /// The number of slots in use right now, and of callers waiting for one (tests).
    var current: Int { inFlight }
    var waiting: Int { waiters.count }

    /// Waits for a slot (at once, and counting nothing, when not `gated`). Throws `CancellationError` if the task
    /// is cancelled while it waits.
    func acquire(gated: Bool = true) async throws -> Slot {
        guard gated else {
            var slot = Slot(epoch: epoch, limitWhenTaken: Int(limit), waited: .zero)
            slot.gated = false
            return slot
        }
        let start = ContinuousClock.now
        if inFlight < Int(limit), waiters.isEmpty {
            take()
            return Slot(epoch: epoch, limitWhenTaken: Int(limit), waited: .zero)
        }
        nextWaiterID += 1
        let id = nextWaiterID
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                if Task.isCancelled {
                    continuation.resume(throwing: CancellationError())
                } else {
                    waiters.append((id, continuation))
                }
            }
        } onCancel: {
            Task { await self.cancelWaiter(id) }
        }
        // `release` counted this caller in `inFlight` when it handed the slot over.
        return Slot(epoch: epoch, limitWhenTaken: Int(limit), waited: ContinuousClock.now - start)
    }

    /// Hands a slot back, adjusts the limit by what the attempt came to, and lets waiters in up to the new limit.
    func release(_ slot: Slot, _ signal: Signal) {
        guard slot.gated else { return }
        inFlight -= 1
        releasedThisRound += 1
        let reached = peakInFlight >= slot.limitWhenTaken
        if releasedThisRound >= Int(limit) {
            releasedThisRound = 0
            peakInFlight = inFlight
        }
        switch signal {
        case .answered(let operation, let latency):
            if isQueueing(operation: operation, latency: latency) {
                slowStart = false
            } else if Int(limit) < cap, reached, !rateLimitedRecently {
                if slowStart {
                    limit += 1
                } else {
                    let nearLastOverload = overloadedAt.map { limit >= $0 - 1 } ?? false
                    limit += (nearLastOverload ? 0.25 : 1) / limit
                }
                limit = min(limit, Double(cap))
            }
        case .overloaded, .rateLimited:
            if case .rateLimited = signal { noGrowthUntil = .now + Self.rateLimitWindow }
            guard slot.epoch == epoch else { break }
            overloadedAt = limit
            limit = max(1, (limit / 2).rounded(.down))
            slowStart = false
            epoch += 1
        case .neutral:
            break
        }
        admitWaiters()
    }

    private var rateLimitedRecently: Bool { noGrowthUntil.map { $0 > .now } ?? false }

    /// Whether `latency` says answers are queueing: over twice the fastest seen for `operation`, with some slack
    /// for a loaded machine's jitter.
    private func isQueueing(operation: String, latency: Duration) -> Bool {
        guard var entry = fastest[operation] else {
            fastest[operation] = (latency, 1, latency)
            return false
        }
        entry.samples += 1
        entry.windowFastest = min(entry.windowFastest, latency)
        if entry.samples >= Self.baselineWindow {
            entry.latency = entry.windowFastest
            entry = (entry.latency, 0, latency)
        } else {
            entry.latency = min(entry.latency, latency)
        }
        fastest[operation] = entry
        return latency > entry.latency * 2 + .milliseconds(20)
    }

    private func take() {
        inFlight += 1
        peakInFlight = max(peakInFlight, inFlight)
    }

    private func admitWaiters() {
        while inFlight < Int(limit), !waiters.isEmpty {
            let waiter = waiters.removeFirst()
            take()
            waiter.continuation.resume()
        }
    }

    private func cancelWaiter(_ id: UInt64) {
        guard let index = waiters.firstIndex(where: { $0.id == id }) else { return }
        waiters.remove(at: index).continuation.resume(throwing: CancellationError())
    }
}
