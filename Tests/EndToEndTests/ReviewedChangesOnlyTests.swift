import Foundation
import RoomSyncCore
import RoomSyncEngine
import RoomSyncSandbox
import RoomSyncTestSupport
import Testing

/// Issue 23: a room is deleted or added again only because a reviewed change asked for it. A command that looks
/// read-only (`export`, `plan --out`) changes nothing a later apply does, and input roomsync cannot read or place (a
/// dangling manifest, an undeclared key, a named endpoint without credentials, a coordinate without a location) is
/// refused, never guessed at. Through the built binary against a served sandbox.
@Suite struct ReviewedChangesOnlyTests {
    static let header = "version: 1\ndefaults: {city: 深圳, building: 腾讯大厦}\n"
    static let managed = header
        + "rooms:\n  keep: {name: Keep, capacity: 4, floor: 3F}\n  guarded: {name: Guarded, capacity: 6, floor: 4F, protect: true}\n"
        + "prune:\n  exclude: [\"临时*\"]\n"

    /// The managed rooms applied, then two rooms made by hand in the console (one that `prune.exclude` keeps) and
    /// a console change to a managed one.
    func managedAndHandMadeRooms(_ ws: Workspace) async throws -> (hand: Int, excluded: Int, keep: Int) {
        try ws.write(Self.managed)
        let apply = try await ws.roomsync("apply", "--auto-approve")
        #expect(apply.status == 0, "\(apply)")
        let keep = try #require(try ws.state().rooms["keep"]?.meetingroomID)
        return try await ws.withClient { client in
            let hand = try await client.addMeetingRoom(AddMeetingRoomRequest(name: "Hand", capacity: 5))
            let excluded = try await client.addMeetingRoom(
                AddMeetingRoomRequest(name: "临时-仓库", capacity: 2, city: "深圳", building: "腾讯大厦", floor: "1F"))
            try await client.editMeetingRoom(EditMeetingRoomRequest(meetingroomID: keep, capacity: 9))
            return (hand, excluded, keep)
        }
    }

    func bytes(_ url: URL) throws -> Data { try Data(contentsOf: url) }

    @Test func exportWritesNoStateSoTheNextApplyDeletesNothing() async throws {
        try await withWorkspace { ws in
            let (hand, excluded, _) = try await managedAndHandMadeRooms(ws)
            let state = try bytes(ws.statePath)
            let history = try bytes(ws.directory.appendingPathComponent(".roomsync/state.json.history.jsonl"))

            let export = try await ws.roomsync("export")
            #expect(export.status == 0, "\(export)")
            #expect(export.stdout.contains("import:\n"), "\(export)")
            #expect(export.stdout.contains("  - {key: \"hand\", meetingroom_id: \(hand)}\n"), "\(export)")
            #expect(export.stdout.contains("meetingroom_id: \(excluded)}\n"), "\(export)")
            #expect(try bytes(ws.statePath) == state, "export wrote the state")
            #expect(try bytes(ws.directory.appendingPathComponent(".roomsync/state.json.history.jsonl")) == history)

            // The console change to `keep` is still drift: export did not overwrite its last-applied record.
            let drift = try await ws.roomsync("drift")
            #expect(drift.status == 2, "\(drift)")
            #expect(drift.stdout.contains("keep"), "\(drift)")

            // The ordinary apply of the reviewed manifest leaves the hand-made rooms alone.
            let deletes = await ws.sandbox.store.callCount("del")
            let apply = try await ws.roomsync("apply", "--auto-approve")
            #expect(apply.status == 0, "\(apply)")
            #expect(await ws.sandbox.store.callCount("del") == deletes, "\(apply)")
            let live = Set(try await ws.liveRooms().map(\.meetingroomID))
            #expect(live.contains(hand) && live.contains(excluded), "a hand-made room was deleted: \(apply)")
        }
    }

    @Test func exportThenPlanImportsUnmanagedRoomsAndApplyAdoptsThem() async throws {
        try await withWorkspace { ws in
            let (hand, excluded, keep) = try await managedAndHandMadeRooms(ws)
            let guarded = try #require(try ws.state().rooms["guarded"]?.meetingroomID)
            let export = try await ws.roomsync("export", "--out", "rooms.yaml")
            #expect(export.status == 0, "\(export)")
            #expect(export.stderr.contains("2 to import"), "\(export)")
            #expect(try await ws.roomsync("validate").status == 0)

            let plan = try await ws.roomsync("plan")
            #expect(plan.stdout.contains("= hand will be imported (meetingroom_id \(hand))\n"), "\(plan)")
            #expect(plan.stdout.contains("(meetingroom_id \(excluded))\n"), "\(plan)")
            let json = try await ws.roomsync("plan", "--format", "json")
            #expect(try json.summary() == ["add": 0, "change": 0, "delete": 0, "adopt": 0, "move": 0, "import": 2, "unchanged": 2], "\(json)")

            let (adds, deletes, edits) = (
                await ws.sandbox.store.callCount("add"), await ws.sandbox.store.callCount("del"), await ws.sandbox.store.callCount("edit")
            )
            let apply = try await ws.roomsync("apply", "--auto-approve")
            #expect(apply.status == 0, "\(apply)")
            #expect(await ws.sandbox.store.callCount("add") == adds)
            #expect(await ws.sandbox.store.callCount("del") == deletes)
            #expect(await ws.sandbox.store.callCount("edit") == edits)

            let again = try await ws.roomsync("plan", "--detailed-exitcode")
            #expect(again.status == 0, "\(again)")
            #expect(again.stdout == "No changes.\n", "\(again)")
            let state = try ws.state()
            // Managed rooms keep their keys (and `protect`); the hand-made ones are managed under the exported keys.
            #expect(state.rooms["keep"]?.meetingroomID == keep)
            #expect(state.rooms["guarded"]?.meetingroomID == guarded)
            #expect(state.rooms["guarded"]?.protect == true)
            #expect(state.rooms["hand"]?.meetingroomID == hand)
            #expect(state.managedIDs == [keep, guarded, hand, excluded])
            #expect(try await ws.liveRooms().count == 4)
        }
    }

    @Test func aDanglingSymlinkInAManifestDirectoryIsAnErrorNotADelete() async throws {
        try await withWorkspace { ws in
            let folder = ws.directory.appendingPathComponent("rooms")
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            try ws.write(Self.header + "rooms:\n  a: {name: A, capacity: 2, floor: 1F}\n", to: "rooms/a.yaml")
            try ws.write(Self.header + "rooms:\n  b: {name: B, capacity: 2, floor: 2F}\n", to: "rooms/b.yaml")
            #expect(try await ws.roomsync("apply", "--auto-approve", "rooms").status == 0)
            // b.yaml now points at a file that is not there (a checkout that moved it, a broken deploy).
            let b = folder.appendingPathComponent("b.yaml")
            try FileManager.default.removeItem(at: b)
            try FileManager.default.createSymbolicLink(atPath: b.path, withDestinationPath: "../shared/b.yaml")

            let validate = try await ws.roomsync("validate", "rooms")
            #expect(validate.status == 1, "\(validate)")
            #expect(validate.stderr.contains("rooms/b.yaml:1:1: error: cannot read file: a symbolic link to '../shared/b.yaml', which does not exist"), "\(validate)")
            let apply = try await ws.roomsync("apply", "--auto-approve", "rooms")
            #expect(apply.status == 1, "\(apply)")
            #expect(await ws.sandbox.store.callCount("del") == 0, "\(apply)")
            #expect(try await ws.liveRooms().count == 2)
            #expect(try ws.state().rooms.keys.sorted() == ["a", "b"])
        }
    }

    @Test func planOutRefusesToWriteOverAManifestItReadOrTheState() async throws {
        try await withWorkspace { ws in
            try ws.write(Self.header + "rooms:\n  a: {name: A, capacity: 2, floor: 1F}\n")
            try FileManager.default.createDirectory(at: ws.directory.appendingPathComponent("more"), withIntermediateDirectories: true)
            try ws.write(Self.header + "rooms:\n  b: {name: B, capacity: 2, floor: 2F}\n", to: "more/b.yaml")
            #expect(try await ws.roomsync("apply", "--auto-approve", "rooms.yaml", "more").status == 0)
            try FileManager.default.createSymbolicLink(
                atPath: ws.directory.appendingPathComponent("link.json").path, withDestinationPath: "rooms.yaml")
            let manifest = try bytes(ws.directory.appendingPathComponent("rooms.yaml"))
            let other = try bytes(ws.directory.appendingPathComponent("more/b.yaml"))
            let state = try bytes(ws.statePath)

            for (out, what) in [
                ("rooms.yaml", "the manifest rooms.yaml"), ("./rooms.yaml", "the manifest rooms.yaml"),
                ("more/b.yaml", "the manifest more/b.yaml"), ("link.json", "the manifest rooms.yaml"),
                (".roomsync/state.json", "the state .roomsync/state.json"),
            ] {
                let plan = try await ws.roomsync("plan", "rooms.yaml", "more", "--out", out)
                #expect(plan.status == 1, "\(out): \(plan)")
                #expect(plan.stderrWithoutWaitingNotes == "error: plan --out \(out) would write over \(what); save the plan to another file\n", "\(plan)")
            }
            #expect(try bytes(ws.directory.appendingPathComponent("rooms.yaml")) == manifest)
            #expect(try bytes(ws.directory.appendingPathComponent("more/b.yaml")) == other)
            #expect(try bytes(ws.statePath) == state)
            let saved = try await ws.roomsync("plan", "rooms.yaml", "more", "--out", "plan.json")
            #expect(saved.status == 0, "\(saved)")
            // export's --out is held to the same: its manifest never replaces the state.
            let export = try await ws.roomsync("export", "--out", ".roomsync/state.json")
            #expect(export.status == 1, "\(export)")
            #expect(export.stderrWithoutWaitingNotes == "error: export --out .roomsync/state.json would write over the state .roomsync/state.json; save the manifest to another file\n", "\(export)")
            #expect(try bytes(ws.statePath) == state)
        }
    }

    @Test func aMoveToAKeyNoManifestDeclaresIsALocatedErrorNotADelete() async throws {
        try await withWorkspace { ws in
            try ws.write(Self.header + "rooms:\n  old: {name: Board, capacity: 8, floor: 3F}\n")
            #expect(try await ws.roomsync("apply", "--auto-approve").status == 0)
            let id = try #require(try ws.state().rooms["old"]?.meetingroomID)
            // `nwe` is a typo for `new`: moved, then deleted as a key no manifest declares, before the fix.
            try ws.write(Self.header + "rooms:\n  new: {name: Board, capacity: 8, floor: 3F}\nmoved:\n  - {from: old, to: nwe}\n")
            let validate = try await ws.roomsync("validate")
            #expect(validate.status == 1, "\(validate)")
            #expect(validate.stderr == "rooms.yaml:6:5: error: moved: 'nwe' is not a room of the manifests; a key is moved to a room declared under 'rooms'\n", "\(validate)")
            let apply = try await ws.roomsync("apply", "--auto-approve")
            #expect(apply.status == 1, "\(apply)")
            #expect(await ws.sandbox.store.callCount("del") == 0)
            #expect(try await ws.liveRooms().map(\.meetingroomID) == [id])
            #expect(try ws.state().rooms["old"]?.meetingroomID == id)
        }
    }

    @Test func theImportCommandRefusesAKeyNoManifestDeclares() async throws {
        try await withWorkspace { ws in
            let id = try await ws.withClient { try await $0.addMeetingRoom(AddMeetingRoomRequest(name: "Old", capacity: 3)) }
            try ws.write("version: 1\nrooms:\n  other: {name: Other, capacity: 2}\n")
            let refused = try await ws.roomsync("import", "ghost", "\(id)")
            #expect(refused.status == 1, "\(refused)")
            #expect(refused.stderrWithoutWaitingNotes == "error: 'ghost' is not a room of the manifests (rooms.yaml); declare it under 'rooms' first\n", "\(refused)")
            #expect(!FileManager.default.fileExists(atPath: ws.statePath.path), "the refused import wrote a state")

            // The PATHs it is given are the manifests it checks, and the next plan of them keeps the room.
            try ws.write("version: 1\nrooms:\n  ghost: {name: Old, capacity: 3}\n", to: "ghost.yaml")
            let imported = try await ws.roomsync("import", "ghost", "\(id)", "ghost.yaml")
            #expect(imported.status == 0, "\(imported)")
            #expect(try ws.state().rooms["ghost"]?.meetingroomID == id)
            let plan = try await ws.roomsync("plan", "ghost.yaml")
            #expect(plan.stdout == "No changes.\n", "\(plan)")
        }
    }

    @Test func aNamedEndpointWithoutCredentialsNeverFallsBackToTheSandbox() async throws {
        try await withWorkspace { ws in
            try ws.write("version: 1\nrooms:\n  a: {name: A, capacity: 2}\n")
            for (arguments, environment) in [
                (["apply", "--auto-approve"], ["WECOM_ENDPOINT": ws.endpoint]),
                (["apply", "--auto-approve", "--endpoint", ws.endpoint], [:]),
                (["export", "--endpoint", ws.endpoint], [:]),
            ] {
                // Not through `ws.run`, which sets the credentials.
                let refused = try await RoomSyncBinary.run(arguments, in: ws.directory, environment: environment)
                #expect(refused.status == 1, "\(arguments): \(refused)")
                #expect(refused.stderr.hasPrefix("error: no target: an endpoint was named"), "\(refused)")
                #expect(refused.stderr.contains(ws.endpoint), "\(refused)")
            }
            #expect(!FileManager.default.fileExists(atPath: ws.directory.appendingPathComponent(".roomsync/sandbox.json").path))
            #expect(!FileManager.default.fileExists(atPath: ws.statePath.path))
            #expect(await ws.sandbox.store.callCount("add") == 0)
        }
    }

    @Test func aCoordinateWithoutALocationIsAValidateErrorNeverSent() async throws {
        try await withWorkspace { ws in
            try ws.write(
                "version: 1\ndefaults:\n  coordinate: {latitude: \"22.540503\", longitude: \"113.934528\"}\nrooms:\n"
                    + "  a: {name: A, capacity: 2}\n  b: {name: B, capacity: 2, city: 深圳, building: 腾讯大厦, floor: 1F}\n")
            let validate = try await ws.roomsync("validate")
            #expect(validate.status == 1, "\(validate)")
            #expect(validate.stderr == "rooms.yaml:5:3: error: room 'a' has a coordinate but no location: a coordinate needs city, building and floor\n", "\(validate)")
            let apply = try await ws.roomsync("apply", "--auto-approve")
            #expect(apply.status == 1, "\(apply)")
            #expect(await ws.sandbox.store.callCount("add") == 0)
            #expect(try await ws.liveRooms().isEmpty)
        }
    }
}
