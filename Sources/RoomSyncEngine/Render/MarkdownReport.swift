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
        var head = Catalogue.text(.mdPlanTitle) + "\n\n"
        // Moves and imports get a column only when the plan has some, as in the summary line.
        var columns: [(String, Int)] = [.add, .change, .delete, .adopt].map { (PlanRenderer.actionName($0), plan.count($0)) }
        for action in [PlannedChange.Action.move, .import] where plan.count(action) > 0 {
            columns.append((PlanRenderer.actionName(action), plan.count(action)))
        }
        columns.append((Catalogue.text(.columnUnchanged), plan.unchanged))
        head += "| " + columns.map(\.0).joined(separator: " | ") + " |\n|" + String(repeating: " ---: |", count: columns.count) + "\n"
        head += "| " + columns.map { String($0.1) }.joined(separator: " | ") + " |\n\n"
        head += "**\(PlanRenderer.summaryLine(plan))**\n"
        if let coverage = plan.subset { head += "\n" + Catalogue.text(.mdLimitedTo, ["subset": escape(coverage.subset.description)]) + "\n" }
        let sections = plan.changes.map { change -> String in
            var section = "\n`\(PlanRenderer.symbol(change.action))` **\(escape(change.key))**"
            if let id = change.meetingroomID { section = PlanRenderer.roomName(section, id: id) }
            section += " — \(PlanRenderer.actionName(change.action))"
            if let from = change.from { section += Catalogue.text(.mdChangeFrom, ["from": escape(from)]) }
            section += "\n"
            if change.action == .delete, let id = change.meetingroomID, let bookings = plan.bookings,
               let note = bookings.note(for: id)
            {
                // Id, times and booker only: a booking's subject and attendees are private.
                section += "\n⚠️ \(escape(note))\n"
                let list = bookings.bookings(of: id)
                if !list.isEmpty {
                    section += "\n" + Catalogue.text(.mdBookingColumns) + "\n| --- | --- | --- | --- |\n"
                    for booking in list {
                        section += "| \(escape(booking.bookingID)) | \(ChinaStandardTime.readable(booking.startTime)) | "
                            + "\(ChinaStandardTime.readable(booking.endTime)) | \(escape(booking.booker)) |\n"
                    }
                }
            }
            if !change.fields.isEmpty {
                section += "\n" + Catalogue.text(.mdFieldColumns) + "\n| --- | --- | --- |\n"
                for field in change.fields {
                    section += "| \(field.label) | \(escape(field.before.description)) | \(escape(field.after.description)) |\n"
                }
            }
            return section
        }
        return assemble(head: head, parts: [
            Part(title: "\n" + Catalogue.text(.mdChanges) + "\n", sections: sections, noun: Catalogue.text(.mdNounChanges)),
            Part(
                title: "\n" + Catalogue.text(.mdWarnings) + "\n\n", sections: plan.warnings.map { "- \(escape($0.description))\n" },
                noun: Catalogue.text(.mdNounWarnings)),
        ])
    }

    static func drift(_ report: DriftReport) -> String {
        var head = Catalogue.text(.mdDriftTitle) + "\n\n"
        head += Catalogue.text(.mdDriftColumns) + "\n| ---: | ---: | ---: | ---: |\n"
        head += "| \(report.count(.changed)) | \(report.count(.deleted)) | \(report.count(.unmanaged)) | \(report.acceptedCount) |\n\n"
        head += Catalogue.text(report.hasDrift ? .mdDriftFound : report.acceptedCount > 0 ? .mdNoNewDrift : .mdNoDrift) + "\n"
        if let coverage = report.subset {
            head += "\n" + Catalogue.text(
                .mdDriftLimitedTo, ["subset": escape(coverage.subset.description), "note": escape(coverage.readableNote())]) + "\n"
        }
        // New drift first, then what was accepted earlier, marked as such (the report keeps that order).
        let sections = report.items.map { item -> String in
            let accepted = item.accepted ? Catalogue.text(.mdAcceptedEarlier) : ""
            var section = "\n" + Catalogue.text(.mdDriftItem, [
                "label": escape(item.key ?? "#\(item.meetingroomID)"), "id": item.meetingroomID, "name": escape(item.name),
                "kind": DriftRenderer.kindName(item.kind), "accepted": accepted,
            ]) + "\n"
            if !item.fields.isEmpty {
                section += "\n" + Catalogue.text(.mdDriftFieldColumns) + "\n| --- | --- | --- |\n"
                for field in item.fields {
                    section += "| \(field.label) | \(escape(field.before.description)) | \(escape(field.after.description)) |\n"
                }
            }
            return section
        }
        return assemble(
            head: head, parts: [Part(title: "\n" + Catalogue.text(.mdDetails) + "\n", sections: sections, noun: Catalogue.text(.mdNounItems))])
    }

    /// A plan a guard refused: the error, then the rooms it would have deleted or re-added, a row each.
    static func refusal(_ refusal: MassChangeRefusal) -> String {
        let head = Catalogue.text(.mdRefusedTitle) + "\n\n" + Catalogue.text(.mdRefusedError, ["message": escape(refusal.message)]) + "\n"
        let rows = refusal.rooms.map { "| \(escape($0.key)) | \($0.meetingroomID) | \(escape($0.name)) |\n" }
        return assemble(head: head, parts: [
            Part(
                title: "\n\(PlanRenderer.refusedHeadline(refusal)):\n\n" + Catalogue.text(.mdRefusedColumns) + "\n| --- | ---: | --- |\n",
                sections: rows, noun: Catalogue.text(.mdNounRooms))
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
        "\n" + Catalogue.text(.mdCutNote, ["left": left, "noun": noun, "limit": limit]) + "\n"
    }
}
