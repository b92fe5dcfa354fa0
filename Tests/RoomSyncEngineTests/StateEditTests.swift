import Foundation
import RoomSyncCore
import RoomSyncEngine
import RoomSyncSandbox
import RoomSyncTestSupport
import Testing

/// What the commands that write the state outside apply do, now in the engine: an edit as one step, export,
/// import, `drift --accept`, a saved plan's check, the lock probe.
@Suite struct StateEditTests {
    static let writer = StateWriter(host: "test-host", pid: 42, user: "tester", command: "test")
    static let target = StateTarget(endpoint: "sandbox:test", corpID: nil)

    @Test func anEditIsOneStepAndNoChangeIsNoStep() async throws {
        try await withTemporaryDirectory { directory in
            let store = FileStateStore(path: directory.appendingPathComponent("state.json").path)
            try await store.edit(action: "import", by: Self.writer) { state in
                state.rooms["a"] = ManagedRoom(meetingroomID: 1, protect: false, applied: Fixture.live(1, name: "A"))
            }
            let first = try await store.load()
            #expect(first.serial == 1)
            let lineage = try #require(first.lineage)
            try await store.edit(action: "rm", by: Self.writer) { _ in }
            #expect(try await store.load().serial == 1, "nothing changed, nothing stored")
            // A state built anew (as export builds one) follows the stored serial and lineage.
            try await store.edit(action: "export", by: Self.writer) { state in
                var fresh = RoomSyncState(target: Self.target)
                fresh.rooms["b"] = ManagedRoom(meetingroomID: 2, protect: false, applied: Fixture.live(2, name: "B"))
                state = fresh
            }
            let second = try await store.load()
            #expect(second.serial == 2)
            #expect(second.lineage == lineage)
            #expect(second.rooms.keys.sorted() == ["b"])
            let history = try await store.history(key: nil, limit: 10)
            #expect(history.map(\.serial) == [2, 2, 1])
            #expect(history.map(\.action) == ["export", "export", "import"])
            #expect(Set(history.prefix(2).map(\.key)) == ["a", "b"])
        }
    }

    @Test func importBindsListsAndAdopts() async throws {
        let sandbox = try EmbeddedSandbox(dataFile: nil)
        let id = try await sandbox.addMeetingRoom(AddMeetingRoomRequest(name: "A", capacity: 4))
        var state = RoomSyncState()
        try await StateEdits.importRoom(key: "a", meetingroomID: id, api: sandbox, target: Self.target, state: &state, path: "state.json")
        #expect(state.target == Self.target)
        #expect(state.rooms["a"]?.applied.name == "A")
        let invalid = await #expect(throws: RoomSyncError.self) {
            try await StateEdits.importRoom(key: "A b", meetingroomID: id, api: sandbox, target: Self.target, state: &state, path: "state.json")
        }
        #expect(invalid?.message == "'A b' is not a valid manifest key: use [a-z0-9][a-z0-9._-]{0,63}")
        var other = RoomSyncState(target: StateTarget(endpoint: "sandbox:other", corpID: nil))
        await #expect(throws: RoomSyncError.self) {
            try await StateEdits.importRoom(key: "a", meetingroomID: id, api: sandbox, target: Self.target, state: &other, path: "state.json")
        }
    }

    @Test func exportReadsTheStateAndWritesNothingKeepingAJournaledAddsKey() async throws {
        try await withTemporaryDirectory { directory in
            let sandbox = try EmbeddedSandbox(dataFile: nil)
            let request = AddMeetingRoomRequest(name: "A", capacity: 4)
            // An interrupted add journaled 'a' and created this room before its answer was lost.
            let added = try await sandbox.addMeetingRoom(request)
            let hand = try await sandbox.addMeetingRoom(AddMeetingRoomRequest(name: "Hand", capacity: 2))
            let path = directory.appendingPathComponent("state.json")
            let store = FileStateStore(path: path.path)
            var state = RoomSyncState(target: Self.target)
            state.pendingAdds = [PendingAdd(key: "a", request: request, protect: false)]
            try await store.commit(state.nextStep(), changes: [], by: Self.writer)
            let before = try Data(contentsOf: path)

            let export = try await SyncPipeline.export(store: store, api: sandbox, target: Self.target)
            #expect(export.manifest.contains("\n  \"a\":\n    name: \"A\"\n"), "\(export.manifest)")
            #expect(export.manifest.hasSuffix("import:\n  - {key: \"hand\", meetingroom_id: \(hand)}\n"), "\(export.manifest)")
            #expect(!export.manifest.contains("meetingroom_id: \(added)}"), "the journaled add's room is the key's, not an import")
            #expect((export.rooms, export.imports) == (2, 1))
            #expect(try Data(contentsOf: path) == before, "export wrote the state")
            #expect(try await store.load().pendingAdds.map(\.key) == ["a"])
        }
    }

    @Test func acceptingDriftStoresItAndKeepsWhatOtherRoomsHadAccepted() async throws {
        try await withTemporaryDirectory { directory in
            let sandbox = try EmbeddedSandbox(dataFile: nil)
            let a = try await sandbox.addMeetingRoom(AddMeetingRoomRequest(name: "A", capacity: 4))
            let store = FileStateStore(path: directory.appendingPathComponent("state.json").path)
            var state = RoomSyncState(target: Self.target)
            state.rooms["a"] = ManagedRoom(meetingroomID: a, protect: false, applied: MeetingRoom(meetingroomID: a, name: "A", capacity: 8))
            state.acceptedDrift = [AcceptedDrift(kind: "changed", key: "other", meetingroomID: 99, fingerprint: "capacity=1")]
            try await store.commit(state.nextStep(), changes: [], by: Self.writer)

            let (snapshot, found) = try await SyncPipeline.drift(declared: ["a"], store: store, api: sandbox, target: Self.target)
            #expect(found.hasDrift)
            let marked = try await SyncPipeline.acceptDrift(found, declared: ["a"], snapshot: snapshot, store: store, by: Self.writer)
            #expect(!marked.hasDrift)
            let stored = try await store.load()
            #expect(stored.serial == 2)
            #expect(stored.acceptedDrift?.map(\.key) == ["other", "a"])
            // Without PATHs every room was looked at: only what is seen now stays accepted.
            let (again, all) = try await SyncPipeline.drift(declared: nil, store: store, api: sandbox, target: Self.target)
            _ = try await SyncPipeline.acceptDrift(all, declared: nil, snapshot: again, store: store, by: Self.writer)
            #expect(try await store.load().acceptedDrift?.map(\.key) == ["a"])
        }
    }

    @Test func aSavedPlanAppliesOnlyToItsTargetAndWhileItHolds() async throws {
        try await withTemporaryDirectory { directory in
            let path = directory.appendingPathComponent("plan.json").path
            let live = Fixture.live(7, name: "old")
            let state = Fixture.state([("a", live)])
            let plan = try Planner.plan(desired: [Fixture.desired("a", name: "new")], live: [live], state: state)
            try SavedPlan(target: Self.target, plan: plan, state: state).write(to: path)
            #expect(try SavedPlan.applicable(path, target: Self.target, live: [live], state: state) == plan)
            let elsewhere = StateTarget(endpoint: "sandbox:other", corpID: nil)
            let otherTarget = #expect(throws: RoomSyncError.self) {
                try SavedPlan.applicable(path, target: elsewhere, live: [live], state: state)
            }
            #expect(otherTarget?.message == "the plan \(path) was made for \(Self.target), not \(elsewhere)")
            var renamed = live
            renamed.capacity = 3
            let stale = #expect(throws: RoomSyncError.self) {
                try SavedPlan.applicable(path, target: Self.target, live: [renamed], state: state)
            }
            #expect(
                stale?.message == "the plan \(path) is stale: 'a' (meetingroom_id 7) changed since the plan was made (capacity). "
                    + "Run `roomsync plan --out \(path)` again.")
        }
    }

    @Test func theLockProbeNamesTheHolderAndNeverTakesTheLock() async throws {
        try await withTemporaryDirectory { directory in
            let path = directory.appendingPathComponent("state.json").path
            #expect(StateLock.holder(forState: path) == nil, "no lock file")
            do {
                let lock = try StateLock.acquire(forState: path)
                #expect(StateLock.holder(forState: path)?.hasPrefix("roomsync apply (pid ") == true)
                withExtendedLifetime(lock) {}
            }
            #expect(StateLock.holder(forState: path) == nil)
        }
    }
}
