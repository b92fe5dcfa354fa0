import Foundation
import RoomSyncCore
import RoomSyncEngine
import RoomSyncSandbox
import RoomSyncTestSupport
import Testing

/// Issue 4's "Done when": the built binary against a served sandbox, checking exit codes, JSON and live rooms.
@Suite struct EngineEndToEndTests {
    @Test func firstApplyThenPlanIsEmpty() async throws {
        try await withWorkspace { ws in
            try ws.write(manifest(rooms: numberedRooms(5)))
            let plan = try await ws.roomsync("plan", "--format", "json", "--detailed-exitcode")
            #expect(plan.status == 2, "\(plan)")
            #expect(try plan.summary()["add"] == 5)

            let apply = try await ws.roomsync("apply", "--auto-approve")
            #expect(apply.status == 0, "\(apply)")
            #expect(apply.stdout.contains("Apply complete: 5 added, 0 changed, 0 deleted, 0 adopted."))
            let live = try await ws.liveRooms()
            #expect(live.count == 5)
            #expect(Set(try ws.state().rooms.values.map(\.meetingroomID)) == Set(live.map(\.meetingroomID)))

            let again = try await ws.roomsync("plan", "--format", "json", "--detailed-exitcode")
            #expect(again.status == 0, "\(again)")
            #expect(try again.summary() == ["add": 0, "change": 0, "delete": 0, "adopt": 0, "move": 0, "import": 0, "unchanged": 5])
            let text = try await ws.roomsync("plan")
            #expect(text.stdout == "No changes.\n")
        }
    }

    @Test func renameIsOneEditAndRemovalDeletes() async throws {
        try await withWorkspace { ws in
            try ws.write(manifest(rooms: numberedRooms(3)))
            #expect(try await ws.roomsync("apply", "--auto-approve").status == 0)
            let before = try ws.state().rooms["r1"]!.meetingroomID

            var rooms = numberedRooms(3)
            rooms["r1"] = room("R-1 renamed", floor: "2F")
            rooms["r3"] = nil
            try ws.write(manifest(rooms: rooms))
            let plan = try await ws.roomsync("plan", "--format", "json")
            let changes = try #require(try plan.json()["changes"] as? [[String: Any]])
            #expect(changes.map { $0["action"] as? String } == ["delete", "change"])
            #expect(changes.map { $0["key"] as? String } == ["r3", "r1"])

            let apply = try await ws.roomsync("apply", "--auto-approve")
            #expect(apply.status == 0, "\(apply)")
            let live = try await ws.liveRooms()
            #expect(live.count == 2)
            #expect(live.first { $0.meetingroomID == before }?.name == "R-1 renamed")
            #expect(try ws.state().rooms["r3"] == nil)
        }
    }

    @Test func outOfBandChangesShowUpInDrift() async throws {
        try await withWorkspace { ws in
            try ws.write(manifest(rooms: numberedRooms(3)))
            #expect(try await ws.roomsync("apply", "--auto-approve").status == 0)
            let inSync = try await ws.roomsync("drift", "--format", "json")
            #expect(inSync.status == 0, "\(inSync)")

            let state = try ws.state()
            try await ws.withClient { client in
                try await client.editMeetingRoom(EditMeetingRoomRequest(meetingroomID: state.rooms["r1"]!.meetingroomID, capacity: 99))
                try await client.deleteMeetingRoom(DeleteMeetingRoomRequest(meetingroomID: state.rooms["r2"]!.meetingroomID))
                _ = try await client.addMeetingRoom(AddMeetingRoomRequest(name: "made in the console", capacity: 4))
            }
            let drift = try await ws.roomsync("drift", "--format", "json")
            #expect(drift.status == 2, "\(drift)")
            let object = try drift.json()
            #expect(object["summary"] as? [String: Int] == ["changed": 1, "deleted": 1, "unmanaged": 1, "accepted": 0])
            let items = try #require(object["items"] as? [[String: Any]])
            let changed = try #require(items.first { $0["kind"] as? String == "changed" })
            #expect(changed["key"] as? String == "r1")
            let fields = try #require(changed["fields"] as? [String: [String: Any]])
            #expect(fields["capacity"]?["before"] as? Int == 10)
            #expect(fields["capacity"]?["after"] as? Int == 99)
            #expect(items.first { $0["kind"] as? String == "deleted" }?["key"] as? String == "r2")

            // The next apply puts things back: the edit reverted, the deleted room re-added, the console room left alone.
            let plan = try await ws.roomsync("plan", "--format", "json")
            #expect(try plan.summary()["add"] == 1)
            #expect(try plan.summary()["change"] == 1)
            #expect(try await ws.roomsync("apply", "--auto-approve").status == 0)
            #expect(try await ws.liveRooms().count == 4)
        }
    }

    @Test func lostStateAdoptsEveryRoomAndAddsNone() async throws {
        try await withWorkspace { ws in
            try ws.write(manifest(rooms: numberedRooms(6)))
            #expect(try await ws.roomsync("apply", "--auto-approve").status == 0)
            let ids = try ws.state().rooms.mapValues(\.meetingroomID)
            try FileManager.default.removeItem(at: ws.statePath)

            let plan = try await ws.roomsync("plan", "--format", "json")
            #expect(try plan.summary()["adopt"] == 6)
            #expect(try plan.summary()["add"] == 0)
            #expect(try await ws.roomsync("apply", "--auto-approve").status == 0)
            #expect(try ws.state().rooms.mapValues(\.meetingroomID) == ids)
            #expect(try await ws.liveRooms().count == 6)
            #expect(try await ws.roomsync("plan", "--detailed-exitcode").status == 0)
        }
    }

    @Test func protectedRoomSurvivesRemovalOfItsEntry() async throws {
        try await withWorkspace { ws in
            var rooms = numberedRooms(2)
            rooms["vip"] = room("VIP", extra: "protect: true\n")
            try ws.write(manifest(rooms: rooms))
            #expect(try await ws.roomsync("apply", "--auto-approve").status == 0)

            try ws.write(manifest(rooms: numberedRooms(2)))
            let plan = try await ws.roomsync("plan", "--format", "json", "--detailed-exitcode")
            #expect(plan.status == 0, "\(plan)")
            let warnings = try #require(try plan.json()["warnings"] as? [String])
            #expect(warnings.contains { $0.contains("'vip'") && $0.contains("protected") })
            #expect(try await ws.roomsync("apply", "--auto-approve").status == 0)
            #expect(try await ws.liveRooms().contains { $0.name == "VIP" })
        }
    }

    @Test func massDeleteGuard() async throws {
        try await withWorkspace { ws in
            try ws.write(manifest(rooms: numberedRooms(10)))
            #expect(try await ws.roomsync("apply", "--auto-approve").status == 0)
            try ws.write(manifest(rooms: Dictionary(uniqueKeysWithValues: numberedRooms(10).filter { Int($0.key.dropFirst())! > 4 }.map { ($0.key, $0.value) })))
            let refused = try await ws.roomsync("apply", "--auto-approve")
            #expect(refused.status == 1, "\(refused)")
            #expect(refused.stderr.contains("error: the plan deletes 4 of 10 managed rooms"))
            #expect(try await ws.liveRooms().count == 10)
            let allowed = try await ws.roomsync("apply", "--auto-approve", "--allow-mass-delete")
            #expect(allowed.status == 0, "\(allowed)")
            #expect(try await ws.liveRooms().count == 6)
        }
    }

    @Test func hiddenRangeAndFixedCoordinatesMakeNoPerpetualDiff() async throws {
        try await withWorkspace { ws in
            // The building exists with other coordinates, made in the console.
            try await ws.withClient { client in
                _ = try await client.addMeetingRoom(
                    AddMeetingRoomRequest(
                        name: "lobby", capacity: 2, city: "深圳", building: "腾讯大厦", floor: "1F",
                        coordinate: Coordinate(latitude: "22.5", longitude: "113.9")))
            }
            try ws.write(manifest(rooms: ["ranged": room("Ranged", extra: "range:\n  user_list: [zhangsan, lisi]\n  department_list: [1]\n")]))
            let apply = try await ws.roomsync("apply", "--auto-approve")
            #expect(apply.status == 0, "\(apply)")
            let plan = try await ws.roomsync("plan", "--format", "json", "--detailed-exitcode")
            #expect(plan.status == 0, "\(plan)")
            let warnings = try #require(try plan.json()["warnings"] as? [String])
            #expect(warnings.contains { $0.contains("already has coordinates (22.5, 113.9)") })

            // Reordering the range is no change; changing it is one.
            try ws.write(manifest(rooms: ["ranged": room("Ranged", extra: "range:\n  user_list: [lisi, zhangsan]\n  department_list: [1]\n")]))
            #expect(try await ws.roomsync("plan", "--detailed-exitcode").status == 0)
            try ws.write(manifest(rooms: ["ranged": room("Ranged", extra: "range:\n  user_list: [wangwu]\n")]))
            let changed = try await ws.roomsync("plan", "--format", "json", "--detailed-exitcode")
            #expect(changed.status == 2)
            #expect(try changed.summary()["change"] == 1)
        }
    }

    @Test func staleSavedPlanIsRefusedNamingTheRoom() async throws {
        try await withWorkspace { ws in
            try ws.write(manifest(rooms: numberedRooms(3)))
            #expect(try await ws.roomsync("apply", "--auto-approve").status == 0)
            var rooms = numberedRooms(3)
            rooms["r1"] = room("R-1 new name", floor: "2F")
            try ws.write(manifest(rooms: rooms))
            #expect(try await ws.roomsync("plan", "--out", "plan.json").status == 0)

            // A change to a room the plan does not touch leaves it valid.
            let state = try ws.state()
            try await ws.withClient { client in
                try await client.editMeetingRoom(EditMeetingRoomRequest(meetingroomID: state.rooms["r2"]!.meetingroomID, capacity: 50))
            }
            #expect(try await ws.roomsync("plan", "--out", "plan.json").status == 0)
            try await ws.withClient { client in
                try await client.editMeetingRoom(EditMeetingRoomRequest(meetingroomID: state.rooms["r3"]!.meetingroomID, capacity: 51))
            }
            let fresh = try await ws.roomsync("apply", "--plan", "plan.json")
            #expect(fresh.status == 0, "\(fresh)")

            // Now the room the plan touches changes behind its back.
            try ws.write(manifest(rooms: numberedRooms(3)))
            #expect(try await ws.roomsync("plan", "--out", "plan2.json").status == 0)
            try await ws.withClient { client in
                try await client.editMeetingRoom(EditMeetingRoomRequest(meetingroomID: state.rooms["r1"]!.meetingroomID, capacity: 7))
            }
            let stale = try await ws.roomsync("apply", "--plan", "plan2.json")
            #expect(stale.status == 1, "\(stale)")
            #expect(stale.stderr.contains("the plan plan2.json is stale: 'r1' (meetingroom_id \(state.rooms["r1"]!.meetingroomID)) changed since the plan was made (capacity)"))
            #expect(try await ws.liveRooms().first { $0.meetingroomID == state.rooms["r1"]!.meetingroomID }?.name == "R-1 new name")
        }
    }

    @Test func aSavedPlanHoldsWhenOnlyNeedApprovalChangedAndNamesWhatDid() async throws {
        try await withWorkspace { ws in
            try ws.write(manifest(rooms: numberedRooms(2)))
            #expect(try await ws.roomsync("apply", "--auto-approve").status == 0)
            let id = try #require(try ws.state().rooms["r1"]?.meetingroomID)
            var rooms = numberedRooms(2)
            rooms["r1"] = room("R-1 new name", floor: "2F")
            try ws.write(manifest(rooms: rooms))
            #expect(try await ws.roomsync("plan", "--out", "plan.json").status == 0)

            // The admin console turns on approval for the room the plan renames: read-only, never sent.
            try await ws.sandbox.store.setNeedApproval(1, meetingroomID: id)
            let apply = try await ws.roomsync("apply", "--plan", "plan.json")
            #expect(apply.status == 0, "\(apply)")
            #expect(!apply.stderr.contains("stale"), "\(apply)")
            #expect(try await ws.liveRooms().first { $0.meetingroomID == id }?.name == "R-1 new name")
            // The last-applied record keeps the room as it is now, approval included.
            #expect(try ws.state().rooms["r1"]?.applied.needApproval == 1)

            // A managed field changed along with it: stale, naming that field and only that one.
            try ws.write(manifest(rooms: numberedRooms(2)))
            #expect(try await ws.roomsync("plan", "--out", "plan2.json").status == 0)
            try await ws.sandbox.store.setNeedApproval(0, meetingroomID: id)
            try await ws.withClient { try await $0.editMeetingRoom(EditMeetingRoomRequest(meetingroomID: id, capacity: 7)) }
            let stale = try await ws.roomsync("apply", "--plan", "plan2.json")
            #expect(stale.status == 1, "\(stale)")
            #expect(stale.stderr.contains("the plan plan2.json is stale: 'r1' (meetingroom_id \(id)) changed since the plan was made (capacity). "), "\(stale)")
        }
    }

    @Test func savedPlanAppliesWhateverTheManagedCount() async throws {
        // apply --plan does not diff again: the mass-delete guard belongs to the plan that was saved.
        try await withWorkspace { ws in
            try ws.write(manifest(rooms: numberedRooms(12)))
            #expect(try await ws.roomsync("apply", "--auto-approve").status == 0)
            var rooms = numberedRooms(12)
            rooms["r1"] = room("R-1 renamed")
            try ws.write(manifest(rooms: rooms))
            #expect(try await ws.roomsync("plan", "--out", "plan.json").status == 0)
            let apply = try await ws.roomsync("apply", "--plan", "plan.json")
            #expect(apply.status == 0, "\(apply)")
            #expect(apply.stdout.contains("Apply complete: 0 added, 1 changed, 0 deleted, 0 adopted."))
            #expect(try await ws.roomsync("plan", "--detailed-exitcode").status == 0)
        }
    }

    @Test func exportThenPlanIsEmpty() async throws {
        try await withWorkspace { ws in
            try await ws.withClient { client in
                _ = try await client.addMeetingRoom(
                    AddMeetingRoomRequest(
                        name: "18F-会议室", capacity: 10, city: "深圳", building: "腾讯大厦", floor: "18F", equipment: [1, 2, 3],
                        coordinate: Coordinate(latitude: "22.540503", longitude: "113.934528"),
                        range: RoomRange(userList: ["zhangsan", "lisi"], departmentList: [1])))
                _ = try await client.addMeetingRoom(AddMeetingRoomRequest(name: "yes", capacity: 3))
                _ = try await client.addMeetingRoom(AddMeetingRoomRequest(name: "Board \"A\": 1F", capacity: 3, equipment: []))
            }
            let export = try await ws.roomsync("export", "--out", "rooms.yaml")
            #expect(export.status == 0, "\(export)")
            #expect(try await ws.roomsync("validate", "rooms.yaml").status == 0)
            // Nothing is managed yet: the plan imports every room and changes none of them.
            let plan = try await ws.roomsync("plan", "--format", "json", "--detailed-exitcode")
            #expect(plan.status == 2, "\(plan)")
            #expect(try plan.summary() == ["add": 0, "change": 0, "delete": 0, "adopt": 0, "move": 0, "import": 3, "unchanged": 0])
            #expect(try await ws.roomsync("apply", "--auto-approve").status == 0)
            let again = try await ws.roomsync("plan", "--format", "json", "--detailed-exitcode")
            #expect(again.status == 0, "\(again)")
            #expect(try again.summary()["unchanged"] == 3)
        }
    }

    @Test func exportRoundTripsRoomsAManifestCannotNaivelyHold() async throws {
        // What a real corp's `list` may hold, written straight into the sandbox's data file (the console allows
        // what the sandbox's API refuses): keys that would collide, equipment ids this version does not know, empty
        // location strings, a Chinese name.
        let rooms: [(id: Int, name: String, location: String, equipment: String)] = [
            (2, "A-8", "null", "[]"),
            (5, "A", "null", "[]"),
            (8, "A", "null", "[]"),
            (9, "18F-会议室", #"{"city": "深圳", "building": "腾讯大厦", "floor": "18F"}"#, "[1, 9]"),
            (10, "Lobby", #"{"city": "", "building": "", "floor": ""}"#, "[2]"),
        ]
        let entries = rooms.map {
            #"{"id": \#($0.id), "name": "\#($0.name)", "capacity": 8, "location": \#($0.location), "equipment": \#($0.equipment)}"#
        }
        let data = #"{"version": 1, "next_id": 11, "buildings": [], "rooms": [\#(entries.joined(separator: ", "))]}"#
        try await withTemporaryDirectory { dataDirectory in
            let dataFile = dataDirectory.appendingPathComponent("sandbox.json")
            try data.write(to: dataFile, atomically: true, encoding: .utf8)
            try await withWorkspace(SandboxServer.Options(dataFile: dataFile.path)) { ws in
                let export = try await ws.roomsync("export", "--out", "rooms.yaml")
                #expect(export.status == 0, "\(export)")
                #expect(export.stderr.contains("warning: room 'lobby' (meetingroom_id 10): location left out"), "\(export)")
                #expect(export.stderr.contains("warning: room '18f-hui-yi-shi' (meetingroom_id 9): equipment left out"), "\(export)")
                let validate = try await ws.roomsync("validate", "rooms.yaml")
                #expect(validate.status == 0, "\(validate)")
                let plan = try await ws.roomsync("plan", "--format", "json", "--detailed-exitcode")
                #expect(plan.status == 2, "\(plan)")
                #expect(try plan.summary()["import"] == 5)
                #expect(try plan.summary()["change"] == 0)
                #expect(try await ws.roomsync("apply", "--auto-approve").status == 0)
                let state = try ws.state()
                #expect(state.managedIDs == [2, 5, 8, 9, 10])
                #expect(state.rooms["18f-hui-yi-shi"]?.meetingroomID == 9)
                #expect(try await ws.roomsync("plan").stdout == "No changes.\n")
            }
        }
    }

    @Test func importAdoptsAnExistingRoom() async throws {
        try await withWorkspace { ws in
            let id = try await ws.withClient { try await $0.addMeetingRoom(AddMeetingRoomRequest(name: "Old", capacity: 3)) }
            try ws.write("version: 1\nrooms:\n  old: {name: Old, capacity: 3}\n  other: {name: Old, capacity: 3}\n")
            let imported = try await ws.roomsync("import", "old", String(id))
            #expect(imported.status == 0, "\(imported)")
            #expect(try ws.state().rooms["old"]?.meetingroomID == id)
            let again = try await ws.roomsync("import", "other", String(id))
            #expect(again.status == 1)
            #expect(again.stderrWithoutWaitingNotes == "error: meetingroom_id \(id) is already managed as 'old'; use `roomsync state mv old other` to rename\n")
            let list = try await ws.roomsync("state", "list")
            #expect(list.stdout == "old\t\(id)\tOld\n")
        }
    }

    @Test func concurrentAppliesOnOneStateNeverCorruptIt() async throws {
        try await withWorkspace(SandboxServer.Options(latencyMs: 20)) { ws in
            try ws.write(manifest(rooms: numberedRooms(20)))
            let first = try ws.start("apply", "--auto-approve", "--parallelism", "2")
            let second = try ws.start("apply", "--auto-approve", "--parallelism", "2")
            let results = [try await ws.finish(first), try await ws.finish(second)]
            #expect(results.contains { $0.status == 0 }, "\(results)")
            for result in results where result.status != 0 {
                #expect(result.stderr.contains("is locked by roomsync apply (pid "), "\(result)")
            }
            #expect(try ws.state().rooms.count == 20)
            #expect(try await ws.liveRooms().count == 20)
            #expect(try await ws.roomsync("plan", "--detailed-exitcode").status == 0)
        }
    }

    @Test func applyRefusesWithoutATerminalOrApproval() async throws {
        try await withWorkspace { ws in
            try ws.write(manifest(rooms: numberedRooms(1)))
            let refused = try await ws.roomsync("apply")
            #expect(refused.status == 1)
            #expect(refused.stderr.contains("error: apply needs confirmation but stdin is not a terminal"))
            #expect(try await ws.liveRooms().isEmpty)
        }
    }

    @Test func stateOfAnotherTargetIsRefused() async throws {
        try await withWorkspace { ws in
            try ws.write(manifest(rooms: numberedRooms(1)))
            #expect(try await ws.roomsync("apply", "--auto-approve").status == 0)
            // Another endpoint: a corp id WeCom does not know is named as such first (40013, issue 24).
            try await withServedSandbox { sandbox in
                let other = try await ws.run(["plan"], environment: ["WECOM_ENDPOINT": sandbox.endpoint])
                #expect(other.status == 1)
                #expect(other.stderr.contains("belongs to \(ws.endpoint) (corp ww-sandbox)"), "\(other)")
            }
        }
    }

    @Test func ciWithoutCredentialsRefusesInsteadOfUsingTheSandbox() async throws {
        try await withTemporaryDirectory { directory in
            try manifest(rooms: numberedRooms(1)).write(to: directory.appendingPathComponent("rooms.yaml"), atomically: true, encoding: .utf8)
            let refused = try await RoomSyncBinary.run(["plan"], in: directory, environment: ["CI": "true"])
            #expect(refused.status == 1)
            #expect(refused.stderr.hasPrefix("error: no target"))
            let local = try await RoomSyncBinary.run(["plan"], in: directory)
            #expect(local.status == 0, "\(local)")
            #expect(local.stderr.contains("using the embedded sandbox"))
        }
    }
}
