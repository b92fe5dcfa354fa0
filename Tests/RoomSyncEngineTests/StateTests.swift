import Foundation
import RoomSyncCore
import RoomSyncTestSupport
import Testing

@testable import RoomSyncEngine

@Suite struct StateTests {
    @Test func missingStateIsEmpty() async throws {
        try await withTemporaryDirectory { directory in
            let state = try StateFile.load(directory.appendingPathComponent("none.json").path)
            #expect(state.rooms.isEmpty)
            #expect(state.target == nil)
        }
    }

    @Test func roundTripsAndStaysSorted() async throws {
        try await withTemporaryDirectory { directory in
            let path = directory.appendingPathComponent(".roomsync/state.json").path
            let state = Fixture.state([("b", Fixture.live(2, name: "b")), ("a", Fixture.live(1, name: "a"))])
            try StateFile.save(state, to: path)
            #expect(try StateFile.load(path) == state)
            let text = try String(contentsOfFile: path, encoding: .utf8)
            #expect(text.range(of: "\"a\"")!.lowerBound < text.range(of: "\"b\"")!.lowerBound)
        }
    }

    /// A state big enough that the reader drops what it has read from the mapping several times while reading
    /// the rest still loads exactly as saved.
    @Test func aBigMappedStateLoadsExactlyAsSaved() async throws {
        try await withTemporaryDirectory { directory in
            let path = directory.appendingPathComponent("state.json").path
            let rooms = (1...25_000).map { id in
                ("room-\(id)", Fixture.live(id, name: "会议室 \(id)", range: RoomRange(userList: ["zhangsan", "lisi"], departmentList: [id])))
            }
            let state = Fixture.state(rooms)
            try StateFile.save(state, to: path)
            let size = try FileManager.default.attributesOfItem(atPath: path)[.size] as! Int
            #expect(size > 2 * JSONReader.releaseInterval)
            #expect(try StateFile.load(path) == state)
        }
    }

    /// What the fast reader refuses (an integer written as a float) is read from the mapped file by JSONDecoder.
    @Test func aMappedStateTheFastReaderRefusesGoesToJSONDecoder() async throws {
        try await withTemporaryDirectory { directory in
            let path = directory.appendingPathComponent("state.json").path
            let state = Fixture.state([("a", Fixture.live(1, name: "a"))])
            try StateFile.save(state, to: path)
            let text = try String(contentsOfFile: path, encoding: .utf8)
            #expect(text.contains("\"capacity\" : 10,"))
            try text.replacingOccurrences(of: "\"capacity\" : 10,", with: "\"capacity\" : 10.0,")
                .write(toFile: path, atomically: true, encoding: .utf8)
            #expect(try StateFile.load(path) == state)
        }
    }

    @Test(arguments: ["", "{", "<html>502</html>", "{\"format_version\": 1}", "{\"format_version\": 2, \"rooms\": {}, \"pending_adds\": []}"])
    func corruptStateIsAClearError(content: String) async throws {
        try await withTemporaryDirectory { directory in
            let path = directory.appendingPathComponent("state.json").path
            try content.write(toFile: path, atomically: true, encoding: .utf8)
            #expect {
                try StateFile.load(path)
            } throws: { error in
                let message = (error as? RoomSyncError)?.message ?? ""
                return message.hasPrefix("state file \(path)") && !message.contains("\n")
            }
        }
    }

    /// `applied` is held by reference inside `ManagedRoom` (for the size of the state's dictionary): it must still
    /// behave as a value, compare and hash by content, and encode as before.
    @Test func aManagedRoomsAppliedRecordIsAValue() throws {
        let original = ManagedRoom(meetingroomID: 7, protect: false, applied: Fixture.live(7, name: "A"))
        var copy = original
        copy.applied.name = "B"
        copy.applied.capacity += 1
        #expect(original.applied.name == "A")
        #expect(copy.applied.name == "B")
        #expect(copy != original)
        var state = Fixture.state([("a", Fixture.live(7, name: "A"))])
        let before = state
        state.rooms["a"]!.applied.floor = "9F"
        #expect(before.rooms["a"]!.applied.floor != "9F")
        #expect(state.rooms["a"]!.applied.floor == "9F")
        // Equal content in separate records: equal, and hashing alike.
        let twin = ManagedRoom(meetingroomID: 7, protect: false, applied: Fixture.live(7, name: "A"))
        #expect(twin == original)
        #expect(twin.hashValue == original.hashValue)
        let encoded = try JSONEncoder().encode(original)
        #expect(try JSONDecoder().decode(ManagedRoom.self, from: encoded) == original)
        #expect(String(decoding: encoded, as: UTF8.self).contains("\"applied\""))
    }

    @Test func stateIsBoundToItsTarget() throws {
        var state = RoomSyncState()
        try StateFile.bind(&state, to: StateTarget(endpoint: "https://a", corpID: "x"), path: "s.json")
        #expect(state.target == StateTarget(endpoint: "https://a", corpID: "x"))
        #expect(throws: RoomSyncError.self) {
            try StateFile.bind(&state, to: StateTarget(endpoint: "https://a", corpID: "y"), path: "s.json")
        }
    }

    @Test func stateTargetIgnoresATrailingSlashOnTheEndpoint() throws {
        var state = RoomSyncState()
        try StateFile.bind(&state, to: StateTarget(endpoint: "https://qyapi.weixin.qq.com/", corpID: "x"), path: "s.json")
        try StateFile.bind(&state, to: StateTarget(endpoint: "https://qyapi.weixin.qq.com", corpID: "x"), path: "s.json")
        #expect(StateTarget(endpoint: "https://x//", corpID: nil) == StateTarget(endpoint: "https://x", corpID: nil))
        #expect(
            Set([StateTarget(endpoint: "https://x/", corpID: "c"), StateTarget(endpoint: "https://x", corpID: "c")]).count == 1)
        #expect(StateTarget(endpoint: "https://x/a", corpID: nil) != StateTarget(endpoint: "https://x", corpID: nil))
    }

    @Test func aStatePathThatIsADirectoryIsOneClearError() async throws {
        try await withTemporaryDirectory { directory in
            let path = directory.appendingPathComponent("state.json").path
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
            let read = #expect(throws: RoomSyncError.self) { try StateFile.load(path) }
            #expect(read?.message == "cannot read state \(path): Is a directory")
            let write = #expect(throws: RoomSyncError.self) { try StateFile.save(RoomSyncState(), to: path) }
            #expect(write?.message == "cannot write state \(path): Is a directory")
        }
    }

    @Test func aStateInAFolderThatIsAFileIsOneClearError() async throws {
        try await withTemporaryDirectory { directory in
            let blocker = directory.appendingPathComponent("blocker")
            try Data("x".utf8).write(to: blocker)
            let path = blocker.appendingPathComponent("state.json").path
            let read = #expect(throws: RoomSyncError.self) { try StateFile.load(path) }
            #expect(read?.message == "cannot read state \(path): Not a directory")
            let write = #expect(throws: RoomSyncError.self) { try StateFile.save(RoomSyncState(), to: path) }
            #expect(write?.message == "cannot write state \(path): Not a directory")
        }
    }

    @Test func aStateWriteThatFailsMidApplyNamesTheFileAndTheReason() async throws {
        // The folder is replaced by a file after the state was read: the recorder's write fails with ENOTDIR and
        // says so about the state file, as an apply's operation would report it.
        try await withTemporaryDirectory { directory in
            let folder = directory.appendingPathComponent("state")
            let path = folder.appendingPathComponent("state.json").path
            try StateFile.save(RoomSyncState(), to: path)
            let recorder = StateRecorder(state: try StateFile.load(path), path: path)
            try FileManager.default.removeItem(at: folder)
            try Data("x".utf8).write(to: folder)
            let pending = PendingAdd(key: "a", request: AddMeetingRoomRequest(name: "A", capacity: 1), protect: false)
            let error = await #expect(throws: RoomSyncError.self) { try await recorder.journal(pending) }
            #expect(error?.message == "cannot write state \(path): Not a directory")
        }
    }

    @Test func secondLockFailsNamingTheHolderAndReleaseFreesIt() async throws {
        try await withTemporaryDirectory { directory in
            let path = directory.appendingPathComponent("state.json").path
            var first: StateLock? = try StateLock.acquire(forState: path)
            #expect {
                try StateLock.acquire(forState: path)
            } throws: { error in
                "\(error)".contains("pid \(ProcessInfo.processInfo.processIdentifier)")
            }
            withExtendedLifetime(first) {}
            first = nil
            _ = try StateLock.acquire(forState: path)
        }
    }

    @Test func pendingAddFoundLiveIsMapped() {
        var state = RoomSyncState()
        let request = AddMeetingRoomRequest(name: "a-room", capacity: 10, city: "深圳", building: "腾讯大厦", floor: "18F")
        state.pendingAdds = [PendingAdd(key: "a", request: request, protect: true)]
        PendingAddResolver.resolve(&state, live: [Fixture.live(4, name: "a-room")])
        #expect(state.rooms["a"]?.meetingroomID == 4)
        #expect(state.rooms["a"]?.protect == true)
        #expect(state.pendingAdds.isEmpty)
    }

    @Test func pendingAddNotFoundIsDropped() {
        var state = RoomSyncState()
        state.pendingAdds = [PendingAdd(key: "a", request: AddMeetingRoomRequest(name: "a-room", capacity: 10), protect: false)]
        PendingAddResolver.resolve(&state, live: [Fixture.live(4, name: "other")])
        #expect(state.rooms.isEmpty)
        #expect(state.pendingAdds.isEmpty)
    }

    @Test func importMoveRemove() throws {
        var state = RoomSyncState()
        let live = [Fixture.live(4, name: "x")]
        try StateEdits.importRoom(key: "x", meetingroomID: 4, live: live, state: &state)
        #expect(throws: RoomSyncError.self) { try StateEdits.importRoom(key: "y", meetingroomID: 4, live: live, state: &state) }
        #expect(throws: RoomSyncError.self) { try StateEdits.importRoom(key: "Bad Key", meetingroomID: 5, live: live, state: &state) }
        #expect(throws: RoomSyncError.self) { try StateEdits.importRoom(key: "z", meetingroomID: 99, live: live, state: &state) }
        try StateEdits.move("x", to: "y", in: &state)
        #expect(state.rooms["y"]?.meetingroomID == 4)
        try StateEdits.remove("y", from: &state)
        #expect(state.rooms.isEmpty)
    }

    /// Apply writes the state through `StateFileEncoder`, which reuses each room's encoded text; the file must be
    /// exactly what `StateFile.encode` (JSONEncoder) writes, through additions, edits and removals.
    @Test func cachedEncoderWritesExactlyWhatJSONEncoderWrites() throws {
        var state = Fixture.state(
            [
                ("b-room", Fixture.live(2, name: "B \"quoted\" / slash", equipment: [1, 3])),
                ("a10", Fixture.live(10, name: "十楼", range: RoomRange(userList: ["zhangsan"], departmentList: []))),
                ("a9", Fixture.live(9, name: "nine", location: nil)),
            ], protect: ["a9"])
        state.pendingAdds = [PendingAdd(key: "c", request: AddMeetingRoomRequest(name: "c\nline", capacity: 3), protect: false)]
        let encoder = StateFileEncoder()
        #expect(try encoder.encode(state) == StateFile.encode(state))
        state.rooms["a10"]?.applied.capacity = 11
        state.rooms["Z"] = ManagedRoom(meetingroomID: 12, protect: false, applied: Fixture.live(12, name: "Z"))
        state.rooms["b-room"] = nil
        state.pendingAdds = []
        #expect(try encoder.encode(state) == StateFile.encode(state))
        state.target = nil
        #expect(try encoder.encode(state) == StateFile.encode(state))
        #expect(try encoder.encode(RoomSyncState()) == StateFile.encode(RoomSyncState()))
    }
}
