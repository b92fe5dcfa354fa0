import Foundation
import RoomSyncCore
import RoomSyncTestSupport
import Testing

@testable import RoomSyncEngine

/// Plan and drift output are part of the contract (SPEC section 5): golden files, re-recorded with RECORD_GOLDEN=1.
@Suite struct RenderTests {
    /// A plan with one of everything: add, change (rename and equipment), delete, adopt, a warning.
    static func samplePlan() throws -> Plan {
        let renamed = Fixture.live(1, name: "old-name", equipment: [1])
        let removed = Fixture.live(2, name: "removed-room")
        let console = Fixture.live(3, name: "adopt-room", capacity: 6)
        let state = Fixture.state([("renamed", renamed), ("removed", removed)])
        return try Planner.plan(
            desired: [
                Fixture.desired("renamed", name: "new-name", equipment: [.tv, .whiteboard]),
                Fixture.desired("adopt", capacity: 6),
                Fixture.desired(
                    "fresh", name: "18F-会议室", capacity: 12, coordinate: Coordinate(latitude: "1.0", longitude: "2.0"),
                    range: RoomRange(userList: ["zhangsan"], departmentList: [1])),
            ],
            live: [renamed, removed, console], state: state)
    }

    static func sampleDrift() -> DriftReport {
        let changed = Fixture.live(1, name: "a-room", capacity: 10)
        var edited = changed
        edited.capacity = 12
        edited.name = "renamed in console"
        let gone = Fixture.live(2, name: "b-room")
        return DriftDetector.detect(
            state: Fixture.state([("a", changed), ("b", gone)]), live: [edited, Fixture.live(3, name: "console room")])
    }

    @Test(arguments: OutputFormat.allCases)
    func planGolden(format: OutputFormat) throws {
        let output = PlanRenderer.render(try Self.samplePlan(), format: format)
        let mismatch = goldenMismatch(output, named: "plan.\(format.rawValue)")
        #expect(mismatch == nil, "\(mismatch ?? "")")
    }

    @Test(arguments: OutputFormat.allCases)
    func driftGolden(format: OutputFormat) {
        let output = DriftRenderer.render(Self.sampleDrift(), format: format)
        let mismatch = goldenMismatch(output, named: "drift.\(format.rawValue)")
        #expect(mismatch == nil, "\(mismatch ?? "")")
    }

    @Test func planJSONHasTheContractShape() throws {
        let json = PlanRenderer.render(try Self.samplePlan(), format: .json)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
        #expect(object["format_version"] as? Int == 1)
        let summary = try #require(object["summary"] as? [String: Int])
        #expect(summary == ["add": 1, "change": 1, "delete": 1, "adopt": 1, "move": 0, "import": 0, "unchanged": 0])
        let changes = try #require(object["changes"] as? [[String: Any]])
        #expect(changes.map { $0["action"] as? String } == ["delete", "adopt", "change", "add"])
        let rename = try #require(changes.first { $0["key"] as? String == "renamed" })
        let fields = try #require(rename["fields"] as? [String: [String: Any]])
        #expect(fields["name"]?["before"] as? String == "old-name")
        #expect(fields["name"]?["after"] as? String == "new-name")
    }

    @Test func emptyPlanSaysNoChanges() throws {
        #expect(PlanRenderer.render(Plan(changes: [], warnings: [], unchanged: 3), format: .text) == "No changes.\n")
    }

    @Test func colourOnlyWhenAsked() throws {
        let plain = PlanRenderer.render(try Self.samplePlan(), format: .text, palette: Palette(enabled: false))
        Palette.enableTerminalColours()
        let coloured = PlanRenderer.render(try Self.samplePlan(), format: .text, palette: Palette(enabled: true))
        #expect(!plain.contains("\u{1B}["))
        #expect(coloured.contains("\u{1B}[32m+ fresh"))
    }

    @Test func markdownStaysUnderTheLimitAndSaysWhatWasCut() throws {
        let desired = (0..<3000).map { Fixture.desired(String(format: "room-%04d", $0), name: "Room \($0) | with a long name") }
        let plan = try Planner.plan(desired: desired, live: [], state: RoomSyncState())
        let markdown = PlanRenderer.render(plan, format: .markdown)
        #expect(markdown.utf16.count < MarkdownReport.limit)
        #expect(markdown.contains("| 3000 | 0 | 0 | 0 | 0 |"))
        let shown = markdown.components(separatedBy: "— add\n").count - 1
        #expect(markdown.contains("_… \(3000 - shown) more changes not shown"))
        #expect(markdown.contains("Room 0 \\| with"))
    }

    @Test func markdownWarningsCountAgainstTheLimitToo() throws {
        // 3,000 changes and 40 warnings of 5,000 characters each (plus one longer than the whole limit): the
        // report stays under the limit and says how many of each were left out.
        let desired = (0..<3000).map { Fixture.desired(String(format: "room-%04d", $0), name: "Room \($0)") }
        var plan = try Planner.plan(desired: desired, live: [], state: RoomSyncState())
        plan.warnings = (0..<40).map { LocalizedText(verbatim: "warning \($0): " + String(repeating: "x", count: 5000)) }
            + [LocalizedText(verbatim: "huge: " + String(repeating: "y", count: 70_000))]
        let markdown = PlanRenderer.render(plan, format: .markdown)
        #expect(markdown.utf16.count <= MarkdownReport.limit, "\(markdown.utf16.count) characters")
        #expect(markdown.contains("| 3000 | 0 | 0 | 0 | 0 |"))
        let shownChanges = markdown.components(separatedBy: "— add\n").count - 1
        let shownWarnings = markdown.components(separatedBy: "\n- warning ").count - 1
        #expect(shownChanges > 0 && shownWarnings > 0)
        #expect(markdown.contains("_… \(3000 - shownChanges) more changes not shown"))
        #expect(markdown.contains("_… \(41 - shownWarnings) more warnings not shown"))
        #expect(!markdown.contains("huge: "))
    }

    @Test func markdownKeepsEveryWarningWhenTheyFit() throws {
        let desired = (0..<3000).map { Fixture.desired(String(format: "room-%04d", $0), name: "Room \($0)") }
        var plan = try Planner.plan(desired: desired, live: [], state: RoomSyncState())
        plan.warnings = [LocalizedText(verbatim: "first warning"), LocalizedText(verbatim: "second warning")]
        let markdown = PlanRenderer.render(plan, format: .markdown)
        #expect(markdown.utf16.count <= MarkdownReport.limit)
        #expect(markdown.hasSuffix("#### Warnings\n\n- first warning\n- second warning\n"))
        #expect(!markdown.contains("more warnings not shown"))
    }
}
