/// The markdown summaries `--notify` posts to a WeCom group robot (SPEC section 9). WeCom refuses content over
/// 4096 bytes of UTF-8, so a message keeps its head and as many item lines as fit, then `… and N more`.
public enum NotificationMessage {
    public static let maxBytes = 4096

    /// New drift (accepted drift is only counted), or `nil` when there is none: drift notifies only then.
    public static func drift(_ report: DriftReport, target: String) -> String? {
        guard report.hasDrift else { return nil }
        var head = "## roomsync drift: \(newCount(report)) room(s) differ from the last apply\n"
        head += "> target: \(plain(target))\n"
        head += "> <font color=\"warning\">\(report.count(.changed)) changed</font>, "
        head += "<font color=\"warning\">\(report.count(.deleted)) deleted</font>, "
        head += "\(report.count(.unmanaged)) unmanaged"
        if report.acceptedCount > 0 { head += ", \(report.acceptedCount) accepted earlier (not counted)" }
        head += "\n"
        let lines = report.items.filter { !$0.accepted }.map { item -> String in
            let label = plain(item.key ?? "#\(item.meetingroomID)")
            switch item.kind {
            case .changed:
                let fields = item.fields.map { "\($0.field) \(plain($0.before.description)) → \(plain($0.after.description))" }
                return "- ~ **\(label)** (\(item.meetingroomID)) changed: " + fields.joined(separator: "; ")
            case .deleted:
                return "- − **\(label)** (\(item.meetingroomID)) deleted outside roomsync"
            case .unmanaged:
                return "- ? \(label) \"\(plain(item.name))\" is not managed"
            }
        }
        return fit(head: head, lines: lines)
    }

    /// How an apply ended: what it did, and what failed.
    public static func apply(
        succeeded: [PlannedChange.Action: Int], failures: [(key: String, action: String, message: String)],
        notStarted: Int, target: String
    ) -> String {
        let ok = failures.isEmpty
        var head = ok ? "## roomsync apply complete\n" : "## <font color=\"warning\">roomsync apply failed</font>\n"
        head += "> target: \(plain(target))\n> "
        head += PlanRenderer.appliedCounts(succeeded)
        if !ok { head += ", \(failures.count) failed" }
        if notStarted > 0 { head += ", \(notStarted) not started" }
        head += "\n"
        let lines = failures.map { "- failed to \($0.action) **\(plain($0.key))**: \(plain($0.message))" }
        return fit(head: head, lines: lines)
    }

    /// An apply that stopped before it could apply anything (a bad manifest, an unreachable WeCom).
    public static func applyError(_ message: String, target: String) -> String {
        fit(head: "## <font color=\"warning\">roomsync apply failed</font>\n> target: \(plain(target))\n", lines: ["- " + plain(message)])
    }

    /// `head`, then whole lines while they fit in `maxBytes` of UTF-8 with room for the cut note, then
    /// `… and N more`. A line too long on its own is shortened rather than dropped when it is the first.
    public static func fit(head: String, lines: [String], maxBytes: Int = maxBytes) -> String {
        var out = truncated(head, toBytes: maxBytes)
        var used = out.utf8.count
        for (index, line) in lines.enumerated() {
            let left = lines.count - index
            let text = line + "\n"
            // What must still fit after this line: the note for the lines after it, if any.
            let note = left > 1 ? cutNote(left - 1) : ""
            if used + text.utf8.count + note.utf8.count <= maxBytes {
                out += text
                used += text.utf8.count
                continue
            }
            let noteNow = cutNote(left)
            if index == 0 {
                // Not even the first line fits whole: show as much of it as leaves room for the note.
                let room = maxBytes - used - noteNow.utf8.count - 1
                if room > 40 {
                    out += truncated(line, toBytes: room) + "\n"
                    return out + (left > 1 ? cutNote(left - 1) : "")
                }
            }
            return used + noteNow.utf8.count <= maxBytes ? out + noteNow : out
        }
        return out
    }

    static func cutNote(_ count: Int) -> String { "… and \(count) more\n" }

    static func newCount(_ report: DriftReport) -> Int { report.items.lazy.filter { !$0.accepted }.count }

    /// At most `bytes` bytes of UTF-8, cut on a character boundary, with `…` when cut.
    static func truncated(_ text: String, toBytes bytes: Int) -> String {
        guard text.utf8.count > bytes else { return text }
        var out = ""
        var used = 0
        let ellipsis = "…".utf8.count
        for character in text {
            let size = String(character).utf8.count
            if used + size + ellipsis > bytes { break }
            out.append(character)
            used += size
        }
        return out + "…"
    }

    /// Room names and messages come from users and WeCom: keep them on one line and out of markdown syntax.
    static func plain(_ text: String) -> String {
        var out = ""
        for character in text {
            switch character {
            case "\n", "\r": out += " "
            case "<": out += "‹"
            case ">": out += "›"
            case "*", "`", "[", "]", "#": out += "\\" + String(character)
            default: out.append(character)
            }
        }
        return out
    }
}
