import Foundation
import Hummingbird
import RoomSyncCore
import RoomSyncEngine
import RoomSyncSandbox
import RoomSyncTestSupport
import Synchronization
import Testing

/// Issue 11, items 1–6, through the built binary against a served sandbox (or, for answers the sandbox never
/// gives, a fake WeCom).
@Suite struct CorrectnessEndToEndTests {
    @Test(arguments: [11, 12, 13] as [UInt64])
    func identicalRoomsWithLostAnswersEndAsOneKeyPerRoom(seed: UInt64) async throws {
        // Half the answers are lost after the call was applied; every room has the same name, capacity and floor.
        // The latency makes the lost adds' lists overlap, as they do against WeCom.
        try await withWorkspace(SandboxServer.Options(latencyMs: 60, dropRate: 0.5, seed: seed)) { ws in
            let twins = Dictionary(uniqueKeysWithValues: (1...16).map { ("twin\($0)", room("Twin")) })
            try ws.write(manifest(rooms: twins))
            let apply = try await ws.roomsync("apply", "--auto-approve", "--parallelism", "8")
            #expect(apply.status == 0, "\(apply)")
            let state = try ws.state()
            let ids = state.rooms.values.map(\.meetingroomID)
            #expect(state.rooms.count == 16)
            #expect(Set(ids).count == 16, "two keys share a room: \(state.rooms.mapValues(\.meetingroomID))")
            let live = try await ws.liveRooms()
            #expect(Set(live.map(\.meetingroomID)) == Set(ids), "live rooms and mappings differ")
            let plan = try await ws.roomsync("plan", "--detailed-exitcode")
            #expect(plan.status == 0, "\(plan)")
        }
    }

    @Test(arguments: [
        ("text/html", "<html><body>502 Bad Gateway</body></html>"),
        ("application/json", #"{"errcode":0,"errmsg":"ok","meetingroom_"#),
        ("application/json", #"{"errcode":0,"errmsg":"ok"}"#),
    ])
    func anAddAnsweredWithAnUnreadableBodyIsSettledByListing(_ contentType: String, _ body: String) async throws {
        // A fake WeCom that really adds the room, then answers with a body roomsync cannot read.
        let rooms = Mutex<[Int: String]>([:])
        try await withTemporaryDirectory { directory in
            try await withFakeWeCom({ router in
                router.post("/cgi-bin/oa/meetingroom/add") { request, _ in
                    let data = try await request.body.collect(upTo: 1 << 20)
                    let add = try JSONDecoder().decode(AddMeetingRoomRequest.self, from: Data(buffer: data))
                    rooms.withLock { $0[$0.count + 1] = add.name }
                    return answer(.ok, contentType, body)
                }
                router.post("/cgi-bin/oa/meetingroom/list") { _, _ in
                    let list = rooms.withLock { $0 }.sorted { $0.key < $1.key }
                        .map { #"{"meetingroom_id":\#($0.key),"name":"\#($0.value)","capacity":10}"# }
                    return answer(.ok, "application/json", #"{"errcode":0,"errmsg":"ok","meetingroom_list":[\#(list.joined(separator: ","))]}"#)
                }
            }) { endpoint in
                try "version: 1\nrooms:\n  lobby: {name: Lobby, capacity: 10}\n"
                    .write(to: directory.appendingPathComponent("rooms.yaml"), atomically: true, encoding: .utf8)
                let environment = ["WECOM_ENDPOINT": endpoint, "WECOM_CORP_ID": "ww", "WECOM_CORP_SECRET": "s", "ROOMSYNC_RETRY_BASE_DELAY_MS": "10"]
                let apply = try await RoomSyncBinary.run(["apply", "--auto-approve"], in: directory, environment: environment)
                #expect(apply.status == 0, "\(apply)")
                #expect(rooms.withLock { $0.count } == 1, "the room was added twice")
                let state = try StateFile.load(directory.appendingPathComponent(".roomsync/state.json").path)
                #expect(state.rooms["lobby"]?.meetingroomID == 1)
                #expect(state.pendingAdds.isEmpty)
            }
        }
    }

    @Test func aSavedPruneIsStaleOnceTheRoomIsImported() async throws {
        try await withWorkspace { ws in
            let id = try await ws.withClient { try await $0.addMeetingRoom(AddMeetingRoomRequest(name: "Lobby", capacity: 8)) }
            try ws.write("version: 1\nrooms:\n  keep: {name: Keep, capacity: 4}\n  lobby: {name: Lobby-renamed, capacity: 8}\n")
            #expect(try await ws.roomsync("apply", "--auto-approve").status == 0)
            // Now the plan would delete the unmanaged "Lobby"; then someone imports it.
            try ws.write("version: 1\nrooms:\n  keep: {name: Keep, capacity: 4}\n")
            let plan = try await ws.roomsync("plan", "--prune", "--out", "p.json")
            #expect(plan.status == 0, "\(plan)")
            #expect(plan.stdout.contains("- #\(id)") || plan.stdout.contains("Lobby"), "\(plan)")
            try ws.write("version: 1\nrooms:\n  keep: {name: Keep, capacity: 4}\n  lobby2: {name: Lobby, capacity: 8}\n")
            let imported = try await ws.roomsync("import", "lobby2", "\(id)")
            #expect(imported.status == 0, "\(imported)")
            let apply = try await ws.roomsync("apply", "--plan", "p.json")
            #expect(apply.status == 1, "\(apply)")
            #expect(apply.stderr.contains("meetingroom_id \(id) is now managed by 'lobby2'"), "\(apply)")
            #expect(try await ws.liveRooms().contains { $0.meetingroomID == id }, "the imported room was deleted")
        }
    }

    @Test func aLostStateWithPruneAndRenamedRoomsIsRefusedAsAMassDelete() async throws {
        try await withWorkspace { ws in
            try ws.write(manifest(rooms: numberedRooms(20)))
            #expect(try await ws.roomsync("apply", "--auto-approve").status == 0)
            let ids = try ws.state().rooms.values.map(\.meetingroomID)
            try await ws.withClient { client in
                for id in ids { try await client.editMeetingRoom(EditMeetingRoomRequest(meetingroomID: id, name: "console-\(id)")) }
            }
            try FileManager.default.removeItem(at: ws.statePath)
            let apply = try await ws.roomsync("apply", "--auto-approve", "--prune")
            #expect(apply.status == 1, "\(apply)")
            #expect(apply.stderr.contains("the plan deletes 20 of 20 live rooms"), "\(apply)")
            #expect(Set(try await ws.liveRooms().map(\.meetingroomID)) == Set(ids), "rooms were deleted")
        }
    }

    @Test func driftHonoursItsPathsAndSettlesJournaledAdds() async throws {
        try await withWorkspace { ws in
            try ws.write(manifest(rooms: ["a1": room("A-1")]), to: "a.yaml")
            try ws.write(manifest(rooms: ["b1": room("B-1")]), to: "b.yaml")
            #expect(try await ws.roomsync("apply", "--auto-approve", "a.yaml", "b.yaml").status == 0)
            let state = try ws.state()
            try await ws.withClient { client in
                for key in ["a1", "b1"] {
                    try await client.editMeetingRoom(EditMeetingRoomRequest(meetingroomID: state.rooms[key]!.meetingroomID, capacity: 42))
                }
                _ = try await client.addMeetingRoom(AddMeetingRoomRequest(name: "console room", capacity: 4))
            }
            let onlyA = try await ws.roomsync("drift", "--format", "json", "a.yaml")
            #expect(onlyA.status == 2, "\(onlyA)")
            let items = try #require(try onlyA.json()["items"] as? [[String: Any]])
            #expect(items.map { $0["key"] as? String } == ["a1"], "\(onlyA.stdout)")

            let missing = try await ws.roomsync("drift", "nowhere.yaml")
            #expect(missing.status == 1, "\(missing)")
            #expect(missing.stderr.contains("nowhere.yaml"), "\(missing)")

            // Accepting one manifest's drift keeps what was accepted for the other's.
            #expect(try await ws.roomsync("drift", "--accept", "a.yaml").status == 0)
            #expect(try await ws.roomsync("drift", "--accept", "b.yaml").status == 0)
            let quietA = try await ws.roomsync("drift", "a.yaml")
            #expect(quietA.status == 0, "\(quietA)")
            #expect(try await ws.roomsync("drift", "b.yaml").status == 0)

            // An add interrupted after WeCom made the room: drift settles it instead of calling it unmanaged.
            let request = AddMeetingRoomRequest(name: "Interrupted", capacity: 6)
            _ = try await ws.withClient { try await $0.addMeetingRoom(request) }
            var journaled = try ws.state()
            journaled.pendingAdds = [PendingAdd(key: "c1", request: request, protect: false)]
            try StateFile.save(journaled, to: ws.statePath.path)
            let all = try await ws.roomsync("drift", "--format", "json")
            let unmanaged = try #require(try all.json()["items"] as? [[String: Any]]).filter { $0["kind"] as? String == "unmanaged" }
            #expect(unmanaged.map { $0["name"] as? String } == ["console room"], "\(all.stdout)")
        }
    }
}
