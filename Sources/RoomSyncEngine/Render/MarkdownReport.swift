/// Markdown for pull-request comments and issues. GitHub refuses comments over 65,536 characters, so the report
/// stays under `limit`: the summary always fits, details are cut with a note of how many were left out.
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
        head += "| add | change | delete | adopt | unchanged |\n| ---: | ---: | ---: | ---: | ---: |\n"
        head += "| \(plan.count(.add)) | \(plan.count(.change)) | \(plan.count(.delete)) | \(plan.count(.adopt)) | \(plan.unchanged) |\n\n"
        head += "**\(PlanRenderer.summaryLine(plan))**\n"
        var warnings = ""
        if !plan.warnings.isEmpty {
            warnings = "\n#### Warnings\n\n" + plan.warnings.map { "- \(escape($0))\n" }.joined()
        }
        let sections = plan.changes.map { change -> String in
            var section = "\n`\(PlanRenderer.symbol(change.action))` **\(escape(change.key))**"
            if let id = change.meetingroomID { section += " (meetingroom_id \(id))" }
            section += " — \(change.action.rawValue)\n"
            if !change.fields.isEmpty {
                section += "\n| field | before | after |\n| --- | --- | --- |\n"
                for field in change.fields {
                    section += "| \(field.field) | \(escape(field.before.description)) | \(escape(field.after.description)) |\n"
                }
            }
            return section
        }
        return assemble(head: head, detailsTitle: "\n#### Changes\n", sections: sections, tail: warnings)
    }

    static func drift(_ report: DriftReport) -> String {
        var head = "### roomsync drift\n\n"
        head += "| changed | deleted | unmanaged | accepted |\n| ---: | ---: | ---: | ---: |\n"
        head += "| \(report.count(.changed)) | \(report.count(.deleted)) | \(report.count(.unmanaged)) | \(report.acceptedCount) |\n\n"
        head += report.hasDrift ? "**Live rooms differ from the last apply.**\n" : report.acceptedCount > 0 ? "**No new drift.**\n" : "**No drift.**\n"
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
        return assemble(head: head, detailsTitle: "\n#### Details\n", sections: sections, tail: "")
    }

    /// Head and tail always; as many detail sections as fit under `limit`, then a note of the rest.
    static func assemble(head: String, detailsTitle: String, sections: [String], tail: String) -> String {
        var out = head
        guard !sections.isEmpty else { return out + tail }
        out += detailsTitle
        // Room for the tail and the cut note, counted in UTF-16 units as GitHub counts characters.
        let reserve = tail.utf16.count + 200
        var used = out.utf16.count
        for (index, section) in sections.enumerated() {
            let size = section.utf16.count
            if used + size + reserve > limit {
                let left = sections.count - index
                out += "\n_… \(left) more not shown: the report is cut to stay under \(limit) characters. Run the command locally for the full output._\n"
                return out + tail
            }
            out += section
            used += size
        }
        return out + tail
    }
}
