import RoomSyncCore

/// What doctor found: one check a line, in the order they ran.
public struct DoctorReport: Sendable, Hashable {
    public enum Status: Sendable, Hashable {
        case ok, warn, fail
    }

    public struct Check: Sendable, Hashable {
        public var status: Status
        /// What was checked and, for a failure, the fix.
        public var text: String

        /// `ok`, `warn` or `FAIL` padded to one width (正常, 注意, 失败 in Chinese), then what was checked.
        public var line: String {
            switch status {
            case .ok: Catalogue.text(.doctorOK, ["text": text])
            case .warn: Catalogue.text(.doctorWarn, ["text": text])
            case .fail: Catalogue.text(.doctorFail, ["text": text])
            }
        }
    }

    public var checks: [Check] = []

    public init() {}

    mutating func ok(_ text: String) { checks.append(Check(status: .ok, text: text)) }
    mutating func warn(_ text: String) { checks.append(Check(status: .warn, text: text)) }
    mutating func fail(_ text: String) { checks.append(Check(status: .fail, text: text)) }

    public var failures: Int { checks.filter { $0.status == .fail }.count }

    /// 0 when nothing failed, 1 otherwise.
    public var exitStatus: Int32 { failures > 0 ? 1 : 0 }
}
