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

    /// Re-running the README's migration command weeks later pushed the old file over the team's newer state (same
    /// lineage), and the serial started again at 1, so an old file could look newer than the team's.
    @Test func pushKeepsTheSerialAndRefusesAnOlderStateOfTheSameLineage() async throws {
        try await withWorkspace { ws in
            try ws.write(manifest(rooms: ["a": room("A"), "b": room("B")]))
            #expect(try await ws.roomsync("apply", "--auto-approve").status == 0)
            try ws.write(manifest(rooms: ["a": room("A", capacity: 12), "b": room("B")]))
            #expect(try await ws.roomsync("apply", "--auto-approve").status == 0)
            let local = try ws.state()
            #expect(local.serial >= 2)

            // The migration: the file into the team's (empty) store, serial kept.
            let team = ws.directory.appendingPathComponent("team.json").path
            let push = try await ws.roomsync("state", "push", ".roomsync/state.json", "--state", team)
            #expect(push.status == 0, "\(push)")
            let migrated = try StateFile.load(team)
            #expect(migrated.serial == local.serial)
            #expect(migrated.lineage == local.lineage)
            #expect(migrated.rooms == local.rooms)

            // The team applies from the store: a room added, a serial or more on.
            try ws.write(manifest(rooms: ["a": room("A", capacity: 12), "b": room("B"), "c": room("C")]))
            let apply = try await ws.roomsync("apply", "--auto-approve", "--state", team)
            #expect(apply.status == 0, "\(apply)")
            let teamBytes = try Data(contentsOf: URL(fileURLWithPath: team))
            let teamSerial = try StateFile.load(team).serial
            #expect(teamSerial > local.serial)

            // The migration command again: the old file is refused, and nothing is written.
            let again = try await ws.roomsync("state", "push", ".roomsync/state.json", "--state", team)
            #expect(again.status == 1, "\(again)")
            let errors = again.stderr.split(separator: "\n").filter { $0.hasPrefix("error:") }
            #expect(errors.count == 1 && errors.first?.contains("older") == true && errors.first?.contains("--force") == true, "\(again)")
            #expect(try Data(contentsOf: URL(fileURLWithPath: team)) == teamBytes)

            // The team's next apply finds nothing to do: no room added twice.
            let plan = try await ws.roomsync("plan", "--detailed-exitcode", "--state", team)
            #expect(plan.status == 0, "\(plan)")
            #expect(try await ws.liveRooms().count == 3)

            // With --force the older state goes in, under a serial the store never had.
            let forced = try await ws.roomsync("state", "push", ".roomsync/state.json", "--state", team, "--force")
            #expect(forced.status == 0, "\(forced)")
            let replaced = try StateFile.load(team)
            #expect(replaced.rooms == local.rooms)
            #expect(replaced.serial == teamSerial + 1)
        }
    }
}
