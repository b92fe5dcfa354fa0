import Foundation
import RoomSyncCore
import RoomSyncEngine
import RoomSyncTestSupport
import Testing

/// Issue 28 item 1 (SPEC 11) through the built binary against a served sandbox: a Shenzhen team plans and applies
/// its own rooms while Beijing's reviewed changes wait, and nothing of Beijing's is touched, reported or deleted.
@Suite struct SubsetEndToEndTests {
    static func rooms(szCapacity: Int = 8, withBJB: Bool = true, withSZNew: Bool = false) -> String {
        var rooms = [
            "sz-a": room("SZ A", capacity: szCapacity),
            "sz-b": room("SZ B", floor: "19F"),
            "bj-a": room("BJ A", extra: "city: 北京\nbuilding: 中关村\n"),
        ]
        if withBJB { rooms["bj-b"] = room("BJ B", floor: "2F", extra: "city: 北京\nbuilding: 中关村\n") }
        if withSZNew { rooms["sz-new"] = room("SZ New", floor: "20F") }
        return manifest(rooms: rooms)
    }

    @Test func aSubsetPlansAppliesAndSavesOnlyItsRoomsAndLeavesARemovedKeyOutsideItAlone() async throws {
        try await withWorkspace { ws in
            try ws.write(Self.rooms())
            #expect(try await ws.roomsync("apply", "--auto-approve").status == 0)
            let bjB = try #require(try ws.state().rooms["bj-b"]?.meetingroomID)

            // Shenzhen edits a room and adds one; Beijing's pull request removed bj-b, not yet approved for apply.
            try ws.write(Self.rooms(szCapacity: 12, withBJB: false, withSZNew: true))
            let plan = try await ws.roomsync("plan", "--target", "sz-*")
            #expect(plan.status == 0, "\(plan)")
            #expect(plan.stdout.contains("~ sz-a"), "\(plan)")
            #expect(plan.stdout.contains("+ sz-new will be added"), "\(plan)")
            #expect(!plan.stdout.contains("bj-"), "\(plan)")
            #expect(plan.stdout.hasSuffix("Plan: 1 to add, 1 to change, 0 to delete, 0 to adopt. (subset: 2 of 4 managed rooms)\n"), "\(plan)")
            let json = try await ws.roomsync("plan", "--target", "sz-*", "--format", "json")
            #expect(try json.summary()["delete"] == 0)
            let subset = try #require(try json.json()["subset"] as? [String: Any])
            #expect(subset["rooms"] as? Int == 2)
            #expect(subset["managed_rooms"] as? Int == 4)
            #expect(subset["target"] as? [String] == ["sz-*"])
            let markdown = try await ws.roomsync("plan", "--target", "sz-*", "--format", "markdown")
            #expect(markdown.stdout.contains("**Plan: 1 to add, 1 to change, 0 to delete, 0 to adopt. (subset: 2 of 4 managed rooms)**"), "\(markdown)")
            // The plan of everything still shows Beijing's delete: the subset hid it, nothing dropped it.
            #expect(try await ws.roomsync("plan", "--format", "json").summary()["delete"] == 1)

            // A saved subset plan records its subset and applies only it.
            #expect(try await ws.roomsync("plan", "--target", "sz-*", "--out", "plan.json").status == 0)
            let saved = try JSONSerialization.jsonObject(with: Data(contentsOf: ws.directory.appendingPathComponent("plan.json")))
            #expect(String(describing: saved).contains("sz-*"))
            let refused = try await ws.roomsync("apply", "--plan", "plan.json", "--target", "bj-*")
            #expect(refused.status == 1)
            #expect(refused.stderr.contains("a saved plan records its subset"), "\(refused)")
            let deletes = await ws.sandbox.store.callCount("del")
            let apply = try await ws.roomsync("apply", "--plan", "plan.json")
            #expect(apply.status == 0, "\(apply)")
            #expect(apply.stdout.contains("(subset: 2 of 4 managed rooms)"), "\(apply)")
            #expect(await ws.sandbox.store.callCount("del") == deletes, "a subset apply deleted a room outside it")
            #expect(try ws.state().rooms["bj-b"]?.meetingroomID == bjB)
            #expect(try ws.state().rooms["sz-new"] != nil)
            #expect(try await ws.liveRooms().contains { $0.meetingroomID == bjB })

            // Beijing's own subset, by location, then deletes bj-b.
            let beijing = try await ws.roomsync("apply", "--city", "北京", "--auto-approve")
            #expect(beijing.status == 0, "\(beijing)")
            #expect(beijing.stdout.contains("- bj-b (meetingroom_id \(bjB)) will be deleted"), "\(beijing)")
            #expect(try ws.state().rooms["bj-b"] == nil)
            #expect(try await ws.roomsync("plan", "--detailed-exitcode").status == 0)
        }
    }

    @Test func pruneInASubsetDeletesOnlyWhatItsLocationFilterCovers() async throws {
        try await withWorkspace { ws in
            try ws.write(Self.rooms())
            #expect(try await ws.roomsync("apply", "--auto-approve").status == 0)
            let (strayBJ, straySZ) = try await ws.withClient { client in
                (try await client.addMeetingRoom(AddMeetingRoomRequest(name: "Stray BJ", capacity: 4, city: "北京", building: "中关村", floor: "1F")),
                 try await client.addMeetingRoom(AddMeetingRoomRequest(name: "Stray SZ", capacity: 4, city: "深圳", building: "腾讯大厦", floor: "1F")))
            }
            // Key patterns alone: unmanaged rooms have no key, so none is deleted or even reported.
            let keys = try await ws.roomsync("apply", "--prune", "--target", "bj-*", "--auto-approve")
            #expect(keys.status == 0, "\(keys)")
            #expect(keys.stdout.contains("No changes. (subset: 2 of 4 managed rooms)"), "\(keys)")
            #expect(!keys.stdout.contains("not managed"), "\(keys)")
            // A location filter prunes its own site only.
            let site = try await ws.roomsync("apply", "--prune", "--city", "北京", "--building", "中关村", "--auto-approve")
            #expect(site.status == 0, "\(site)")
            #expect(site.stdout.contains("- #\(strayBJ) (meetingroom_id \(strayBJ)) will be deleted (unmanaged, --prune)"), "\(site)")
            let live = try await ws.liveRooms().map(\.meetingroomID)
            #expect(!live.contains(strayBJ))
            #expect(live.contains(straySZ))
            #expect(live.count == 5)

            let drift = try await ws.roomsync("drift", "--city", "深圳")
            #expect(drift.status == 2, "\(drift)")
            #expect(drift.stdout.contains("\"Stray SZ\" is not managed"), "\(drift)")
            #expect(drift.stdout.hasSuffix("Drift: 0 changed, 0 deleted, 1 unmanaged. (subset: 2 of 4 managed rooms)\n"), "\(drift)")
            #expect(try await ws.roomsync("drift", "--target", "bj-*").status == 0)
        }
    }

    @Test func theMassDeleteGuardCountsWithinTheSubset() async throws {
        try await withWorkspace { ws in
            var rooms = numberedRooms(10, prefix: "sz")
            rooms.merge(numberedRooms(30, prefix: "bj")) { _, new in new }
            try ws.write(manifest(rooms: rooms))
            #expect(try await ws.roomsync("apply", "--auto-approve").status == 0)
            for index in 1...4 { rooms["sz\(index)"] = nil }
            try ws.write(manifest(rooms: rooms))
            // 4 of 40 managed rooms is under the guard; 4 of the subset's 10 is over it.
            #expect(try await ws.roomsync("plan").status == 0)
            let guarded = try await ws.roomsync("plan", "--target", "sz*")
            #expect(guarded.status == 1, "\(guarded)")
            #expect(guarded.stderr.contains("the plan deletes 4 of 10 managed rooms"), "\(guarded)")
            #expect(try await ws.roomsync("plan", "--target", "sz*", "--allow-mass-delete").status == 0)
        }
    }

    /// `drift --accept` in a subset accepts only its rooms' drift and keeps what was accepted about the others.
    @Test func acceptingDriftInASubsetKeepsWhatWasAcceptedOutsideIt() async throws {
        try await withWorkspace { ws in
            try ws.write(Self.rooms())
            #expect(try await ws.roomsync("apply", "--auto-approve").status == 0)
            let state = try ws.state()
            for key in ["sz-a", "bj-a"] {
                let id = try #require(state.rooms[key]?.meetingroomID)
                try await ws.withClient { client in
                    var edit = EditMeetingRoomRequest(meetingroomID: id)
                    edit.capacity = 30
                    try await client.editMeetingRoom(edit)
                }
            }
            #expect(try await ws.roomsync("drift", "--accept", "--city", "北京").status == 0)
            let all = try await ws.roomsync("drift")
            #expect(all.status == 2, "\(all)")
            #expect(all.stdout.contains("Drift: 1 changed, 0 deleted, 0 unmanaged (1 accepted earlier, not counted)."), "\(all)")
            #expect(try await ws.roomsync("drift", "--accept", "--city", "深圳").status == 0)
            // Beijing's acceptance outlived Shenzhen's accept: nothing is new.
            let after = try await ws.roomsync("drift")
            #expect(after.status == 0, "\(after)")
            #expect(after.stdout.contains("No new drift (2 accepted earlier, not counted)."), "\(after)")
        }
    }

    @Test func buildingNeedsCity() async throws {
        try await withWorkspace { ws in
            try ws.write(Self.rooms())
            let result = try await ws.roomsync("plan", "--building", "中关村")
            #expect(result.status == 1)
            #expect(result.stderr.contains("--building needs --city"), "\(result)")
        }
    }
}
