import Foundation
import RoomSyncCore
import RoomSyncTestSupport
import Testing

/// SPEC section 12 through the built binary: under `LANG=zh_CN.UTF-8` plan, apply, drift and doctor print no
/// English word but keys, field values, command and flag names and a few names (WeCom, JSON…), so a text
/// someone forgot to put in the catalogue is caught here; json is the same bytes in both languages.
@Suite struct ChineseEndToEndTests {
    static let chinese = ["LANG": "zh_CN.UTF-8"]

    /// Words a Chinese run may print although they are English: names and terms that stay as they are.
    static let allowed: Set<String> = [
        "roomsync", "WeCom", "JSON", "API", "meetingroom_id", "ok", "FAIL", "id", "ms", "yaml", "json", "rooms",
        "sandbox", "state", "http", "corp", "errcode",
        // WeCom's API names and the console's own terms for its credentials and addresses.
        "gettoken", "list", "edit", "add", "del", "get_booking_info", "access_token", "ID", "IP", "secret",
        // What the client reports as a call's last outcome, under load ("still waiting … last: none").
        "none", "timeout",
        // Command names.
        "plan", "apply", "drift", "doctor", "validate", "import", "export",
    ]

    /// The English words of `output` that are none of: `allowed`, the words of `values` (keys, room names, the
    /// corp id), a flag (`--prune`), a command in backticks, a path or a URL.
    static func englishWords(in output: String, values: [String]) -> [String] {
        var text = output
        for pattern in ["`[^`]*`", "https?://[^\\s)）]+", "--[a-z-]+", "[\\w./-]*\\.(yaml|json|yml)\\b", "\\.roomsync/[\\w./-]*", "\\[[\\w, -]*\\]"] {
            text = text.replacingOccurrences(of: pattern, with: " ", options: .regularExpression)
        }
        let valueWords = Set(values.flatMap { $0.split { !$0.isLetter || !$0.isASCII }.map(String.init) })
        let words = text.split { !($0.isASCII && $0.isLetter) && $0 != "_" }.map(String.init)
        return words.filter { word in
            word.count > 1 && !allowed.contains(word) && !valueWords.contains(word)
                && !word.allSatisfy { $0 == "_" }
        }
    }

    func expectChinese(_ result: RoomSyncBinary.Result, _ what: String, values: [String]) {
        let english = Self.englishWords(in: result.stdout + result.stderr, values: values)
        #expect(english.isEmpty, "\(what) printed English words \(Set(english).sorted()):\n\(result)")
    }

    @Test func planApplyDriftAndDoctorSpeakChinese() async throws {
        try await withWorkspace { ws in
            let rooms = [
                "sz-18f-large": room("18F-大会议室", extra: "equipment: [tv, whiteboard]\n"),
                "sz-19f-small": room("19F-小会议室", capacity: 4, floor: "19F"),
                "sz-20f-gone": room("20F-培训室", capacity: 30, floor: "20F"),
            ]
            try ws.write(manifest(rooms: rooms))
            let values = rooms.keys.sorted() + ["18F", "19F", "20F", "tv", "whiteboard", Workspace.corpID]
            func run(_ arguments: String...) async throws -> RoomSyncBinary.Result {
                try await ws.run(arguments, environment: Self.chinese)
            }

            let plan = try await run("plan")
            #expect(plan.status == 0, "\(plan)")
            #expect(plan.stdout.contains("计划：新增 3 个会议室"), "\(plan)")
            expectChinese(plan, "plan", values: values)
            expectChinese(try await run("plan", "--format", "markdown"), "plan --format markdown", values: values)

            let apply = try await run("apply", "--auto-approve")
            #expect(apply.status == 0, "\(apply)")
            #expect(apply.stdout.contains("应用完成：新增 3 个"), "\(apply)")
            expectChinese(apply, "apply", values: values)

            // Changed in the admin console, and a room the manifest no longer has: drift, then a plan that edits and deletes.
            let live = try await ws.liveRooms()
            let large = try #require(live.first { $0.name == "18F-大会议室" })
            try await ws.withClient { client in
                var edit = EditMeetingRoomRequest(meetingroomID: large.meetingroomID)
                edit.capacity = 16
                try await client.editMeetingRoom(edit)
            }
            let drift = try await run("drift")
            #expect(drift.status == 2, "\(drift)")
            #expect(drift.stdout.contains("容纳人数：10 → 16"), "\(drift)")
            expectChinese(drift, "drift", values: values)
            expectChinese(try await run("drift", "--format", "markdown"), "drift --format markdown", values: values)

            var fewer = rooms
            fewer["sz-20f-gone"] = nil
            fewer["sz-19f-small"] = room("19F-小会议室", capacity: 6, floor: "19F")
            try ws.write(manifest(rooms: fewer))
            let change = try await run("apply", "--auto-approve")
            #expect(change.status == 0, "\(change)")
            expectChinese(change, "apply with changes and a delete", values: values)

            let doctor = try await run("doctor")
            expectChinese(doctor, "doctor", values: values)
            expectChinese(try await run("validate"), "validate", values: values)
        }
    }

    @Test func jsonIsTheSameInBothLanguages() async throws {
        try await withWorkspace { ws in
            try ws.write(manifest(rooms: ["a": room("A 会议室"), "b": room("B 会议室", floor: "19F")]))
            let english = try await ws.run(["plan", "--format", "json"])
            let chinese = try await ws.run(["plan", "--format", "json"], environment: Self.chinese)
            #expect(english.status == 0 && chinese.status == 0, "\(english)\n\(chinese)")
            #expect(chinese.stdout == english.stdout)
            let flag = try await ws.run(["plan", "--format", "json", "--lang", "zh"])
            #expect(flag.stdout == english.stdout)
        }
    }

    @Test func theFlagBeatsTheVariableAndTheLocaleAndABadValueIsOneLine() async throws {
        try await withWorkspace { ws in
            try ws.write(manifest(rooms: ["a": room("A")]))
            let english = try await ws.run(["plan", "--lang", "en"], environment: ["ROOMSYNC_LANG": "zh", "LANG": "zh_CN.UTF-8"])
            #expect(english.stdout.hasSuffix("Plan: 1 to add, 0 to change, 0 to delete, 0 to adopt.\n"), "\(english)")
            let variable = try await ws.run(["plan"], environment: ["ROOMSYNC_LANG": "zh"])
            #expect(variable.stdout.hasSuffix("计划：新增 1 个会议室，修改 0 个，删除 0 个，接管 0 个。\n"), "\(variable)")
            let bad = try await ws.run(["plan", "--lang", "fr"])
            #expect(bad.status == 1)
            #expect(bad.stdout.isEmpty)
            #expect(bad.stderr == "error: --lang 'fr' is not a language roomsync speaks (zh or en)\n")
            let badVariable = try await ws.run(["drift"], environment: ["ROOMSYNC_LANG": "klingon"])
            #expect(badVariable.stderr == "error: ROOMSYNC_LANG 'klingon' is not a language roomsync speaks (zh or en)\n")
        }
    }
}
