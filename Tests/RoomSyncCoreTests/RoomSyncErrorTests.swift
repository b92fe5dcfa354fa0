import RoomSyncCore
import Testing

/// Issue 25 item 3 and SPEC 12: an error is a code with values and an optional place, rendered compiler-style in
/// the language of whoever prints it; `error:` stays as it is in Chinese, since editors and CI parse it.
@Suite struct RoomSyncErrorTests {
    static let located = RoomSyncError(
        .importNoLiveRoom, ["id": 42], at: SourceLocation(file: "rooms.yaml", line: 7, column: 5))
    static let unlocated = RoomSyncError(.stateFileMissing, ["path": "backup.json"])
    /// The keys of the catalogue's errors section, which runs from `plainText` to `wecomBadSecret`.
    static let errorKeys = Array(
        MessageKey.allCases[MessageKey.allCases.firstIndex(of: .plainText)!...MessageKey.allCases.firstIndex(of: .wecomBadSecret)!])

    @Test func aLocatedErrorRendersFileLineColumnInBothLanguages() {
        #expect(Self.located.diagnostics.map { $0.rendered(in: .en) } == [
            "rooms.yaml:7:5: error: import: no live room has meetingroom_id 42"
        ])
        #expect(Self.located.diagnostics.map { $0.rendered(in: .zh) } == [
            "rooms.yaml:7:5: error: import：没有 meetingroom_id 为 42 的现有会议室"
        ])
    }

    @Test func anErrorWithoutAPlaceIsErrorAndItsMessage() {
        #expect(Self.unlocated.diagnostics.map { $0.rendered(in: .en) } == ["error: state file backup.json does not exist"])
        #expect(Self.unlocated.diagnostics.map { $0.rendered(in: .zh) } == ["error: 状态文件 backup.json 不存在"])
    }

    @Test func theTaskLanguageRendersIt() {
        #expect(Self.unlocated.description == "state file backup.json does not exist")
        #expect(Language.$current.withValue(.zh) { Self.unlocated.description } == "状态文件 backup.json 不存在")
        #expect(Language.$current.withValue(.zh) { Self.located.description }
            == "rooms.yaml:7:5: error: import：没有 meetingroom_id 为 42 的现有会议室")
    }

    @Test func errorsAreToldApartByCodeAndValuesNotText() {
        #expect(Self.unlocated.code == .stateFileMissing)
        #expect(Self.unlocated == RoomSyncError(.stateFileMissing, ["path": "backup.json"]))
        #expect(Self.unlocated != RoomSyncError(.stateFileMissing, ["path": "other.json"]))
        #expect(Set([Self.unlocated, RoomSyncError(.stateFileMissing, ["path": "backup.json"]), Self.located]).count == 2)
    }

    @Test func otherErrorsRenderTheSameWay() {
        let file = FileSystemError(.read, path: "state-dir", code: 21)
        #expect(RoomSyncError(file).diagnostics.map { $0.rendered(in: .en) } == ["error: cannot read state-dir: Is a directory"])
        #expect(file.error(about: .state).diagnostics.map { $0.rendered(in: .zh) } == ["error: 无法读取状态 state-dir：Is a directory"])
        let api = MeetingRoomAPIError.wecom(errcode: 40058, errmsg: "invalid name", operation: "oa/meetingroom/add")
        #expect(RoomSyncError(api).diagnostics.map { $0.rendered(in: .en) } == ["error: oa/meetingroom/add: WeCom error 40058: invalid name"])
        #expect(api.diagnostics.map { $0.rendered(in: .zh) } == ["error: oa/meetingroom/add：企业微信返回错误 40058：invalid name"])
        struct Unnamed: Error, CustomStringConvertible { var description: String { "something broke" } }
        let unexpected = RoomSyncError(Unnamed())
        #expect(unexpected.code == .unexpectedError)
        #expect(unexpected.diagnostics.map { $0.rendered(in: .zh) } == ["error: something broke"])
    }

    @Test func aManifestDiagnosticKeepsItsSeverityWordInChinese() {
        let warning = Diagnostic(.warning, at: SourceLocation(file: "a.yaml", line: 1, column: 2), LocalizedText(.manifestErrors, ["count": "3"]))
        #expect(warning.rendered(in: .en) == "a.yaml:1:2: warning: 3 error(s) in the manifests; nothing was planned")
        #expect(warning.rendered(in: .zh) == "a.yaml:1:2: warning: 清单中有 3 个错误；未制定计划")
    }

    /// SPEC 12: after `error:`, a Chinese error text has no English words but keys, values, paths, hosts and
    /// command or flag names, which the texts write as `{values}`, in backquotes, or as `--flags`.
    @Test(arguments: errorKeys)
    func aChineseErrorTextHasNoEnglishWords(key: MessageKey) {
        guard let template = Catalogue.texts(of: .zh)[key], let english = Catalogue.texts(of: .en)[key], template != english else { return }
        var text = template.replacing(/\{[a-z_]+\}/, with: "")
        text = text.replacing(/`[^`]*`/, with: "")
        text = text.replacing(/--?[a-z][a-z-]*( [A-Z]+)?/, with: "")
        let allowed: Set<String> = [
            "roomsync", "meetingroom_id", "format_version", "lineage", "secret", "secret_env", "corp", "id", "JSON",
            "UTF",
            "URL", "postgres", "git", "plan", "apply", "moved", "import", "rooms", "roomsync", "state", "json",
            "Secret", "sslmode", "sslrootcert", "Content", "Type", "errcode", "meetingroom_list", "null", "https",
            "http", "socks", "schema",
        ]
        let words = text.split(whereSeparator: { !$0.isASCII || !($0.isLetter || $0 == "_") }).map(String.init)
        // NAMES_IN_CAPITALS are variables and placeholders (`HTTPS_PROXY`, `PATH`), not words.
        let foreign = words.filter { word in
            !allowed.contains(word) && word.count > 1 && !word.allSatisfy { $0.isUppercase || $0 == "_" }
        }
        #expect(foreign.isEmpty, "\(key.rawValue): \(foreign)")
    }
}
