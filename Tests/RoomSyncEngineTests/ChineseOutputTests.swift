import Foundation
import RoomSyncCore
import RoomSyncTestSupport
import Testing

@testable import RoomSyncEngine

/// SPEC section 12: what a person reads comes out in Chinese under `Language.zh` (golden files, re-recorded with
/// RECORD_GOLDEN=1 like the English ones), and the machine formats are the same bytes in both languages.
@Suite struct ChineseOutputTests {
    func chinese<T>(_ body: () throws -> T) rethrows -> T {
        try Language.$current.withValue(.zh, operation: body)
    }

    func expectGolden(_ output: String, _ name: String) {
        let mismatch = goldenMismatch(output, named: name)
        #expect(mismatch == nil, "\(mismatch ?? "")")
    }

    @Test(arguments: [OutputFormat.text, .markdown])
    func planGolden(format: OutputFormat) throws {
        let plan = try RenderTests.samplePlan()
        expectGolden(chinese { PlanRenderer.render(plan, format: format) }, "plan.zh.\(format.rawValue)")
    }

    @Test(arguments: [OutputFormat.text, .markdown])
    func planWithBookingsGolden(format: OutputFormat) throws {
        let plan = try BookingCheckTests.bookedPlan()
        expectGolden(chinese { PlanRenderer.render(plan, format: format) }, "plan-bookings.zh.\(format.rawValue)")
    }

    @Test(arguments: [OutputFormat.text, .markdown])
    func driftGolden(format: OutputFormat) {
        let report = RenderTests.sampleDrift()
        expectGolden(chinese { DriftRenderer.render(report, format: format) }, "drift.zh.\(format.rawValue)")
    }

    @Test func robotMessagesGolden() throws {
        let drift = try #require(chinese { NotificationMessage.drift(RenderTests.sampleDrift(), target: "深圳总部 (corp ww-demo)") })
        expectGolden(drift, "robot-drift.zh.md")
        let apply = chinese {
            NotificationMessage.apply(
                succeeded: [.add: 3, .change: 1, .delete: 1],
                failures: [(key: "sz-18f-large", action: "change", message: "errcode 40058: capacity 不合法")],
                notStarted: 2, target: "深圳总部 (corp ww-demo)")
        }
        expectGolden(apply, "robot-apply.zh.md")
    }

    @Test func applySummaryGolden() {
        let complete = ApplyResult(succeeded: [.add: 3, .change: 1, .delete: 1], failures: [], skipped: 0)
        let incomplete = ApplyResult(
            succeeded: [.add: 1, .adopt: 2, .import: 1],
            failures: [.init(key: "sz-18f-large", action: .change, error: RoomSyncError(LocalizedText(plain: "errcode 40058")))], skipped: 4)
        let output = chinese { PlanRenderer.applySummary(complete) + PlanRenderer.applySummary(incomplete) }
        expectGolden(output, "apply-summary.zh.text")
        #expect(PlanRenderer.applySummary(complete) == "Apply complete: 3 added, 1 changed, 1 deleted, 0 adopted.\n")
        #expect(PlanRenderer.applySummary(incomplete) == "Apply incomplete: 1 added, 0 changed, 0 deleted, 2 adopted, 1 imported, 1 failed, 4 not started.\n")
    }

    @Test func theProgressLineAndCountsReadAsChinese() {
        let line = chinese { ApplyProgress(total: 3000, done: 120, failed: 2, elapsed: .seconds(3), waitingForRateLimit: true).line() }
        #expect(line == "[120/3000] 40.0 个/秒，预计剩余 1分12秒，失败 2 个，正在等待限流窗口结束")
        #expect(chinese { ApplyProgress.clock(.seconds(3600 + 120)) } == "1小时02分")
        #expect(chinese { PlanRenderer.appliedCounts([.add: 3, .import: 1]) } == "新增 3 个，修改 0 个，删除 0 个，接管 0 个，导入 1 个")
    }

    @Test func timesReadAsChineseDatesInChinaStandardTime() {
        // 2026-12-07 06:00 UTC is 14:00 in China Standard Time.
        let time = 1_796_623_200
        #expect(ChinaStandardTime.readable(time, in: .en) == "2026-12-07 14:00 +08:00")
        #expect(ChinaStandardTime.readable(time, in: .zh) == "2026年12月7日 14:00")
    }

    // MARK: The same bytes in both languages

    @Test func planJSONIsTheSameInBothLanguages() throws {
        for plan in [try RenderTests.samplePlan(), try BookingCheckTests.bookedPlan()] {
            let english = PlanRenderer.render(plan, format: .json)
            #expect(chinese { PlanRenderer.render(plan, format: .json) } == english)
        }
    }

    @Test func driftJSONAndPrometheusAreTheSameInBothLanguages() {
        let report = RenderTests.sampleDrift()
        let at = Date(timeIntervalSince1970: 1_796_623_200)
        for format in [DriftFormat.json, .prometheus] {
            let english = DriftRenderer.render(report, format: format, timestamp: at)
            #expect(chinese { DriftRenderer.render(report, format: format, timestamp: at) } == english)
        }
    }

    @Test func validateMachineFormatsAreTheSameInBothLanguages() {
        let result = ManifestReader.read(bytes: Array("version: 2\nrooms:\n  a: {capacity: 0, floor: no}\n".utf8), name: "m.yaml")
        #expect(!result.diagnostics.isEmpty)
        for format in [ValidationFormat.json, .sarif, .github] {
            let english = ValidationRenderer.render(result, format: format, toolVersion: "0.1.0")
            #expect(chinese { ValidationRenderer.render(result, format: format, toolVersion: "0.1.0") } == english, "\(format)")
        }
    }

    @Test func aSavedPlanIsTheSameInBothLanguagesAndReadsBackAsItWasMade() throws {
        let plan = try BookingCheckTests.bookedPlan()
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let english = try encoder.encode(plan)
        #expect(try chinese { try encoder.encode(plan) } == english)
        let read = try JSONDecoder().decode(Plan.self, from: english)
        #expect(read == plan)
    }
}
