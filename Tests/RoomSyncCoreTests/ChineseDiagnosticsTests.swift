import RoomSyncCore
import Testing

/// SPEC section 12: a manifest diagnostic reads Chinese where a person reads it and keeps
/// `FILE:LINE:COLUMN: error:` for editors and CI; its English text is what machine formats carry.
@Suite struct ChineseDiagnosticsTests {
    @Test func aDiagnosticIsPrintedInThePrintersLanguage() async {
        let run = await readManifests(["m.yaml": "version: 2\nrooms:\n  a: {capacity: 0, floor: no}\n"])
        let chinese = Language.$current.withValue(.zh) { run.result.diagnostics.map(\.description) }
        #expect(chinese.contains { $0.hasSuffix("m.yaml:1:10: error: 不支持的清单版本 2；此 roomsync 读取版本 1") }, "\(chinese)")
        #expect(chinese.contains { $0.hasSuffix("error: 会议室 'a' 缺少必填字段 'name'") }, "\(chinese)")
        #expect(chinese.contains { $0.hasSuffix("error: 应为字符串，却是布尔值；如果指的是文本，请加引号（\"no\"）") }, "\(chinese)")
        // Rendered where printed: the same diagnostics print English under en.
        let english = run.result.diagnostics.map(\.description)
        #expect(english.contains { $0.hasSuffix("error: room 'a' is missing required field 'name'") }, "\(english)")
        #expect(run.result.diagnostics.map { $0.text.rendered(in: .en) } == run.result.diagnostics.map(\.message))
    }
}
