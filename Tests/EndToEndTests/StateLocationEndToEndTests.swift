import Foundation
import RoomSyncCore
import RoomSyncEngine
import RoomSyncTestSupport
import Testing

/// Issue 23, item 10 (SPEC 7 and 8): state writes land where the state is.
@Suite struct StateLocationEndToEndTests {
    func isSymlink(_ url: URL) throws -> Bool {
        try FileManager.default.attributesOfItem(atPath: url.path)[.type] as? FileAttributeType == .typeSymbolicLink
    }

    /// A state path that is a symlink (a state kept in a shared folder) was replaced by a file on the first write,
    /// and the target kept the old state, locked under another name.
    @Test func aSymlinkedStateIsWrittenThroughToItsTargetAndLockedThere() async throws {
        try await withWorkspace { ws in
            let shared = ws.directory.appendingPathComponent("shared")
            try FileManager.default.createDirectory(at: shared, withIntermediateDirectories: true)
            try FileManager.default.createDirectory(
                at: ws.directory.appendingPathComponent(".roomsync"), withIntermediateDirectories: true)
            // Relative, and dangling until the first write.
            try FileManager.default.createSymbolicLink(atPath: ws.statePath.path, withDestinationPath: "../shared/state.json")
            let target = shared.appendingPathComponent("state.json")

            try ws.write(manifest(rooms: ["a": room("A"), "b": room("B")]))
            let first = try await ws.roomsync("apply", "--auto-approve")
            #expect(first.status == 0, "\(first)")
            try ws.write(manifest(rooms: ["a": room("A"), "b": room("B"), "c": room("C")]))
            let second = try await ws.roomsync("apply", "--auto-approve")
            #expect(second.status == 0, "\(second)")

            #expect(try isSymlink(ws.statePath), "the link was replaced by a file")
            let written = try StateFile.load(target.path)
            #expect(written.rooms.keys.sorted() == ["a", "b", "c"])
            #expect(try ws.state() == written)
            // The history goes with the state.
            #expect(FileManager.default.fileExists(atPath: target.path + ".history.jsonl"))
            #expect(!FileManager.default.fileExists(atPath: ws.statePath.path + ".history.jsonl"))

            // Whoever locks the state by its own path holds it for the link too.
            let lock = try StateLock.acquire(forState: target.path)
            try ws.write(manifest(rooms: ["a": room("A")]))
            let locked = try await ws.roomsync("apply", "--auto-approve")
            #expect(locked.status == 1, "\(locked)")
            #expect(locked.stderr.contains("is locked by"), "\(locked)")
            withExtendedLifetime(lock) {}
            #expect(try StateFile.load(target.path).rooms.count == 3)
            #expect(try await ws.liveRooms().count == 3)
        }
    }
}
