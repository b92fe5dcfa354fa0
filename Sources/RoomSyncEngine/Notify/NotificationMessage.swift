import RoomSyncCore

/// The markdown summaries `--notify` posts to a WeCom group robot (SPEC section 9). WeCom refuses content over
/// 4096 bytes of UTF-8, so a message keeps its head and as many item lines as fit, then `… and N more`.
public enum NotificationMessage {
    public static let maxBytes = 4096

    /// New drift (accepted drift is only counted), or `nil` when there is none: drift notifies only then.
    public static func drift(_ report: DriftReport, target: String) -> String? {
        guard report.hasDrift else { return nil }
        var head = Catalogue.text(.robotDriftTitle, ["count": newCount(report)]) + "\n"
        head += Catalogue.text(.robotTarget, ["target": plain(target)]) + "\n"
        head += "> " + Catalogue.text(.robotDriftCounts, [
            "changed": report.count(.changed), "deleted": report.count(.deleted), "unmanaged": report.count(.unmanaged),
        ])
        if report.acceptedCount > 0 { head += Catalogue.text(.robotAcceptedCount, ["count": report.acceptedCount]) }
        head += "\n"
        let lines = report.items.filter { !$0.accepted }.map { item -> String in
            let label = plain(item.key ?? "#\(item.meetingroomID)")
            switch item.kind {
            case .changed:
                let fields = item.fields.map {
                    Catalogue.text(.robotFieldChange, [
                        "field": $0.label, "before": plain($0.before.description), "after": plain($0.after.description),
                    ])
                }
                return Catalogue.text(.robotChanged, [
                    "label": label, "id": item.meetingroomID,
                    "fields": fields.joined(separator: Catalogue.text(.robotFieldSeparator)),
                ])
            case .deleted:
                return Catalogue.text(.robotDeleted, ["label": label, "id": item.meetingroomID])
            case .unmanaged:
                return Catalogue.text(.robotUnmanaged, ["label": label, "name": plain(item.name)])
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
        var head = Catalogue.text(ok ? .robotApplyComplete : .robotApplyFailed) + "\n"
        head += Catalogue.text(.robotTarget, ["target": plain(target)]) + "\n> "
        head += PlanRenderer.appliedCounts(succeeded)
        let separator = Catalogue.text(.listSeparator)
        if !ok { head += separator + Catalogue.text(.countFailed, ["count": failures.count]) }
        if notStarted > 0 { head += separator + Catalogue.text(.countNotStarted, ["count": notStarted]) }
        head += "\n"
        let lines = failures.map { failure in
            Catalogue.text(.robotFailedOperation, [
                "action": PlannedChange.Action(rawValue: failure.action).map(PlanRenderer.actionName) ?? failure.action,
                "key": plain(failure.key), "message": plain(failure.message),
            ])
        }
        return fit(head: head, lines: lines)
    }

    /// An apply that stopped before it could apply anything (a bad manifest, an unreachable WeCom).
    public static func applyError(_ message: String, target: String) -> String {
        fit(
            head: Catalogue.text(.robotApplyFailed) + "\n" + Catalogue.text(.robotTarget, ["target": plain(target)]) + "\n",
            lines: ["- " + plain(message)])
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

    static func cutNote(_ count: Int) -> String { Catalogue.text(.robotCutNote, ["count": count]) + "\n" }

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
