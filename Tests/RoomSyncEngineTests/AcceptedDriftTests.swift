import Foundation
import RoomSyncCore
import RoomSyncTestSupport
import Testing

@testable import RoomSyncEngine

/// `drift --accept` in the engine (SPEC section 4): what is accepted, what counts again, what apply clears, and
/// the state field through both of the state's readers and both of its writers.
@Suite struct AcceptedDriftTests {
    static let applied = Fixture.live(1, name: "a-room", capacity: 10)

    /// r1 changed in the console, r2 deleted, one unmanaged room.
    static func world(capacity: Int = 12) -> (state: RoomSyncState, live: [MeetingRoom]) {
        var edited = applied
        edited.capacity = capacity
        let state = Fixture.state([("r1", applied), ("r2", Fixture.live(2, name: "b-room"))])
        return (state, [edited, Fixture.live(3, name: "console room")])
    }

    @Test func acceptedDriftIsListedApartAndNotCounted() {
        var (state, live) = Self.world()
        let first = DriftDetector.detect(state: state, live: live)
        #expect(first.hasDrift)
        #expect(first.items.allSatisfy { !$0.accepted })
        state.acceptedDrift = first.acceptance

        let second = DriftDetector.detect(state: state, live: live)
        #expect(!second.hasDrift)
        #expect(second.acceptedCount == 3)
        #expect(second.count(.changed) == 0)
        #expect(DriftRenderer.render(second, format: OutputFormat.text) == """
            Accepted earlier (drift --accept), unchanged since:
              ~ r1 (meetingroom_id 1) changed outside roomsync
                  capacity: 10 → 12
              - r2 (meetingroom_id 2) was deleted outside roomsync
              ? #3 "console room" is not managed by roomsync

            No new drift (3 accepted earlier, not counted).

            """)
    }

    @Test func furtherChangeToAnAcceptedRoomAndNewRoomsAreNewDrift() throws {
        var (state, live) = Self.world()
        state.acceptedDrift = DriftDetector.detect(state: state, live: live).acceptance
        live[0].capacity = 14  // changed again since it was accepted
        live.append(Fixture.live(4, name: "another console room"))
        let report = DriftDetector.detect(state: state, live: live)
        #expect(report.hasDrift)
        let new = report.items.filter { !$0.accepted }
        #expect(new.map(\.meetingroomID) == [1, 4])
        #expect(report.items.filter(\.accepted).map(\.meetingroomID) == [2, 3])
        #expect(report.count(.changed) == 1)
        #expect(report.count(.unmanaged) == 1)
        #expect(report.count(.deleted) == 0)
        #expect(report.acceptedCount == 2)

        let json = try #require(
            try JSONSerialization.jsonObject(with: Data(DriftRenderer.render(report, format: OutputFormat.json).utf8)) as? [String: Any])
        #expect(json["summary"] as? [String: Int] == ["changed": 1, "deleted": 0, "unmanaged": 1, "accepted": 2])
        let items = try #require(json["items"] as? [[String: Any]])
        #expect(items.map { $0["accepted"] as? Bool } == [false, false, true, true])

        let markdown = DriftRenderer.render(report, format: OutputFormat.markdown)
        #expect(markdown.contains("| changed | deleted | unmanaged | accepted |"))
        #expect(markdown.contains("| 1 | 0 | 1 | 2 |"))
        #expect(markdown.contains("**r2** (meetingroom_id 2, b-room) — deleted (accepted earlier)"))
    }

    @Test func applyThatTouchesARoomClearsWhatWasAcceptedForIt() async throws {
        try await withTemporaryDirectory { directory in
            var (state, live) = Self.world()
            state.acceptedDrift = DriftDetector.detect(state: state, live: live).acceptance
            let recorder = StateRecorder(state: state, path: directory.appendingPathComponent("state.json").path)
            try await recorder.record(key: "r1", meetingroomID: 1, protect: false, applied: Self.applied)
            #expect(await recorder.state.acceptedDrift?.map(\.meetingroomID) == [2, 3])
            // A delete of the unmanaged room (--prune) clears it by id; of r2's key, by key.
            try await recorder.forget(key: "#3", meetingroomID: 3)
            try await recorder.forget(key: "r2", meetingroomID: 2)
            #expect(await recorder.state.acceptedDrift == nil)
            live = [Self.applied]
            #expect(!DriftDetector.detect(state: await recorder.state, live: live).hasDrift)
        }
    }

    @Test func acceptedDriftRoundTripsThroughBothReadersAndWriters() async throws {
        try await withTemporaryDirectory { directory in
            var (state, live) = Self.world()
            state.acceptedDrift = DriftDetector.detect(state: state, live: live).acceptance
            #expect(state.acceptedDrift?.count == 3)
            #expect(state.acceptedDrift?.contains { $0.key == nil } == true)

            let plain = try StateFile.encode(state)
            #expect(try StateFileEncoder().encode(state) == plain)
            #expect(String(decoding: plain, as: UTF8.self).contains("\"accepted_drift\""))
            // The fast reader and JSONDecoder read the same state.
            let fast = try JSONReader.read(plain) { try RoomSyncState(reading: &$0) }
            let decoded = try JSONDecoder().decode(RoomSyncState.self, from: plain)
            #expect(fast == state)
            #expect(decoded == state)
            let path = directory.appendingPathComponent("state.json").path
            try StateFile.save(state, to: path)
            #expect(try StateFile.load(path) == state)
        }
    }

    @Test func stateWithoutAcceptedDriftReadsAndWritesAsBefore() throws {
        let state = Self.world().state
        let data = try StateFile.encode(state)
        #expect(!String(decoding: data, as: UTF8.self).contains("accepted_drift"))
        #expect(try JSONReader.read(data) { try RoomSyncState(reading: &$0) } == state)
        let old = Data("{\"format_version\": 1, \"rooms\": {}, \"pending_adds\": []}".utf8)
        #expect(try JSONReader.read(old) { try RoomSyncState(reading: &$0) }.acceptedDrift == nil)
        #expect(try JSONDecoder().decode(RoomSyncState.self, from: old).acceptedDrift == nil)
    }
}
