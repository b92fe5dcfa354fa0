import Foundation
import RoomSyncCore
import RoomSyncEngine
import RoomSyncTestSupport
import Testing

/// Issue 23 items 4, 6 and 7, issue 24 item 3, through the built binary against a served sandbox: roomsync deletes
/// or duplicates only what a reviewed change asked for.
@Suite struct ReviewedChangeEndToEndTests {
    // MARK: - One live room, one key (SPEC 4)

    @Test func aStateMappingOneRoomToTwoKeysIsRefusedUntilStateRm() async throws {
        try await withWorkspace { ws in
            try ws.write(manifest(rooms: numberedRooms(3)))
            #expect(try await ws.roomsync("apply", "--auto-approve").status == 0)
            // A bad merge of state.json: 'r2' now names the room 'r1' manages.
            var state = try ws.state()
            let id = try #require(state.rooms["r1"]?.meetingroomID)
            state.rooms["r2"] = state.rooms["r1"]
            try StateFile.save(state, to: ws.statePath.path)
            let before = try await ws.liveRooms()

            for command in [["plan"], ["apply", "--auto-approve"], ["drift"], ["state", "mv", "r3", "r4"]] {
                let run = try await ws.run(command)
                #expect(run.status == 1, "\(command): \(run)")
                #expect(
                    run.stderr.contains("error: state .roomsync/state.json maps meetingroom_id \(id) to 2 keys, 'r1' and 'r2'"),
                    "\(command): \(run)")
                #expect(run.stderr.contains("`roomsync state rm KEY`"), "\(command): \(run)")
            }
            #expect(try await ws.liveRooms() == before, "a room was edited back and forth")
            // Nor is such a state loaded into another backend.
            let push = try await ws.roomsync("state", "push", ".roomsync/state.json", "--state", "copy.json")
            #expect(push.status == 1, "\(push)")
            #expect(push.stderr.contains("maps meetingroom_id \(id) to 2 keys"), "\(push)")

            // The fix the refusal names.
            let rm = try await ws.roomsync("state", "rm", "r2")
            #expect(rm.status == 0, "\(rm)")
            let apply = try await ws.roomsync("apply", "--auto-approve")
            #expect(apply.status == 0, "\(apply)")
            let ids = try ws.state().rooms.values.map(\.meetingroomID)
            #expect(Set(ids).count == 3 && ids.count == 3, "\(ids)")
            #expect(try await ws.liveRooms().count == 3)
        }
    }

    // MARK: - Mass-delete and mass re-add guards (SPEC 4)

    @Test func theMassDeleteGuardCountsOnlyManagedRoomsWithoutPruneAndListsThemInEveryFormat() async throws {
        try await withWorkspace { ws in
            try ws.write(manifest(rooms: numberedRooms(10)))
            #expect(try await ws.roomsync("apply", "--auto-approve").status == 0)
            // A corp of 40: 30 rooms other teams run, which nothing here can delete.
            try await ws.withClient { client in
                for index in 1...30 { _ = try await client.addMeetingRoom(AddMeetingRoomRequest(name: "other-\(index)", capacity: 4)) }
            }
            let state = try ws.state()
            try ws.write(manifest(rooms: numberedRooms(10).filter { Int($0.key.dropFirst())! > 4 }))
            let removed = ["r1", "r2", "r3", "r4"]

            let text = try await ws.roomsync("plan")
            #expect(text.status == 1, "\(text)")
            #expect(text.stderr.contains("error: the plan deletes 4 of 10 managed rooms (more than 30%)"), "\(text)")
            for key in removed {
                #expect(text.stdout.contains("- \(key) (meetingroom_id \(state.rooms[key]!.meetingroomID)) \"R-\(key.dropFirst())\""), "\(text)")
            }
            let json = try await ws.roomsync("plan", "--format", "json")
            #expect(json.status == 1, "\(json)")
            let refused = try #require(try json.json()["refused"] as? [String: Any], "\(json)")
            #expect(refused["action"] as? String == "delete")
            #expect(refused["of"] as? Int == 10)
            let rooms = try #require(refused["rooms"] as? [[String: Any]])
            #expect(rooms.map { $0["key"] as? String } == removed)
            #expect(rooms.map { $0["meetingroom_id"] as? Int } == removed.map { state.rooms[$0]!.meetingroomID })
            let markdown = try await ws.roomsync("plan", "--format", "markdown")
            #expect(markdown.status == 1, "\(markdown)")
            #expect(markdown.stdout.hasPrefix("### roomsync plan refused"), "\(markdown)")
            for key in removed {
                #expect(markdown.stdout.contains("| \(key) | \(state.rooms[key]!.meetingroomID) | R-\(key.dropFirst()) |"), "\(markdown)")
            }

            let apply = try await ws.roomsync("apply", "--auto-approve")
            #expect(apply.status == 1, "\(apply)")
            #expect(try await ws.liveRooms().count == 40, "managed rooms were deleted")
            let allowed = try await ws.roomsync("apply", "--auto-approve", "--allow-mass-delete")
            #expect(allowed.status == 0, "\(allowed)")
            #expect(try await ws.liveRooms().count == 36)
        }
    }

    @Test func aPlanThatReaddsManyVanishedRoomsIsRefusedUnlessAllowed() async throws {
        try await withWorkspace { ws in
            try ws.write(manifest(rooms: numberedRooms(10)))
            #expect(try await ws.roomsync("apply", "--auto-approve").status == 0)
            let state = try ws.state()
            let vanished = ["r1", "r2", "r3", "r4"]
            // Gone from list: deleted, or (what the guard is for) hidden from an app whose visible range changed.
            try await ws.withClient { client in
                for key in vanished { try await client.deleteMeetingRoom(DeleteMeetingRoomRequest(meetingroomID: state.rooms[key]!.meetingroomID)) }
            }
            let apply = try await ws.roomsync("apply", "--auto-approve")
            #expect(apply.status == 1, "\(apply)")
            #expect(apply.stderr.contains("error: the plan re-adds 4 of 10 managed rooms that vanished from list"), "\(apply)")
            #expect(apply.stderr.contains("--allow-mass-readd"), "\(apply)")
            for key in vanished {
                #expect(apply.stdout.contains("+ \(key) (meetingroom_id \(state.rooms[key]!.meetingroomID))"), "\(apply)")
            }
            #expect(try await ws.liveRooms().count == 6, "rooms were re-added")
            let json = try await ws.roomsync("plan", "--format", "json")
            #expect(json.status == 1, "\(json)")
            let refused = try #require(try json.json()["refused"] as? [String: Any], "\(json)")
            #expect(refused["action"] as? String == "readd")
            #expect((refused["rooms"] as? [[String: Any]])?.map { $0["key"] as? String } == vanished)

            let allowed = try await ws.roomsync("apply", "--auto-approve", "--allow-mass-readd")
            #expect(allowed.status == 0, "\(allowed)")
            #expect(try await ws.liveRooms().count == 10)
            #expect(try await ws.roomsync("plan", "--detailed-exitcode").status == 0)
        }
    }

    // MARK: - Saved plans are checked, not trusted (SPEC 3, 4)

    /// Reads `name`'s JSON, lets `edit` change it, writes it back: a hand edit of a plan file.
    func editPlan(_ ws: Workspace, _ name: String, _ edit: (inout [String: Any]) throws -> Void) throws {
        let url = ws.directory.appendingPathComponent(name)
        var document = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any])
        try edit(&document)
        try JSONSerialization.data(withJSONObject: document).write(to: url)
    }

    /// Edits the saved plan's first change.
    func editFirstChange(_ ws: Workspace, _ name: String, _ edit: @escaping (inout [String: Any]) -> Void) throws {
        try editPlan(ws, name) { document in
            var plan = try #require(document["plan"] as? [String: Any])
            var changes = try #require(plan["changes"] as? [[String: Any]])
            edit(&changes[0])
            plan["changes"] = changes
            document["plan"] = plan
        }
    }

    @Test func aRoomProtectedSinceThePlanIsNotDeleted() async throws {
        try await withWorkspace { ws in
            try ws.write(manifest(rooms: numberedRooms(3)))
            #expect(try await ws.roomsync("apply", "--auto-approve").status == 0)
            let id = try #require(try ws.state().rooms["r3"]?.meetingroomID)
            try ws.write(manifest(rooms: numberedRooms(2)))
            let plan = try await ws.roomsync("plan", "--out", "p.json")
            #expect(plan.status == 0 && plan.stdout.contains("- r3"), "\(plan)")
            // Meanwhile another change protects r3.
            var rooms = numberedRooms(3)
            rooms["r3"] = room("R-3", floor: "4F", extra: "protect: true\n")
            try ws.write(manifest(rooms: rooms))
            #expect(try await ws.roomsync("apply", "--auto-approve").status == 0)
            #expect(try ws.state().rooms["r3"]?.protect == true)

            let apply = try await ws.roomsync("apply", "--plan", "p.json")
            #expect(apply.status == 1, "\(apply)")
            #expect(apply.stderr.contains("'r3' is now protected"), "\(apply)")
            #expect(try await ws.liveRooms().contains { $0.meetingroomID == id }, "the protected room was deleted")
        }
    }

    /// Applies r1 (protected) and r2, then saves p.json, a plan that changes r1's capacity to 12; returns r1's id.
    func planACapacityChangeOfAProtectedRoom(_ ws: Workspace) async throws -> Int {
        var rooms = numberedRooms(2)
        rooms["r1"] = room("R-1", floor: "2F", extra: "protect: true\n")
        try ws.write(manifest(rooms: rooms))
        #expect(try await ws.roomsync("apply", "--auto-approve").status == 0)
        rooms["r1"] = room("R-1", capacity: 12, floor: "2F", extra: "protect: true\n")
        try ws.write(manifest(rooms: rooms))
        let plan = try await ws.roomsync("plan", "--out", "p.json")
        #expect(plan.status == 0 && plan.stdout.contains("~ r1"), "\(plan)")
        return try #require(try ws.state().rooms["r1"]?.meetingroomID)
    }

    @Test func aHandEditedDeleteOfAProtectedRoomIsRefused() async throws {
        try await withWorkspace { ws in
            let id = try await planACapacityChangeOfAProtectedRoom(ws)
            try editFirstChange(ws, "p.json") { $0["action"] = "delete" }
            let apply = try await ws.roomsync("apply", "--plan", "p.json")
            #expect(apply.status == 1, "\(apply)")
            #expect(apply.stderr.contains("delete 'r1' (meetingroom_id \(id)): it is protected"), "\(apply)")
            #expect(try await ws.liveRooms().contains { $0.meetingroomID == id }, "the protected room was deleted")
        }
    }

    @Test func anEditSentToAnotherRoomThanShownIsRefused() async throws {
        try await withWorkspace { ws in
            let id = try await planACapacityChangeOfAProtectedRoom(ws)
            let other = try await ws.withClient { try await $0.addMeetingRoom(AddMeetingRoomRequest(name: "another team's", capacity: 4)) }
            try editFirstChange(ws, "p.json") { change in
                var request = change["edit_request"] as! [String: Any]
                request["meetingroom_id"] = other
                change["edit_request"] = request
            }
            let apply = try await ws.roomsync("apply", "--plan", "p.json")
            #expect(apply.status == 1, "\(apply)")
            #expect(apply.stderr.contains("its edit is for meetingroom_id \(other), not the room it shows"), "\(apply)")
            let live = try await ws.liveRooms()
            #expect(live.first { $0.meetingroomID == other }?.capacity == 4, "another team's room was edited")
            #expect(live.first { $0.meetingroomID == id }?.capacity == 10)
        }
    }

    @Test func aValueSentButNotShownIsRefused() async throws {
        try await withWorkspace { ws in
            let id = try await planACapacityChangeOfAProtectedRoom(ws)
            try editFirstChange(ws, "p.json") { change in
                var request = change["edit_request"] as! [String: Any]
                request["capacity"] = 99
                change["edit_request"] = request
            }
            let apply = try await ws.roomsync("apply", "--plan", "p.json")
            #expect(apply.status == 1, "\(apply)")
            #expect(apply.stderr.contains("what the plan shows is not what it would send"), "\(apply)")
            #expect(try await ws.liveRooms().first { $0.meetingroomID == id }?.capacity == 10)
        }
    }

    @Test func aSavedPlanOfEveryKindAppliesPrintingWhatItSends() async throws {
        try await withWorkspace { ws in
            try ws.write(manifest(rooms: numberedRooms(3)))
            #expect(try await ws.roomsync("apply", "--auto-approve").status == 0)
            var rooms = numberedRooms(3)
            rooms["r1"] = room("R-1", capacity: 14, floor: "2F", extra: "equipment: [tv, phone]\n")
            rooms["r3"] = nil
            // An add with every field: the defaults' coordinate, a range.
            rooms["n1"] = room("N-1", floor: "9F", extra: "range:\n  user_list: [zhangsan]\n  department_list: [1]\n")
            try ws.write(manifest(rooms: rooms))
            let plan = try await ws.roomsync("plan", "--out", "p.json")
            #expect(plan.status == 0, "\(plan)")
            #expect(plan.stdout.contains("coordinate: (22.540503, 113.934528)"), "\(plan)")
            let apply = try await ws.roomsync("apply", "--plan", "p.json")
            #expect(apply.status == 0, "\(apply)")
            #expect(apply.stdout.hasPrefix(plan.stdout), "apply printed another plan than was saved: \(apply)")
            #expect(try await ws.roomsync("plan", "--detailed-exitcode").status == 0)
        }
    }

    @Test func aSavedPlanWithoutTheStateItSawIsRefused() async throws {
        try await withWorkspace { ws in
            try ws.write(manifest(rooms: numberedRooms(2)))
            #expect(try await ws.roomsync("apply", "--auto-approve").status == 0)
            try ws.write(manifest(rooms: numberedRooms(1)))
            #expect(try await ws.roomsync("plan", "--out", "p.json").status == 0)
            try editPlan(ws, "p.json") { $0["state_seen"] = nil }
            let apply = try await ws.roomsync("apply", "--plan", "p.json")
            #expect(apply.status == 1, "\(apply)")
            #expect(apply.stderr.contains("without the state it saw"), "\(apply)")
            #expect(try await ws.liveRooms().count == 2)
        }
    }

    @Test func aStaleSavedPlanNamesEachRoomOnceWithACountAndKeepsItsPaths() async throws {
        try await withWorkspace { ws in
            try ws.write(manifest(rooms: numberedRooms(12)), to: "a.yaml")
            #expect(try await ws.roomsync("apply", "--auto-approve", "a.yaml").status == 0)
            let state = try ws.state()
            try ws.write(manifest(rooms: numberedRooms(12).mapValues { $0.replacingOccurrences(of: "capacity: 10", with: "capacity: 11") }), to: "a.yaml")
            #expect(try await ws.roomsync("plan", "a.yaml", "--out", "p.json").status == 0)
            try await ws.withClient { client in
                for entry in state.rooms.values { try await client.editMeetingRoom(EditMeetingRoomRequest(meetingroomID: entry.meetingroomID, name: "console-\(entry.meetingroomID)")) }
            }
            let apply = try await ws.roomsync("apply", "--plan", "p.json")
            #expect(apply.status == 1, "\(apply)")
            #expect(apply.stderr.contains("error: the plan p.json is stale: 12 rooms: 'r1' (meetingroom_id"), "\(apply)")
            #expect(apply.stderr.contains("; and 2 more. Run `roomsync plan a.yaml --out p.json` again."), "\(apply)")
            #expect(apply.stderr.components(separatedBy: "'r1' (").count == 2, "'r1' is named more than once: \(apply)")
        }
    }
}

/// SPEC 4 and 8: the postgres backend refuses a workspace that maps one room to two keys as the file does.
@Suite(.serialized, .enabled(if: PostgresServer.shouldRun, "PostgreSQL is not installed (no /usr/lib/postgresql/*/bin/initdb)"))
struct ReviewedChangePostgresTests {
    @Test func aWorkspaceMappingOneRoomToTwoKeysIsRefusedUntilStateRm() async throws {
        try await withPostgresCluster { cluster in
            try await withWorkspace { ws in
                let url = cluster.url()
                try ws.write(manifest(rooms: numberedRooms(3)))
                let first = try await ws.roomsync("apply", "--auto-approve", "--state", url)
                #expect(first.status == 0, "\(first)")
                let pull = try await ws.roomsync("state", "pull", "--state", url)
                let id = try #require(try JSONDecoder().decode(RoomSyncState.self, from: Data(pull.stdout.utf8)).rooms["r1"]?.meetingroomID)
                // A bad hand edit of the rows: 'r2' now names the room 'r1' manages.
                _ = try await cluster.psql(
                    """
                    UPDATE roomsync.rooms r SET meetingroom_id = s.meetingroom_id, room = s.room FROM roomsync.rooms s
                    WHERE r.key = 'r2' AND s.key = 'r1' AND r.workspace = s.workspace
                    """)
                let before = try await ws.liveRooms()
                for command in [["plan"], ["apply", "--auto-approve"], ["drift"]] {
                    let run = try await ws.run(command + ["--state", url])
                    #expect(run.status == 1, "\(command): \(run)")
                    #expect(run.stderr.contains("maps meetingroom_id \(id) to 2 keys, 'r1' and 'r2'"), "\(command): \(run)")
                    #expect(run.stderr.contains("`roomsync state rm KEY`"), "\(command): \(run)")
                }
                #expect(try await ws.liveRooms() == before, "a room was edited")

                let rm = try await ws.roomsync("state", "rm", "r2", "--state", url)
                #expect(rm.status == 0, "\(rm)")
                let apply = try await ws.roomsync("apply", "--auto-approve", "--state", url)
                #expect(apply.status == 0, "\(apply)")
                #expect(try await ws.liveRooms().count == 3)
            }
        }
    }
}
