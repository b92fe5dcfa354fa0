import Foundation
import RoomSyncCore
import RoomSyncTestSupport
import Testing

/// Issue 29 item 3: the built binary's export reads Chinese room names phrase by phrase (SPEC 12), from the table
/// compiled into it, and the manifest it writes applies as written.
@Suite struct ExportKeyEndToEndTests {
    @Test func exportReadsChineseNamesByTheirPhrases() async throws {
        try await withWorkspace { ws in
            let (tower, bank) = try await ws.withClient { client in
                (
                    try await client.addMeetingRoom(
                        AddMeetingRoomRequest(name: "重庆大厦 18F 大会议室", capacity: 10, city: "重庆", building: "重庆大厦", floor: "18F")),
                    try await client.addMeetingRoom(AddMeetingRoomRequest(name: "厦门长沙银行-洽谈室", capacity: 4))
                )
            }
            let export = try await ws.roomsync("export", "--out", "rooms.yaml")
            #expect(export.status == 0, "\(export)")
            let manifest = try String(contentsOf: ws.directory.appendingPathComponent("rooms.yaml"), encoding: .utf8)
            #expect(manifest.contains("  - {key: \"chong-qing-da-sha-18f-da-hui-yi-shi\", meetingroom_id: \(tower)}\n"), "\(manifest)")
            #expect(manifest.contains("  - {key: \"xia-men-chang-sha-yin-hang-qia-tan-shi\", meetingroom_id: \(bank)}\n"), "\(manifest)")
            #expect(try await ws.roomsync("apply", "--auto-approve").status == 0)
            #expect(try ws.state().rooms["chong-qing-da-sha-18f-da-hui-yi-shi"]?.meetingroomID == tower)
        }
    }
}
