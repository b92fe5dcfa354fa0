import Foundation
import RoomSyncCore
import RoomSyncEngine
import RoomSyncSandbox
import RoomSyncTestSupport
import Testing

/// Issue 14: `moved`, `import`, `ignore_changes` and `prune.exclude` through the built binary against a served
/// sandbox, as a pull request would carry them.
@Suite struct ManifestOperationsEndToEndTests {
    static let header = "version: 1\ndefaults: {city: 深圳, building: 腾讯大厦}\n"

    @Test func aMovedKeyKeepsItsRoomWithNoAddOrDeleteAndAChainWorks() async throws {
        try await withWorkspace { ws in
            try ws.write(Self.header + "rooms:\n  old: {name: Board, capacity: 8, floor: 3F}\n  keep: {name: Keep, capacity: 4, floor: 3F}\n")
            #expect(try await ws.roomsync("apply", "--auto-approve").status == 0)
            let id = try #require(try ws.state().rooms["old"]?.meetingroomID)
            let adds = await ws.sandbox.store.callCount("add"), deletes = await ws.sandbox.store.callCount("del")

            // old → mid → new in one pull request, with a capacity change on the way.
            let renamed = Self.header + "rooms:\n  new: {name: Board, capacity: 10, floor: 3F}\n  keep: {name: Keep, capacity: 4, floor: 3F}\n"
                + "moved:\n  - {from: old, to: mid}\n  - {from: mid, to: new}\n"
            try ws.write(renamed)
            let plan = try await ws.roomsync("plan")
            #expect(plan.stdout.contains("> old moved to mid\n"), "\(plan)")
            #expect(plan.stdout.contains("> mid moved to new\n"), "\(plan)")
            #expect(plan.stdout.contains("Plan: 0 to add, 1 to change, 0 to delete, 0 to adopt, 2 to move."), "\(plan)")
            let json = try await ws.roomsync("plan", "--format", "json")
            #expect(try json.summary()["move"] == 2)
            let changes = try #require(try json.json()["changes"] as? [[String: Any]])
            #expect(changes.first?["action"] as? String == "move")
            #expect(changes.first?["from"] as? String == "old")

            let markdown = try await ws.roomsync("plan", "--format", "markdown")
            #expect(markdown.stdout.contains("| add | change | delete | adopt | move | unchanged |\n| ---: | ---: | ---: | ---: | ---: | ---: |\n| 0 | 1 | 0 | 0 | 2 | 1 |"), "\(markdown)")
            #expect(markdown.stdout.contains("`>` **mid** (meetingroom_id \(id)) — move from **old**"), "\(markdown)")

            let apply = try await ws.roomsync("apply", "--auto-approve")
            #expect(apply.status == 0, "\(apply)")
            #expect(apply.stdout.contains("Apply complete: 0 added, 1 changed, 0 deleted, 0 adopted, 2 moved."), "\(apply)")
            #expect(try ws.state().rooms["new"]?.meetingroomID == id)
            #expect(try ws.state().rooms["old"] == nil)
            #expect(await ws.sandbox.store.callCount("add") == adds, "a move made an add")
            #expect(await ws.sandbox.store.callCount("del") == deletes, "a move made a delete")
            #expect(try await ws.liveRooms().first { $0.meetingroomID == id }?.capacity == 10)

            // The entries stay in the manifest for ever: the same manifest again is a no-op.
            let again = try await ws.roomsync("plan", "--detailed-exitcode")
            #expect(again.status == 0, "\(again)")
            #expect(again.stdout == "No changes.\n")
            let history = try String(contentsOf: ws.directory.appendingPathComponent(".roomsync/state.json.history.jsonl"), encoding: .utf8)
            #expect(history.contains(#""action":"move""#))
        }
    }

    @Test func importAdoptsAConsoleRoomAndEditsOnlyWhatDiffers() async throws {
        try await withWorkspace { ws in
            let id = try await ws.withClient {
                try await $0.addMeetingRoom(AddMeetingRoomRequest(name: "Lobby", capacity: 6, city: "深圳", building: "腾讯大厦", floor: "1F", equipment: [1]))
            }
            try ws.write(Self.header + "rooms:\n  lobby: {name: Lobby, capacity: 12, floor: 1F, equipment: [tv]}\nimport:\n  - {key: lobby, meetingroom_id: \(id)}\n")
            let plan = try await ws.roomsync("plan")
            #expect(plan.stdout.contains("= lobby will be imported (meetingroom_id \(id)) and changed\n    capacity: 6 → 12\n"), "\(plan)")
            #expect(plan.stdout.contains("1 to import."), "\(plan)")
            let adds = await ws.sandbox.store.callCount("add")
            let apply = try await ws.roomsync("apply", "--auto-approve")
            #expect(apply.status == 0, "\(apply)")
            #expect(try ws.state().rooms["lobby"]?.meetingroomID == id)
            #expect(await ws.sandbox.store.callCount("add") == adds)
            #expect(await ws.sandbox.store.callCount("edit") == 1)
            let live = try #require(try await ws.liveRooms().first { $0.meetingroomID == id })
            #expect(live.capacity == 12)
            #expect(live.equipment == [1])
            #expect(try await ws.roomsync("plan", "--detailed-exitcode").status == 0)
        }
    }

    @Test func importOfAManagedOrMissingIDIsALocatedError() async throws {
        try await withWorkspace { ws in
            try ws.write(Self.header + "rooms:\n  a: {name: A, capacity: 2, floor: 1F}\n")
            #expect(try await ws.roomsync("apply", "--auto-approve").status == 0)
            let managed = try #require(try ws.state().rooms["a"]?.meetingroomID)
            try ws.write(Self.header + "rooms:\n  a: {name: A, capacity: 2, floor: 1F}\n  b: {name: B, capacity: 2, floor: 1F}\nimport:\n  - {key: b, meetingroom_id: \(managed)}\n")
            let taken = try await ws.roomsync("plan")
            #expect(taken.status == 1)
            #expect(taken.stderr.contains("rooms.yaml:7:5: error: import: meetingroom_id \(managed) is already managed by 'a'"), "\(taken)")
            try ws.write(Self.header + "rooms:\n  a: {name: A, capacity: 2, floor: 1F}\n  b: {name: B, capacity: 2, floor: 1F}\nimport:\n  - {key: b, meetingroom_id: 9999}\n")
            let missing = try await ws.roomsync("plan")
            #expect(missing.status == 1)
            #expect(missing.stderr.contains("rooms.yaml:7:5: error: import: no live room has meetingroom_id 9999"), "\(missing)")
        }
    }

    @Test func ignoredCapacitySurvivesAConsoleEditWithoutPlanOrDrift() async throws {
        try await withWorkspace { ws in
            try ws.write(Self.header + "rooms:\n  hall: {name: Hall, capacity: 20, floor: 2F, ignore_changes: [capacity]}\n")
            #expect(try await ws.roomsync("apply", "--auto-approve").status == 0)
            let id = try #require(try ws.state().rooms["hall"]?.meetingroomID)
            #expect(try await ws.liveRooms().first?.capacity == 20, "ignored fields are still sent on add")
            try await ws.withClient { try await $0.editMeetingRoom(EditMeetingRoomRequest(meetingroomID: id, capacity: 35)) }
            let plan = try await ws.roomsync("plan", "--detailed-exitcode")
            #expect(plan.status == 0, "\(plan)")
            let drift = try await ws.roomsync("drift")
            #expect(drift.status == 0, "\(drift)")
            // Not ignored: the name is still managed.
            try await ws.withClient { try await $0.editMeetingRoom(EditMeetingRoomRequest(meetingroomID: id, name: "Renamed")) }
            #expect(try await ws.roomsync("drift").status == 2)
        }
    }

    @Test func pruneExcludeKeepsMatchingRooms() async throws {
        try await withWorkspace { ws in
            try await ws.withClient { client in
                _ = try await client.addMeetingRoom(AddMeetingRoomRequest(name: "临时会议室", capacity: 3))
                _ = try await client.addMeetingRoom(AddMeetingRoomRequest(name: "stray", capacity: 3))
            }
            try ws.write(Self.header + "rooms:\n  a: {name: A, capacity: 2, floor: 1F}\nprune:\n  exclude: [\"临时*\"]\n")
            let apply = try await ws.roomsync("apply", "--auto-approve", "--prune")
            #expect(apply.status == 0, "\(apply)")
            #expect(apply.stdout.contains("warning: live room '临时会议室' (meetingroom_id 1) is not managed and was kept: it matches prune.exclude '临时*' (rooms.yaml:6:13)"), "\(apply)")
            let names = Set(try await ws.liveRooms().map(\.name))
            #expect(names == ["临时会议室", "A"])
        }
    }
}
