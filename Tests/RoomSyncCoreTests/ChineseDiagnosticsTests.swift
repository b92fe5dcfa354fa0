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

    @Test func unknownFieldsDuplicateKeysAndMissingFilesReadChinese() async {
        let run = await readManifests(
            [
                "a.yaml": "version: 1\nrooms:\n  shared: {name: S, capacty: 1}\n",
                "b.yaml": "version: 1\nrooms:\n  shared: {name: S, capacity: 1}\n",
                "c.yaml": "version: 1\nrooms:\n  l: {name: L, capacity: 1, building: B}\n  m: []\n",
                "d.yaml": "version: 1\nrooms:\n  x: {name: X, capacity: 1}\n  x: {name: Y, capacity: 1}\n",
            ], paths: ["a.yaml", "b.yaml", "c.yaml", "d.yaml", "nope.yaml"])
        let chinese = Language.$current.withValue(.zh) { run.result.diagnostics.map(\.description) }
        let expected = [
            "a.yaml:3:21: error: 未知字段 'capacty'；是否想写 'capacity'？",
            "b.yaml:3:3: error: 会议室键 'shared' 重复；首次定义于 ",
            "c.yaml:3:3: error: 会议室 'l' 的位置不完整：缺少 'city' 和 'floor'（city、building 和 floor 要一起填写）",
            "c.yaml:4:6: error: 应为映射，却是列表",
            "d.yaml:4:3: error: 键 'x' 重复；首次定义于 ",
            "nope.yaml:1:1: error: 没有那个文件或目录",
        ]
        for line in expected {
            #expect(chinese.contains { $0.contains(line) }, "\(line) in \(chinese)")
        }
        // Past `error:`, only keys and field names (quoted, or the location's city, building and floor) and the
        // file named may be in Latin letters.
        for line in chinese {
            let message = line.components(separatedBy: " error: ").last!
            let words = message.replacing(try! Regex("'[^']*'"), with: "").replacing(try! Regex("[^ ]*\\.yaml(:[0-9]+)*"), with: "")
                .replacing(try! Regex("city|building|floor"), with: "")
            #expect(!words.contains { $0.isASCII && $0.isLetter }, "English left in \(line)")
        }
        // The same diagnostics still print today's English.
        #expect(run.lines.contains("a.yaml:3:21: error: unknown field 'capacty'; did you mean 'capacity'?"), "\(run.lines)")
        #expect(run.lines.contains("b.yaml:3:3: error: duplicate room key 'shared'; first defined at a.yaml:3:3"), "\(run.lines)")
        #expect(run.lines.contains("c.yaml:4:6: error: expected a mapping, found a sequence"), "\(run.lines)")
        #expect(run.lines.contains { $0.hasPrefix("d.yaml:4:3: error: duplicate key 'x'; first defined at ") && $0.hasSuffix("d.yaml:3:3") }, "\(run.lines)")
    }

    @Test func aProjectFileDiagnosticReadsChinese() {
        let (_, diagnostics) = ProjectFile.decode(Array("version: 1\ntargets:\n  hq: {corp_id: c, secret_env: S, manfests: [r]}\n".utf8), file: "roomsync.yaml")
        let chinese = Language.$current.withValue(.zh) { diagnostics.map(\.description) }
        #expect(chinese.contains { $0.hasSuffix("error: 目标 'hq' 中有未知字段 'manfests'；可用字段：corp_id, secret_env, manifests, endpoint, state, workspace, mass_delete_percent") }, "\(chinese)")
        #expect(chinese.contains { $0.hasSuffix("error: 目标 'hq' 缺少 'manifests'") }, "\(chinese)")
    }
}
