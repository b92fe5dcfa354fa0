import Foundation
import RoomSyncCore
import RoomSyncSandbox
import RoomSyncTestSupport
import Testing
@testable import WeComAPI

/// Issue 17 item 4: the number of calls in flight is found, not configured. The controller's rules one by one,
/// then the client against a served sandbox that answers 45033 above a few calls at once.
@Suite struct AdaptiveConcurrencyTests {
    /// Takes `count` slots, then gives them all back with `signal`.
    func round(
        _ limiter: AdaptiveConcurrency, _ count: Int, _ signal: AdaptiveConcurrency.Signal
    ) async throws {
        var slots: [AdaptiveConcurrency.Slot] = []
        for _ in 0..<count { slots.append(try await limiter.acquire()) }
        for slot in slots { await limiter.release(slot, signal) }
    }

    static let fast = AdaptiveConcurrency.Signal.answered(operation: "add", latency: .milliseconds(40))

    @Test func fastAnswersDoubleTheLimitEachRoundUntilTheCap() async throws {
        let limiter = AdaptiveConcurrency(initial: 4, cap: 20)
        try await round(limiter, 4, Self.fast)
        #expect(await limiter.limit == 8)
        try await round(limiter, 8, Self.fast)
        #expect(await limiter.limit == 16)
        try await round(limiter, 16, Self.fast)
        #expect(await limiter.limit == 20)
    }

    @Test func aLimitNeverReachedDoesNotGrow() async throws {
        let limiter = AdaptiveConcurrency(initial: 8, cap: 64)
        for _ in 0..<10 { try await round(limiter, 2, Self.fast) }
        #expect(await limiter.limit == 8)
    }

    @Test func oneBurstOfOverloadHalvesTheLimitOnce() async throws {
        let limiter = AdaptiveConcurrency(initial: 16, cap: 64)
        // Sixteen calls in flight, all refused: one halving, not sixteen.
        try await round(limiter, 16, .overloaded)
        #expect(await limiter.limit == 8)
        // Calls sent after the decrease are a new signal.
        try await round(limiter, 8, .overloaded)
        #expect(await limiter.limit == 4)
    }

    @Test func afterAnOverloadTheLimitGrowsByAboutOneSlotARoundTrip() async throws {
        let limiter = AdaptiveConcurrency(initial: 16, cap: 64)
        try await round(limiter, 16, .overloaded)
        #expect(await limiter.limit == 8)
        try await round(limiter, 8, Self.fast)
        let grown = await limiter.limit
        // Near the level that overloaded it (16 is far from 8): about one slot for a round of answers.
        #expect(grown > 8.8 && grown < 9.1, "\(grown)")
    }

    @Test func answersThatQueueStopTheGrowth() async throws {
        let limiter = AdaptiveConcurrency(initial: 4, cap: 64)
        try await round(limiter, 4, Self.fast)
        #expect(await limiter.limit == 8)
        // Eight times slower than the fastest seen: more in flight only adds waiting.
        try await round(limiter, 8, .answered(operation: "add", latency: .milliseconds(320)))
        #expect(await limiter.limit == 8)
        // A slow list says nothing about adds: its own fastest answer is its baseline.
        try await round(limiter, 8, .answered(operation: "list", latency: .milliseconds(900)))
        #expect(await limiter.limit > 8)
    }

    @Test func neverBelowOneAndWaitersGetInAsSlotsFree() async throws {
        let limiter = AdaptiveConcurrency(initial: 1, cap: 4)
        let first = try await limiter.acquire()
        await limiter.release(first, .overloaded)
        #expect(await limiter.limit == 1)
        let held = try await limiter.acquire()
        let waiter = Task { try await limiter.acquire() }
        try await waitForCondition("the second caller is waiting") { await limiter.waiting == 1 }
        await limiter.release(held, .neutral)
        let admitted = try await waiter.value
        #expect(admitted.waited > .zero)
        #expect(await limiter.current == 1)
    }

    @Test func aCancelledWaiterLeavesTheQueue() async throws {
        let limiter = AdaptiveConcurrency(initial: 1, cap: 1)
        let held = try await limiter.acquire()
        let waiter = Task { try await limiter.acquire() }
        try await waitForCondition("the second caller is waiting") { await limiter.waiting == 1 }
        waiter.cancel()
        await #expect(throws: CancellationError.self) { try await waiter.value }
        #expect(await limiter.waiting == 0)
        await limiter.release(held, .neutral)
        #expect(await limiter.current == 0)
    }

    @Test func refusalsOfCallsSentBeforeAPauseDoNotLengthenIt() async throws {
        let limiter = RateLimiter(maxCalls: 100, window: .seconds(60))
        let sentEarly = ContinuousClock.now
        let first = await limiter.rateLimited("list", sentAt: sentEarly, base: .milliseconds(200))
        #expect(first == .milliseconds(200))
        // Three more workers' calls, sent before the pause began, answered 45009 by the same full window.
        for _ in 0..<3 {
            let step = await limiter.rateLimited("list", sentAt: sentEarly, base: .milliseconds(200))
            #expect(step <= .milliseconds(200))
        }
        // A call sent after the pause began and still refused: the window is longer than thought, so it doubles.
        try await Task.sleep(for: .milliseconds(1))
        let second = await limiter.rateLimited("list", sentAt: .now, base: .milliseconds(200))
        #expect(second == .milliseconds(400))
        // A success means the window opened: the next refusal starts short again.
        await limiter.succeeded("list")
        let third = await limiter.rateLimited("list", sentAt: .now, base: .milliseconds(200))
        #expect(third <= .milliseconds(400))
    }

    /// Through HTTP: WeCom's 45033 above three calls at once, sixty adds offered at once. The client must settle
    /// near three in flight and finish every add, with far fewer refusals than calls.
    @Test func fortyFiveOhThreeThreeLowersTheNumberInFlightAndEveryCallSucceeds() async throws {
        var options = SandboxServer.Options(latencyMs: 20)
        options.maxConcurrent = 3
        try await withServedSandbox(options) { sandbox in
            var configuration = sandbox.clientConfiguration(
                retry: .init(maxAttempts: 3, baseDelay: .milliseconds(20), maxDelay: .milliseconds(200)))
            configuration.initialCallsInFlight = 16
            try await withWeComClient(configuration) { client in
                try await withThrowingTaskGroup(of: Int.self) { group in
                    for index in 0..<60 {
                        group.addTask {
                            try await client.addMeetingRoom(AddMeetingRoomRequest(name: "R-\(index)", capacity: 4))
                        }
                    }
                    try await group.waitForAll()
                }
                #expect(await client.concurrency.limit <= 8)
            }
            #expect(await sandbox.store.callCount("add") - sandbox.store.tooManyInFlightAnswers == 60)
            let refused = await sandbox.store.tooManyInFlightAnswers
            #expect(refused < 30, "\(refused) answers of 45033 for 60 adds")
        }
    }
}

extension AdaptiveConcurrencyTests {
    @Test func after45009TheLimitHalvesAndStopsGrowing() async throws {
        let limiter = AdaptiveConcurrency(initial: 8, cap: 64)
        try await round(limiter, 8, .rateLimited)
        #expect(await limiter.limit == 4)
        // The rate is what limits now: fast answers do not grow the number in flight.
        for _ in 0..<5 { try await round(limiter, 4, Self.fast) }
        #expect(await limiter.limit == 4)
    }
}
