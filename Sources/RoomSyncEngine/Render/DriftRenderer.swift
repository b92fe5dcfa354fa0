/// Renders a drift report as text, JSON (SPEC section 5) or Markdown.
public enum DriftRenderer {
    public static func render(_ report: DriftReport, format: OutputFormat, palette: Palette = Palette(enabled: false)) -> String {
        switch format {
        case .text: text(report, palette: palette)
        case .json: json(report)
        case .markdown: MarkdownReport.drift(report)
        }
    }

    static func text(_ report: DriftReport, palette: Palette) -> String {
        var out = ""
        for item in report.items {
            let label = item.key ?? "#\(item.meetingroomID)"
            switch item.kind {
            case .changed:
                out += palette.yellow("~ \(label) (meetingroom_id \(item.meetingroomID)) changed outside roomsync") + "\n"
                for field in item.fields { out += "    \(field.field): \(field.before) → \(field.after)\n" }
            case .deleted:
                out += palette.red("- \(label) (meetingroom_id \(item.meetingroomID)) was deleted outside roomsync") + "\n"
            case .unmanaged:
                out += palette.cyan("? \(label) \"\(item.name)\" is not managed by roomsync") + "\n"
            }
        }
        if report.hasDrift {
            out += "\nDrift: \(report.count(.changed)) changed, \(report.count(.deleted)) deleted, \(report.count(.unmanaged)) unmanaged.\n"
        } else {
            out += "No drift.\n"
        }
        return out
    }

    struct JSONDrift: Encodable {
        struct Summary: Encodable { var changed, deleted, unmanaged: Int }
        struct Item: Encodable {
            var key: String?
            var kind: String
            var meetingroom_id: Int
            var name: String
            var fields: [String: PlanRenderer.JSONPlan.FieldDelta]

            func encode(to encoder: any Encoder) throws {
                var container = encoder.container(keyedBy: CodingKeys.self)
                try container.encode(key, forKey: .key)
                try container.encode(kind, forKey: .kind)
                try container.encode(meetingroom_id, forKey: .meetingroom_id)
                try container.encode(name, forKey: .name)
                try container.encode(fields, forKey: .fields)
            }

            enum CodingKeys: String, CodingKey { case key, kind, meetingroom_id, name, fields }
        }
        var format_version = 1
        var summary: Summary
        var items: [Item]
    }

    static func json(_ report: DriftReport) -> String {
        encodeJSON(
            JSONDrift(
                summary: .init(changed: report.count(.changed), deleted: report.count(.deleted), unmanaged: report.count(.unmanaged)),
                items: report.items.map { item in
                    JSONDrift.Item(
                        key: item.key, kind: item.kind.rawValue, meetingroom_id: item.meetingroomID, name: item.name,
                        fields: PlanRenderer.JSONPlan.FieldDelta.object(item.fields))
                }))
    }
}
