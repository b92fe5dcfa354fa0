#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Hummingbird
import RoomSyncCore
import RoomSyncEngine
import RoomSyncSandbox
import RoomSyncTestSupport
import Testing

/// Issue 5: SPEC sections 4 and 7 promise crash-safety and calm behaviour under faults. Each test drives the
/// built binary against a served sandbox with its fault options and checks the invariants afterwards.
@Suite struct FaultTests {
    /// The invariants every faulty run must leave: the state is valid and maps every key to a live room, no
    /// two live rooms are one key's (names are unique in these manifests), and a plan right after is empty.
    static func expectConverged(_ ws: Workspace, keys: Set<String>, sourceLocation: Testing.SourceLocation = #_sourceLocation) async throws {
        let state = try ws.state()
        #expect(Set(state.rooms.keys) == keys, sourceLocation: sourceLocation)
        #expect(state.pendingAdds.isEmpty, sourceLocation: sourceLocation)
        let live = try await ws.liveRooms()
        let liveIDs = Set(live.map(\.meetingroomID))
        let unmapped = state.rooms.filter { !liveIDs.contains($0.value.meetingroomID) }.map(\.key)
        #expect(unmapped.isEmpty, "keys mapped to no live room: \(unmapped)", sourceLocation: sourceLocation)
        let names = Dictionary(grouping: live, by: \.name).filter { $0.value.count > 1 }.map(\.key)
        #expect(names.isEmpty, "duplicated rooms: \(names)", sourceLocation: sourceLocation)
        let plan = try await ws.roomsync("plan", "--format", "json", "--detailed-exitcode")
        #expect(plan.status == 0, "\(plan)", sourceLocation: sourceLocation)
    }

    @Test func threeHundredChangesUnderFaultsAndDrops() async throws {
        let options = SandboxServer.Options(faultRate: 0.3, dropRate: 0.05, seed: 20261124)
        try await withWorkspace(options) { ws in
            try ws.write(manifest(rooms: numberedRooms(150)))
            let setup = try await ws.roomsync("apply", "--auto-approve", "--parallelism", "8", "--verbose")
            #expect(setup.status == 0, "\(setup)")

            // 100 edits, 40 deletes, 160 adds: 300 changes, all under 30% injected errors and 5% lost answers.
            let rooms = threeHundredChangesTo150Rooms()
            try ws.write(manifest(rooms: rooms))
            let plan = try await ws.roomsync("plan", "--format", "json")
            #expect(try plan.summary() == ["add": 160, "change": 100, "delete": 40, "adopt": 0, "move": 0, "import": 0, "unchanged": 10])

            let apply = try await ws.roomsync("apply", "--auto-approve", "--parallelism", "8", "--verbose")
            #expect(apply.status == 0, "\(apply)")
            #expect(apply.stdout.contains("Apply complete: 160 added, 100 changed, 40 deleted, 0 adopted."))
            try await Self.expectConverged(ws, keys: Set(rooms.keys))
            // The state file is plain valid JSON to any reader, not just to roomsync.
            #expect(try JSONSerialization.jsonObject(with: Data(contentsOf: ws.statePath)) is [String: Any])
        }
    }

    @Test func sigkillAtTwentyMomentsThenApplyConverges() async throws {
        // Each answer held 50 ms: an aimed kill must land while an add is in flight, and with the sandbox on a thread
        // of its own (no longer slowed by the other tests) 15 ms let a loaded run catch only 4 adds of the 5 needed.
        try await withWorkspace(SandboxServer.Options(latencyMs: 50)) { ws in
            var killedWithAddInFlight = 0
            for moment in 0..<20 {
                // Every round renames some rooms, drops the previous round's new rooms and adds its own: adds,
                // edits and deletes to interrupt.
                var rooms = numberedRooms(24)
                for index in 1...8 { rooms["r\(index)"] = room("R-\(index) round \(moment)") }
                rooms.merge(numberedRooms(12, prefix: "k\(moment)x")) { _, new in new }
                try ws.write(manifest(rooms: rooms))
                let running = try ws.start("apply", "--auto-approve", "--parallelism", "4", "--allow-mass-delete")
                if moment % 2 == 0 {
                    // Spread over the run: from start-up (before anything is sent) to the last operations.
                    try await Task.sleep(for: .milliseconds(10 + moment * 15))
                    running.kill()
                } else {
                    // Aimed: the moment an add is journaled and not yet answered, after a growing number of adds,
                    // watched from a thread of its own so the kill lands while the add is still in flight.
                    try await onOwnThread {
                        try await Self.waitForJournaledAdd(ws, afterAdds: moment / 2)
                        running.kill()
                    }
                }
                _ = try await ws.finish(running)

                // Whatever the moment, the state on disk is valid.
                let interrupted = try ws.state()
                if !interrupted.pendingAdds.isEmpty { killedWithAddInFlight += 1 }

                let again = try await ws.roomsync("apply", "--auto-approve", "--parallelism", "4", "--allow-mass-delete")
                #expect(again.status == 0, "round \(moment): \(again)")
                try await Self.expectConverged(ws, keys: Set(rooms.keys))
            }
            // Kills must have landed between a journaled add and its state write, or this proved little.
            #expect(killedWithAddInFlight >= 5, "only \(killedWithAddInFlight) kills caught an add in flight")
        }
    }

    /// Polls the state file until it holds a journaled add and at least `afterAdds` of this round's rooms are
    /// mapped (bounded: gives up after 5 s, and the kill then lands wherever the run is).
    static func waitForJournaledAdd(_ ws: Workspace, afterAdds: Int) async throws {
        let deadline = ContinuousClock.now + .seconds(5)
        let baseline = (try? ws.state().rooms.count) ?? 0
        while ContinuousClock.now < deadline {
            if let state = try? ws.state(), !state.pendingAdds.isEmpty, state.rooms.count - baseline >= afterAdds - 8 {
                return
            }
            try await Task.sleep(for: .milliseconds(1))
        }
    }

    @Test func tokensRevokedAndExpiringDuringALongApply() async throws {
        // A 3 s token (refreshed at 80%) expires several times in the apply, and every token is revoked at the
        // first add and again after every 40 adds, so calls in flight meet 42001 and must refresh. Revocations
        // follow the apply's progress, not the clock: on a loaded runner (the suite beside a build, or beside a
        // second suite) one call took 2.5-6 s, and revoking every 2 s from the start refused each new token before
        // its call was answered, which no client gets past (seen failing twice; the clean clone passed).
        try await withWorkspace(SandboxServer.Options(latencyMs: 25, tokenTTL: 3)) { ws in
            try ws.write(manifest(rooms: numberedRooms(160)))
            let clock = ContinuousClock()
            let started = clock.now
            let revoker = Task {
                var revokeAt = 1
                while !Task.isCancelled {
                    if await ws.sandbox.store.callCount("add") >= revokeAt {
                        await ws.sandbox.store.expireAllTokens()
                        revokeAt += 40
                    }
                    try await Task.sleep(for: .milliseconds(10))
                }
            }
            defer { revoker.cancel() }
            let apply = try await ws.roomsync("apply", "--auto-approve", "--parallelism", "2")
            revoker.cancel()
            let elapsed = (clock.now - started).components.seconds + 1
            #expect(apply.status == 0, "\(apply)")
            try await Self.expectConverged(ws, keys: Set(numberedRooms(160).keys))
            let tokens = await ws.sandbox.store.tokensIssued
            let calls = await ws.sandbox.store.callCount("add")
            // One token per expiry (TTL refreshes at 80% of 3 s, plus one per revocation), never one per call.
            #expect(elapsed >= 4, "the apply was too short to meet an expiry")
            #expect(tokens >= 4, "\(tokens) tokens: the revocations were not all met")
            #expect(Int64(tokens) <= elapsed + elapsed / 2 + 8, "\(tokens) tokens in \(elapsed) s")
            // Far fewer tokens than calls (a slow runner stretches the apply over more of the TTL's refreshes).
            #expect(tokens * 2 < calls, "\(tokens) tokens for \(calls) adds")
            // The revocation at the first add refused adds in flight or about to go (each counted, then sent again).
            #expect(calls > 160, "no add met a revoked token")
        }
    }

    @Test func rateLimitTighterThanTheApplyNeeds() async throws {
        // Ten adds per two seconds: forty adds need four windows however fast or slow the machine is (a busy CI
        // runner once took longer than a window of twenty calls a second to make twenty, and never met the limit).
        let options = SandboxServer.Options(rateLimit: SandboxServer.RateLimit(calls: 10, seconds: 2))
        try await withWorkspace(options) { ws in
            try ws.write(manifest(rooms: numberedRooms(40)))
            let clock = ContinuousClock()
            let started = clock.now
            let apply = try await ws.roomsync("apply", "--auto-approve")
            let elapsed = Double((clock.now - started).components.seconds) + 1
            #expect(apply.status == 0, "\(apply)")
            #expect(apply.stderr.contains("rate limited, waiting"), "\(apply)")
            try await Self.expectConverged(ws, keys: Set(numberedRooms(40).keys))
            // A storm would be every call in flight retrying at once, over and over: hundreds a window. A shared pause
            // that grows once per full window, and fewer in flight after each refusal, keep the 45009s to a few per
            // window (up to 42 in 8 s, 8.4 a window, with six suites at once beside a build).
            let rejected = await ws.sandbox.store.rateLimitedAnswers
            #expect(Double(rejected) <= 16 * elapsed / 2 + 16, "\(rejected) answers of 45009 in \(elapsed) s")
        }
    }

    /// Issue 17: WeCom also limits the calls in flight (45033). With default flags apply offers many at once; the
    /// client must lower its number in flight to what the server takes and finish without a failure.
    @Test func fortyFiveOhThreeThreeLowersConcurrencyAndTheApplyFinishes() async throws {
        var options = SandboxServer.Options(latencyMs: 20)
        options.maxConcurrent = 3
        try await withWorkspace(options) { ws in
            try ws.write(manifest(rooms: numberedRooms(80)))
            let apply = try await ws.roomsync("apply", "--auto-approve")
            #expect(apply.status == 0, "\(apply)")
            try await Self.expectConverged(ws, keys: Set(numberedRooms(80).keys))
            let refused = await ws.sandbox.store.tooManyInFlightAnswers
            // Each refusal halves the number in flight; probing back up costs one now and then, not one per add.
            #expect(refused < 40, "\(refused) answers of 45033 for 80 adds")
        }
    }

    /// Answers the server may give that are not WeCom at all.
    enum BadAnswer: String, CaseIterable, Sendable {
        case html502, truncatedJSON, unknownErrcode, html200

        var response: Response {
            switch self {
            case .html502: answer(.badGateway, "text/html", "<html><body><h1>502 Bad Gateway</h1></body></html>")
            case .truncatedJSON: answer(.ok, "application/json", #"{"errcode":0,"errmsg":"ok","meetingroom_list":[{"meetingroom_id":1,"na"#)
            case .unknownErrcode: answer(.ok, "application/json", #"{"errcode":60999,"errmsg":"something new"}"#)
            case .html200: answer(.ok, "text/html", "<!DOCTYPE html><title>Login</title>")
            }
        }
    }

    @Test(arguments: BadAnswer.allCases)
    func badAnswersEndWithOneClearErrorAndAValidState(_ bad: BadAnswer) async throws {
        try await withTemporaryDirectory { directory in
            try manifest(rooms: numberedRooms(2)).write(to: directory.appendingPathComponent("rooms.yaml"), atomically: true, encoding: .utf8)
            // A state from an earlier good run, bound to the fake's endpoint below.
            try await withFakeWeCom({ router in
                router.post("/cgi-bin/oa/meetingroom/list") { _, _ in bad.response }
                router.post("/cgi-bin/oa/meetingroom/add") { _, _ in bad.response }
            }) { endpoint in
                let statePath = directory.appendingPathComponent(".roomsync/state.json").path
                let before = RoomSyncState(target: StateTarget(endpoint: endpoint, corpID: "ww-fake"))
                try StateFile.save(before, to: statePath)
                let environment = [
                    "WECOM_ENDPOINT": endpoint, "WECOM_CORP_ID": "ww-fake", "WECOM_CORP_SECRET": "fake-secret",
                    "ROOMSYNC_RETRY_BASE_DELAY_MS": "10",
                ]
                for command in [["plan"], ["apply", "--auto-approve"], ["drift"]] {
                    let result = try await RoomSyncBinary.run(command, in: directory, environment: environment)
                    #expect(result.status == 1, "\(command): \(result)")
                    // One error line; a `still waiting` note is not an error (a loaded runner can take 10 s over the
                    // five attempts).
                    let lines = result.stderr.split(separator: "\n").filter { !$0.hasPrefix("note: still waiting") }
                    #expect(lines.count == 1, "\(command): \(result)")
                    #expect(lines.first?.hasPrefix("error: oa/meetingroom/list: ") == true, "\(command): \(result)")
                    #expect(!result.stderr.contains("fake-secret") && !result.stderr.contains("fake-token-1"))
                    #expect(try StateFile.load(statePath) == before)
                }
            }
        }
    }

    @Test func secretsCheckCatchesALeak() async throws {
        // The check run after every workspace must be able to fail, or it proves nothing.
        await withKnownIssue {
            try await withWorkspace { ws in
                try "token? no, the secret: \(Workspace.corpSecret)".write(
                    to: ws.directory.appendingPathComponent("leak.log"), atomically: true, encoding: .utf8)
            }
        }
    }
}
