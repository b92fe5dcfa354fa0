import RoomSyncEngine
import Testing

/// apply's live line on a terminal (SPEC section 5): done/total, rate, ETA and failures, as a pure function.
@Suite struct ApplyProgressTests {
    @Test func lineShowsDoneRateETAAndFailures() {
        let progress = ApplyProgress(total: 3000, done: 120, failed: 0, elapsed: .seconds(3))
        #expect(progress.line() == "[120/3000] 40.0 ops/s, ETA 1m12s, 0 failed")
        let failing = ApplyProgress(total: 10, done: 4, failed: 2, elapsed: .milliseconds(1500), waitingForRateLimit: true)
        #expect(failing.line() == "[4/10] 2.7 ops/s, ETA 2s, 2 failed, waiting for the rate limit")
    }

    @Test func etaIsUnknownBeforeTheFirstOperationAndZeroAtTheEnd() {
        #expect(ApplyProgress(total: 5, done: 0, failed: 0, elapsed: .seconds(2)).line() == "[0/5] 0.0 ops/s, ETA --, 0 failed")
        #expect(ApplyProgress(total: 5, done: 5, failed: 0, elapsed: .seconds(2)).line() == "[5/5] 2.5 ops/s, ETA 0s, 0 failed")
    }

    @Test func clockIsShort() {
        #expect(ApplyProgress.clock(.seconds(0)) == "0s")
        #expect(ApplyProgress.clock(.milliseconds(59_400)) == "59s")
        #expect(ApplyProgress.clock(.seconds(65)) == "1m05s")
        #expect(ApplyProgress.clock(.seconds(3600 + 120 + 30)) == "1h02m")
    }

    @Test func colourOnlyOnTheFailures() {
        Palette.enableTerminalColours()
        let line = ApplyProgress(total: 2, done: 1, failed: 1, elapsed: .seconds(1)).line(palette: Palette(enabled: true))
        #expect(line.hasPrefix("[1/2] 1.0 ops/s, ETA 1s, \u{1B}[31m1 failed"))
    }
}
