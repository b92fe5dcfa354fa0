import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import RoomSyncCore
import RoomSyncEngine
import RoomSyncSandbox
import RoomSyncTestSupport
import Testing

extension Integrations {
    /// Issue 16 through the built binary against a served sandbox: accepted drift (SPEC section 4), `--notify` to the
    /// sandbox's group-robot webhook (SPEC section 9), and `drift --format prometheus` (SPEC section 5).
    @Suite struct DriftAcceptAndNotifyTests {
        @Test func acceptThenASecondConsoleChangeReportsOnlyTheNewItem() async throws {
            try await withWorkspace { ws in
                try ws.write(manifest(rooms: numberedRooms(3)))
                #expect(try await ws.roomsync("apply", "--auto-approve").status == 0)
                let ids = try ws.state().rooms.mapValues(\.meetingroomID)
                try await ws.withClient { try await $0.editMeetingRoom(EditMeetingRoomRequest(meetingroomID: ids["r1"]!, capacity: 42)) }
                #expect(try await ws.roomsync("drift").status == 2)

                let accept = try await ws.roomsync("drift", "--accept")
                #expect(accept.status == 0, "\(accept)")
                #expect(accept.stderr.contains("accepted 1 drift item(s)"))
                #expect(try ws.state().acceptedDrift?.map(\.key) == ["r1"])
                let quiet = try await ws.roomsync("drift")
                #expect(quiet.status == 0, "\(quiet)")
                #expect(quiet.stdout.hasSuffix("No new drift (1 accepted earlier, not counted).\n"), "\(quiet)")

                try await ws.withClient { try await $0.editMeetingRoom(EditMeetingRoomRequest(meetingroomID: ids["r2"]!, name: "renamed in the console")) }
                let drift = try await ws.roomsync("drift", "--format", "json")
                #expect(drift.status == 2, "\(drift)")
                let object = try drift.json()
                #expect(object["summary"] as? [String: Int] == ["changed": 1, "deleted": 0, "unmanaged": 0, "accepted": 1])
                let items = try #require(object["items"] as? [[String: Any]])
                #expect(items.filter { $0["accepted"] as? Bool == false }.map { $0["key"] as? String } == ["r2"])
                #expect(items.filter { $0["accepted"] as? Bool == true }.map { $0["key"] as? String } == ["r1"])

                let text = try await ws.roomsync("drift")
                #expect(text.status == 2)
                let newPart = text.stdout.components(separatedBy: "Accepted earlier").first ?? ""
                #expect(newPart.contains("~ r2 (meetingroom_id \(ids["r2"]!)) changed outside roomsync"), "\(text)")
                #expect(!newPart.contains("r1"), "\(text)")
                #expect(text.stdout.contains("Accepted earlier (drift --accept), unchanged since:\n  ~ r1"), "\(text)")

                // The accepted room changed again: it is new drift again.
                try await ws.withClient { try await $0.editMeetingRoom(EditMeetingRoomRequest(meetingroomID: ids["r1"]!, capacity: 43)) }
                let again = try await ws.roomsync("drift", "--format", "json")
                #expect(try (again.json()["summary"] as? [String: Int])?["changed"] == 2)
            }
        }

        @Test func aRoomTouchedByApplyLeavesTheAcceptedList() async throws {
            try await withWorkspace { ws in
                try ws.write(manifest(rooms: numberedRooms(3)))
                #expect(try await ws.roomsync("apply", "--auto-approve").status == 0)
                let ids = try ws.state().rooms.mapValues(\.meetingroomID)
                try await ws.withClient { client in
                    try await client.editMeetingRoom(EditMeetingRoomRequest(meetingroomID: ids["r1"]!, capacity: 42))
                    try await client.editMeetingRoom(EditMeetingRoomRequest(meetingroomID: ids["r3"]!, capacity: 7))
                }
                #expect(try await ws.roomsync("drift", "--accept").status == 0)
                #expect(Set(try ws.state().acceptedDrift?.compactMap(\.key) ?? []) == ["r1", "r3"])

                // The manifest now says r3 has 7 seats, as the console does, and r1 still 10: apply edits r1 only,
                // and brings r3's record up to what the manifest and WeCom agree on (SPEC 4), with no call: r3's
                // accepted drift goes with the record it was about, and drift has nothing to report.
                var rooms = numberedRooms(3)
                rooms["r3"] = room("R-3", capacity: 7, floor: "4F")
                try ws.write(manifest(rooms: rooms))
                let apply = try await ws.roomsync("apply", "--auto-approve")
                #expect(apply.status == 0, "\(apply)")
                #expect(apply.stdout.contains("changed r1"), "\(apply)")
                #expect(apply.stdout.contains("note: 'r3' already matches the manifest live"), "\(apply)")
                #expect(try ws.state().acceptedDrift ?? [] == [])
                #expect(try ws.state().rooms["r3"]?.applied.capacity == 7)
                let drift = try await ws.roomsync("drift", "--format", "json")
                #expect(drift.status == 0, "\(drift)")
                #expect(try drift.json()["summary"] as? [String: Int] == ["changed": 0, "deleted": 0, "unmanaged": 0, "accepted": 0])
            }
        }

        @Test func webhookMessageArrivesWithinTheLimitOnA3000RoomDrift() async throws {
            try await withTemporaryDirectory { logs in
                let log = logs.appendingPathComponent("webhook.jsonl")
                var options = SandboxServer.Options()
                options.webhookLog = log.path
                try await withWorkspace(options) { ws in
                    for index in 1...3000 {
                        _ = try await ws.sandbox.store.add(AddMeetingRoomRequest(name: "控制台会议室-\(index)", capacity: 4))
                    }
                    let key = "7f3c2b1a-0000-4e5d-9a8b-secretrobotkey"
                    let url = ws.endpoint + "/cgi-bin/webhook/send?key=" + key
                    let drift = try await ws.run(["drift", "--notify"], environment: ["ROOMSYNC_WEBHOOK_URL": url])
                    #expect(drift.status == 2, "\(drift.stderr)")
                    #expect(!drift.stdout.contains(key) && !drift.stderr.contains(key))
                    #expect(!drift.stderr.contains("warning"), "\(drift.stderr)")

                    let lines = try String(contentsOf: log, encoding: .utf8).split(separator: "\n")
                    #expect(lines.count == 1)
                    let message = try JSONDecoder().decode(SandboxServer.WebhookMessage.self, from: Data(lines[0].utf8))
                    #expect(message.msgtype == "markdown")
                    #expect(message.content.utf8.count <= 4096)
                    #expect(message.bytes == message.content.utf8.count)
                    #expect(message.content.hasPrefix("## roomsync drift: 3000 room(s) differ from the last apply\n"))
                    #expect(message.content.contains("3000 unmanaged"))
                    let shown = message.content.split(separator: "\n").filter { $0.hasPrefix("- ? ") }.count
                    #expect(shown > 10)
                    #expect(message.content.hasSuffix("… and \(3000 - shown) more\n"))

                    // Nothing new: no message. Accepting the drift silences the next run.
                    #expect(try await ws.roomsync("drift", "--accept").status == 0)
                    let quiet = try await ws.run(["drift", "--notify"], environment: ["ROOMSYNC_WEBHOOK_URL": url])
                    #expect(quiet.status == 0)
                    #expect(try String(contentsOf: log, encoding: .utf8).split(separator: "\n").count == 1)
                }
            }
        }

        @Test func applyNotifiesAndAFailedPostIsOnlyAWarning() async throws {
            try await withTemporaryDirectory { logs in
                let log = logs.appendingPathComponent("webhook.jsonl")
                var options = SandboxServer.Options()
                options.webhookLog = log.path
                try await withWorkspace(options) { ws in
                    try ws.write(manifest(rooms: numberedRooms(2)))
                    let key = "apply-robot-key-0123456789"
                    let apply = try await ws.run(
                        ["apply", "--auto-approve", "--notify"],
                        environment: ["ROOMSYNC_WEBHOOK_URL": ws.endpoint + "/cgi-bin/webhook/send?key=" + key])
                    #expect(apply.status == 0, "\(apply)")
                    let lines = try String(contentsOf: log, encoding: .utf8).split(separator: "\n")
                    #expect(lines.count == 1)
                    let message = try JSONDecoder().decode(SandboxServer.WebhookMessage.self, from: Data(lines[0].utf8))
                    #expect(message.content.hasPrefix("## roomsync apply complete\n"))
                    #expect(message.content.contains("2 added, 0 changed, 0 deleted, 0 adopted"))

                    // A robot that refuses (no key), and one that cannot be reached: warnings, apply still succeeds,
                    // and the key is never printed.
                    try ws.write(manifest(rooms: numberedRooms(3)))
                    let refused = try await ws.run(
                        ["apply", "--auto-approve", "--notify"],
                        environment: ["ROOMSYNC_WEBHOOK_URL": ws.endpoint + "/cgi-bin/webhook/send?nokey=" + key])
                    #expect(refused.status == 0, "\(refused)")
                    #expect(refused.stderr.contains("warning: --notify: the notification was not sent: the group robot at 127.0.0.1 refused the message (errcode 93000"), "\(refused.stderr)")
                    #expect(!refused.stderr.contains(key))
                    let unreachable = try await ws.run(
                        ["drift", "--notify"],
                        environment: ["ROOMSYNC_WEBHOOK_URL": "http://127.0.0.1:1/cgi-bin/webhook/send?key=" + key])
                    #expect(unreachable.status == 0, "\(unreachable)")
                    try await ws.withClient { _ = try await $0.addMeetingRoom(AddMeetingRoomRequest(name: "console", capacity: 2)) }
                    let failedPost = try await ws.run(
                        ["drift", "--notify"],
                        environment: ["ROOMSYNC_WEBHOOK_URL": "http://127.0.0.1:1/cgi-bin/webhook/send?key=" + key])
                    #expect(failedPost.status == 2, "\(failedPost)")
                    #expect(failedPost.stderr.contains("warning: --notify: the notification was not sent: cannot reach the group robot at 127.0.0.1"), "\(failedPost.stderr)")
                    #expect(!failedPost.stderr.contains(key))
                    let unset = try await ws.roomsync("drift", "--notify")
                    #expect(unset.status == 2)
                    #expect(unset.stderr.contains("warning: --notify: ROOMSYNC_WEBHOOK_URL is not set; no notification was sent"))
                }
            }
        }

        @Test func applyThatFailsNotifiesTheFailure() async throws {
            try await withTemporaryDirectory { logs in
                let log = logs.appendingPathComponent("webhook.jsonl")
                // Every meeting-room call is refused with 40058 (not retried): the plan's list fails, so apply stops
                // before changing anything; the robot is told.
                var options = SandboxServer.Options(faultRate: 1, faultErrcodes: [40058])
                options.webhookLog = log.path
                try await withWorkspace(options) { ws in
                    try ws.write(manifest(rooms: numberedRooms(2)))
                    let apply = try await ws.run(
                        ["apply", "--auto-approve", "--notify"],
                        environment: ["ROOMSYNC_WEBHOOK_URL": ws.endpoint + "/cgi-bin/webhook/send?key=k-123456"])
                    #expect(apply.status == 1, "\(apply)")
                    let lines = try String(contentsOf: log, encoding: .utf8).split(separator: "\n")
                    #expect(lines.count == 1)
                    let message = try JSONDecoder().decode(SandboxServer.WebhookMessage.self, from: Data(lines[0].utf8))
                    #expect(message.content.hasPrefix("## <font color=\"warning\">roomsync apply failed</font>\n> target: \(ws.endpoint)"), "\(message.content)")
                    #expect(message.content.contains("40058"), "\(message.content)")
                }
            }
        }

        @Test func sandboxWebhookRefusesContentOverTheLimit() async throws {
            try await withServedSandbox { sandbox in
                func post(_ body: String, query: String = "?key=k") async throws -> [String: Any] {
                    var request = URLRequest(url: URL(string: sandbox.endpoint + "/cgi-bin/webhook/send" + query)!)
                    request.httpMethod = "POST"
                    request.httpBody = Data(body.utf8)
                    let (data, _) = try await URLSession.shared.data(for: request)
                    return try JSONSerialization.jsonObject(with: data) as? [String: Any] ?? [:]
                }
                // 1366 characters of three bytes: 4098 bytes, over the limit though far under 4096 characters.
                let big = String(repeating: "会", count: 1366)
                let over = try await post("{\"msgtype\":\"markdown\",\"markdown\":{\"content\":\"\(big)\"}}")
                #expect(over["errcode"] as? Int == 40058)
                let fits = try await post("{\"msgtype\":\"text\",\"text\":{\"content\":\"\(big.dropLast())\"}}")
                #expect(fits["errcode"] as? Int == 0)
                #expect(try await post("{\"msgtype\":\"image\"}")["errcode"] as? Int == 40008)
                #expect(try await post("{}", query: "")["errcode"] as? Int == 93000)
            }
        }

        @Test func prometheusOutputFromTheBinary() async throws {
            try await withWorkspace { ws in
                try ws.write(manifest(rooms: numberedRooms(2)))
                #expect(try await ws.roomsync("apply", "--auto-approve").status == 0)
                try await ws.withClient { _ = try await $0.addMeetingRoom(AddMeetingRoomRequest(name: "console", capacity: 2)) }
                let before = Date().timeIntervalSince1970
                let metrics = try await ws.roomsync("drift", "--format", "prometheus")
                #expect(metrics.status == 2, "\(metrics)")
                let samples = Dictionary(uniqueKeysWithValues: metrics.stdout.split(separator: "\n").filter { !$0.hasPrefix("#") }.map {
                    let parts = $0.split(separator: " ")
                    return (String(parts[0]), Double(parts[1]) ?? -1)
                })
                #expect(samples["roomsync_drift_rooms{kind=\"unmanaged\"}"] == 1)
                #expect(samples["roomsync_drift_rooms{kind=\"changed\"}"] == 0)
                #expect(samples["roomsync_drift_rooms{kind=\"accepted\"}"] == 0)
                #expect(samples["roomsync_managed_rooms"] == 2)
                let stamp = try #require(samples["roomsync_drift_last_run_timestamp_seconds"])
                #expect(stamp >= before.rounded(.down) && stamp <= Date().timeIntervalSince1970 + 1)
                #expect(metrics.stdout.contains("# TYPE roomsync_drift_rooms gauge\n"))
            }
        }
    }
}
