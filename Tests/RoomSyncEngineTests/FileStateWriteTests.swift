import Foundation
import RoomSyncCore
import RoomSyncTestSupport
import Testing

@testable import RoomSyncEngine

/// The file backend writes a step from the rooms its changes name, straight from the kept room texts: the file must
/// still be, byte for byte, what JSONEncoder writes for the whole state, whatever happened before the step.
@Suite struct FileStateWriteTests {
    static let writer = StateWriter(host: "test-host", pid: 42, user: "tester", command: "apply")

    /// The file as written, and as `StateFile.encode` writes the state read back from it.
    func expectFileIsThePlainEncoding(_ path: String, sourceLocation: Testing.SourceLocation = #_sourceLocation) throws {
        let written = try Data(contentsOf: URL(fileURLWithPath: path))
        #expect(written == (try StateFile.encode(try StateFile.load(path))), sourceLocation: sourceLocation)
    }

    @Test func stepsWrittenFromTheirChangesAreExactlyWhatJSONEncoderWrites() async throws {
        try await withTemporaryDirectory { directory in
            let path = directory.appendingPathComponent("state.json").path
            let store = FileStateStore(path: path)
            let recorder = StateRecorder(state: try await store.load(), store: store, writer: Self.writer)
            // Keys that sort before, between and after the others, by UTF-8 bytes as JSONEncoder sorts them.
            for (index, key) in ["m", "b", "z", "B", "m-2", "十楼", "a"].enumerated() {
                try await recorder.record(key: key, meetingroomID: index + 1, protect: false, applied: Fixture.live(index + 1, name: key))
                try expectFileIsThePlainEncoding(path)
            }
            try await recorder.journal(PendingAdd(key: "p", request: AddMeetingRoomRequest(name: "p", capacity: 2), protect: false))
            try expectFileIsThePlainEncoding(path)
            try await recorder.record(
                key: "m", meetingroomID: 1, protect: true,
                applied: Fixture.live(1, name: "m", capacity: 30, range: RoomRange(userList: ["lisi"], departmentList: [2])))
            try expectFileIsThePlainEncoding(path)
            try await recorder.forget(key: "B")
            try expectFileIsThePlainEncoding(path)
            try await recorder.move(from: "a", to: "zz")
            try expectFileIsThePlainEncoding(path)
            try await recorder.clearJournal(key: "p")
            try expectFileIsThePlainEncoding(path)
            for key in ["b", "m", "m-2", "z", "十楼", "zz"] { try await recorder.forget(key: key) }
            try expectFileIsThePlainEncoding(path)
            #expect(try StateFile.load(path).rooms.isEmpty)
            try await recorder.record(key: "again", meetingroomID: 40, protect: false, applied: Fixture.live(40, name: "again"))
            try expectFileIsThePlainEncoding(path)
            #expect(try StateFile.load(path).rooms.keys.sorted() == ["again"])
        }
    }

    /// A store that reads its file again may find another state under the same serial (a copy restored from git):
    /// its next step cannot take the rooms it does not name to be the ones it wrote.
    @Test func aStoreThatReadsItsFileAgainComparesEveryRoom() async throws {
        try await withTemporaryDirectory { directory in
            let path = directory.appendingPathComponent("state.json").path
            let store = FileStateStore(path: path)
            let recorder = StateRecorder(state: try await store.load(), store: store, writer: Self.writer)
            try await recorder.record(key: "a", meetingroomID: 1, protect: false, applied: Fixture.live(1, name: "A"))
            try await recorder.record(key: "b", meetingroomID: 2, protect: false, applied: Fixture.live(2, name: "B"))

            // The same serial, another record under "a".
            var restored = try StateFile.load(path)
            restored.rooms["a"]?.applied.name = "A restored"
            try StateFile.save(restored, to: path)

            let again = StateRecorder(state: try await store.load(), store: store, writer: Self.writer)
            try await again.record(key: "c", meetingroomID: 3, protect: false, applied: Fixture.live(3, name: "C"))
            try expectFileIsThePlainEncoding(path)
            #expect(try StateFile.load(path).rooms["a"]?.applied.name == "A restored")
            #expect(try StateFile.load(path).rooms.keys.sorted() == ["a", "b", "c"])
        }
    }

    /// A write that fails (here: something is in the way of the temporary file) leaves the previous file; the next
    /// one carries the failed step's changes and is complete.
    @Test func aFailedWriteIsFollowedByACompleteOne() async throws {
        try await withTemporaryDirectory { directory in
            let path = directory.appendingPathComponent("state.json").path
            let store = FileStateStore(path: path)
            let recorder = StateRecorder(state: try await store.load(), store: store, writer: Self.writer)
            try await recorder.record(key: "a", meetingroomID: 1, protect: false, applied: Fixture.live(1, name: "A"))
            let before = try Data(contentsOf: URL(fileURLWithPath: path))

            let blocker = directory.appendingPathComponent(".state.json.tmp-\(getpid())").path
            try FileManager.default.createDirectory(atPath: blocker, withIntermediateDirectories: false)
            await #expect(throws: RoomSyncError.self) {
                try await recorder.record(key: "b", meetingroomID: 2, protect: false, applied: Fixture.live(2, name: "B"))
            }
            #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == before)
            try FileManager.default.removeItem(atPath: blocker)

            try await recorder.record(key: "c", meetingroomID: 3, protect: false, applied: Fixture.live(3, name: "C"))
            try expectFileIsThePlainEncoding(path)
            let stored = try StateFile.load(path)
            #expect(stored.rooms.keys.sorted() == ["a", "b", "c"])
            #expect(stored == (await recorder.state))
        }
    }

    /// Changes that do not account for the rooms (a caller with a state of its own) make the store compare every
    /// room instead of writing a file without the ones left unnamed.
    @Test func changesThatDoNotCountTheRoomsAreNotTrusted() async throws {
        try await withTemporaryDirectory { directory in
            let path = directory.appendingPathComponent("state.json").path
            let store = FileStateStore(path: path)
            let recorder = StateRecorder(state: try await store.load(), store: store, writer: Self.writer)
            try await recorder.record(key: "a", meetingroomID: 1, protect: false, applied: Fixture.live(1, name: "A"))
            var state = await recorder.state.nextStep()
            state.rooms["b"] = ManagedRoom(meetingroomID: 2, protect: false, applied: Fixture.live(2, name: "B"))
            try await store.commit(state, changes: [], by: Self.writer)
            try expectFileIsThePlainEncoding(path)
            #expect(try StateFile.load(path).rooms.keys.sorted() == ["a", "b"])
        }
    }

    /// `AtomicFile.write` of parts writes their concatenation, however many parts (more than one `writev` takes),
    /// empty ones included.
    @Test func partsAreWrittenInOrderPastTheSystemsLimitOfPiecesACall() async throws {
        try await withTemporaryDirectory { directory in
            let path = directory.appendingPathComponent("parts.txt").path
            let pieces = (0..<5000).map { "\($0)," } + ["", "end"]
            let text = Array(pieces.joined().utf8)
            let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: text.count, alignment: 1)
            defer { buffer.deallocate() }
            buffer.copyBytes(from: text)
            var parts: [UnsafeRawBufferPointer] = []
            var offset = 0
            for piece in pieces {
                parts.append(UnsafeRawBufferPointer(rebasing: buffer[offset..<(offset + piece.utf8.count)]))
                offset += piece.utf8.count
            }
            try AtomicFile.write(parts, to: path)
            #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == Data(text))
        }
    }
}
