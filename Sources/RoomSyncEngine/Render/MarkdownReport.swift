import RoomSyncCore

/// Markdown for pull-request comments and issues. GitHub refuses comments over 65,536 characters, so the report
/// stays under `limit`: the summary always fits; details and warnings are cut with a note of how many were left out.
public enum MarkdownReport {
    public static let limit = 60_000

    static func escape(_ text: String) -> String {
        var escaped = ""
        for character in text {
            if "|\\`*_[]<>".contains(character) { escaped.append("\\") }
            escaped.append(character)
        }
        return escaped
    }

    static func plan(_ plan: Plan) -> String {
        var head = "### roomsync plan\n\n"
        // Moves and imports get a column only when the plan has some, as in the summary line.
        var columns: [(String, Int)] = [.add, .change, .delete, .adopt].map { ($0.rawValue, plan.count($0)) }
        for action in [PlannedChange.Action.move, .import] where plan.count(action) > 0 {
            columns.append((action.rawValue, plan.count(action)))
        }
        columns.append(("unchanged", plan.unchanged))
        head += "| " + columns.map(\.0).joined(separator: " | ") + " |\n|" + String(repeating: " ---: |", count: columns.count) + "\n"
        head += "| " + columns.map { String($0.1) }.joined(separator: " | ") + " |\n\n"
        head += "**\(PlanRenderer.summaryLine(plan))**\n"
        if let coverage = plan.subset { head += "\nLimited to \(escape(coverage.subset.description)).\n" }
        let sections = plan.changes.map { change -> String in
            var section = "\n`\(PlanRenderer.symbol(change.action))` **\(escape(change.key))**"
            if let id = change.meetingroomID { section += " (meetingroom_id \(id))" }
            section += " — \(change.action.rawValue)"
            if let from = change.from { section += " from **\(escape(from))**" }
            section += "\n"
            if change.action == .delete, let id = change.meetingroomID, let bookings = plan.bookings,
               let note = bookings.note(for: id)
            {
                // Id, times and booker only: a booking's subject and attendees are private.
                section += "\n⚠️ \(escape(note))\n"
                let list = bookings.bookings(of: id)
                if !list.isEmpty {
                    section += "\n| booking | start | end | booker |\n| --- | --- | --- | --- |\n"
                    for booking in list {
                        section += "| \(escape(booking.bookingID)) | \(ChinaStandardTime.format(booking.startTime)) +08:00 | "
                            + "\(ChinaStandardTime.format(booking.endTime)) +08:00 | \(escape(booking.booker)) |\n"
                    }
                }
            }
            if !change.fields.isEmpty {
                section += "\n| field | before | after |\n| --- | --- | --- |\n"
                for field in change.fields {
                    section += "| \(field.field) | \(escape(field.before.description)) | \(escape(field.after.description)) |\n"
                }
            }
            return section
        }
        return assemble(head: head, parts: [
            Part(title: "\n#### Changes\n", sections: sections, noun: "changes"),
            Part(title: "\n#### Warnings\n\n", sections: plan.warnings.map { "- \(escape($0))\n" }, noun: "warnings"),
        ])
    }

    static func drift(_ report: DriftReport) -> String {
        var head = "### roomsync drift\n\n"
        head += "| changed | deleted | unmanaged | accepted |\n| ---: | ---: | ---: | ---: |\n"
        head += "| \(report.count(.changed)) | \(report.count(.deleted)) | \(report.count(.unmanaged)) | \(report.acceptedCount) |\n\n"
        head += report.hasDrift ? "**Live rooms differ from the last apply.**\n" : report.acceptedCount > 0 ? "**No new drift.**\n" : "**No drift.**\n"
        if let coverage = report.subset {
            head += "\nLimited to \(escape(coverage.subset.description)) \(escape(coverage.note)).\n"
        }
        // New drift first, then what was accepted earlier, marked as such (the report keeps that order).
        let sections = report.items.map { item -> String in
            let accepted = item.accepted ? " (accepted earlier)" : ""
            var section = "\n**\(escape(item.key ?? "#\(item.meetingroomID)"))** (meetingroom_id \(item.meetingroomID), \(escape(item.name))) — \(item.kind.rawValue)\(accepted)\n"
            if !item.fields.isEmpty {
                section += "\n| field | applied | live |\n| --- | --- | --- |\n"
                for field in item.fields {
                    section += "| \(field.field) | \(escape(field.before.description)) | \(escape(field.after.description)) |\n"
                }
            }
            return section
        }
        return assemble(head: head, parts: [Part(title: "\n#### Details\n", sections: sections, noun: "items")])
    }

    /// A plan a guard refused: the error, then the rooms it would have deleted or re-added, a row each.
    static func refusal(_ refusal: MassChangeRefusal) -> String {
        let head = "### roomsync plan refused\n\n**error: \(escape(refusal.message))**\n"
        let rows = refusal.rooms.map { "| \(escape($0.key)) | \($0.meetingroomID) | \(escape($0.name)) |\n" }
        return assemble(head: head, parts: [
            Part(
                title: "\n\(PlanRenderer.refusedHeadline(refusal)):\n\n| key | meetingroom_id | name |\n| --- | ---: | --- |\n",
                sections: rows, noun: "rooms")
        ])
    }

    /// One titled run of detail sections (the changes, the warnings) and what to call them in the cut note.
    struct Part {
        var title: String
        var sections: [String]
        var noun: String
    }

    /// The head always, then each part's title and as many of its sections as fit, so that the whole stays under
    /// `limit`, counted in UTF-16 units as GitHub counts characters. A part that is cut ends with a note of how
    /// many of its sections were left out. Each part after the first is promised up to a quarter of the room, so
    /// that thousands of changes cannot crowd out every warning, nor huge warnings the changes.
    static func assemble(head: String, parts: [Part]) -> String {
        let parts = parts.filter { !$0.sections.isEmpty }
        let capacity = limit - 1
        var out = head
        var used = head.utf16.count
        // The least each part takes (its title and a cut note) and what it would take in full.
        let least = parts.map { $0.title.utf16.count + cutNote(left: $0.sections.count, of: $0.noun).utf16.count }
        let full = parts.map { part in part.sections.reduce(part.title.utf16.count) { $0 + $1.utf16.count } }
        let share = max(0, capacity - used - least.reduce(0, +)) / 4
        for (index, part) in parts.enumerated() {
            let promised = parts.indices.dropFirst(index + 1).reduce(0) { $0 + least[$1] + min(full[$1], share) }
            let note = least[index] - part.title.utf16.count
            out += part.title
            used += part.title.utf16.count
            for (shown, section) in part.sections.enumerated() {
                let size = section.utf16.count
                if used + size + note + promised > capacity {
                    let cut = cutNote(left: part.sections.count - shown, of: part.noun)
                    out += cut
                    used += cut.utf16.count
                    break
                }
                out += section
                used += size
            }
        }
        return out
    }

    static func cutNote(left: Int, of noun: String) -> String {
        "\n_… \(left) more \(noun) not shown: the report is cut to stay under \(limit) characters. Run the command locally for the full output._\n"
    }
}
