import Foundation
import RoomSyncCore

/// `--format` of drift: the plan's formats plus Prometheus' text exposition format (SPEC section 5).
public enum DriftFormat: String, Sendable, CaseIterable {
    case text
    case json
    case markdown
    case prometheus
}

/// Renders a drift report as text, JSON (SPEC section 5), Markdown or Prometheus metrics. Drift accepted with
/// `drift --accept` is listed apart in every format and not counted as drift.
public enum DriftRenderer {
    public static func render(_ report: DriftReport, format: OutputFormat, palette: Palette = Palette(enabled: false)) -> String {
        switch format {
        case .text: text(report, palette: palette)
        case .json: json(report)
        case .markdown: MarkdownReport.drift(report)
        }
    }

    /// `timestamp` is when the run happened, for `roomsync_drift_last_run_timestamp_seconds`.
    public static func render(
        _ report: DriftReport, format: DriftFormat, palette: Palette = Palette(enabled: false), timestamp: Date = Date()
    ) -> String {
        switch format {
        case .text: text(report, palette: palette)
        case .json: json(report)
        case .markdown: MarkdownReport.drift(report)
        case .prometheus: prometheus(report, timestamp: timestamp)
        }
    }

    public static func summaryLine(_ report: DriftReport) -> String {
        // A report limited to a subset says so in every format (text and markdown through this line).
        guard let coverage = report.subset else { return fullSummaryLine(report) }
        return Catalogue.text(.summaryWithSubset, ["summary": fullSummaryLine(report), "note": coverage.readableNote()])
    }

    static func fullSummaryLine(_ report: DriftReport) -> String {
        let accepted = report.acceptedCount > 0 ? Catalogue.text(.driftAcceptedCount, ["count": report.acceptedCount]) : ""
        guard report.hasDrift else {
            return report.acceptedCount > 0 ? Catalogue.text(.driftNoNew, ["accepted": accepted]) : Catalogue.text(.driftNone)
        }
        return Catalogue.text(.driftSummary, [
            "changed": report.count(.changed), "deleted": report.count(.deleted), "unmanaged": report.count(.unmanaged),
            "accepted": accepted,
        ])
    }

    /// "changed", "deleted", "unmanaged": a kind of drift named for a person (JSON keeps `Kind.rawValue`).
    static func kindName(_ kind: DriftReport.Item.Kind) -> String {
        switch kind {
        case .changed: Catalogue.text(.driftKindChanged)
        case .deleted: Catalogue.text(.driftKindDeleted)
        case .unmanaged: Catalogue.text(.driftKindUnmanaged)
        }
    }

    static func itemLines(_ item: DriftReport.Item, palette: Palette) -> String {
        let label = item.key ?? "#\(item.meetingroomID)"
        var out = ""
        switch item.kind {
        case .changed:
            out += palette.yellow("~ " + Catalogue.text(.driftChanged, ["label": label, "id": item.meetingroomID])) + "\n"
            for field in item.fields { out += "    " + field.readableChange + "\n" }
        case .deleted:
            out += palette.red("- " + Catalogue.text(.driftDeleted, ["label": label, "id": item.meetingroomID])) + "\n"
        case .unmanaged:
            out += palette.cyan("? " + Catalogue.text(.driftUnmanaged, ["label": label, "name": item.name])) + "\n"
        }
        return out
    }

    static func text(_ report: DriftReport, palette: Palette) -> String {
        var out = ""
        for item in report.items where !item.accepted { out += itemLines(item, palette: palette) }
        let accepted = report.items.filter(\.accepted)
        if !accepted.isEmpty {
            if report.hasDrift { out += "\n" }
            out += Catalogue.text(.driftAcceptedHeader) + "\n"
            for item in accepted {
                out += itemLines(item, palette: Palette(enabled: false)).split(separator: "\n").map { "  " + $0 + "\n" }.joined()
            }
        }
        if !out.isEmpty { out += "\n" }
        return out + summaryLine(report) + "\n"
    }

    struct JSONDrift: Encodable {
        struct Summary: Encodable { var changed, deleted, unmanaged, accepted: Int }
        struct Item: Encodable {
            var key: String?
            var kind: String
            var meetingroom_id: Int
            var name: String
            var fields: [String: PlanRenderer.JSONPlan.FieldDelta]
            var accepted: Bool

            func encode(to encoder: any Encoder) throws {
                var container = encoder.container(keyedBy: CodingKeys.self)
                try container.encode(key, forKey: .key)
                try container.encode(kind, forKey: .kind)
                try container.encode(meetingroom_id, forKey: .meetingroom_id)
                try container.encode(name, forKey: .name)
                try container.encode(fields, forKey: .fields)
                try container.encode(accepted, forKey: .accepted)
            }

            enum CodingKeys: String, CodingKey { case key, kind, meetingroom_id, name, fields, accepted }
        }
        var format_version = 1
        var summary: Summary
        var items: [Item]
        /// Present only for a report limited to a subset (SPEC 11).
        var subset: PlanRenderer.JSONSubset?
    }

    static func json(_ report: DriftReport) -> String {
        encodeJSON(
            JSONDrift(
                summary: .init(
                    changed: report.count(.changed), deleted: report.count(.deleted), unmanaged: report.count(.unmanaged),
                    accepted: report.acceptedCount),
                items: report.items.map { item in
                    JSONDrift.Item(
                        key: item.key, kind: item.kind.rawValue, meetingroom_id: item.meetingroomID, name: item.name,
                        fields: PlanRenderer.JSONPlan.FieldDelta.object(item.fields), accepted: item.accepted)
                }, subset: report.subset.map(PlanRenderer.JSONSubset.init)))
    }

    /// The text exposition format, for node_exporter's textfile collector: counts only, no room names (labels
    /// per room would make a series per room).
    static func prometheus(_ report: DriftReport, timestamp: Date) -> String {
        var out = "# HELP roomsync_drift_rooms Rooms that differ from what roomsync last applied, by kind; accepted counts drift accepted with drift --accept and unchanged since.\n"
        out += "# TYPE roomsync_drift_rooms gauge\n"
        for kind in [DriftReport.Item.Kind.changed, .deleted, .unmanaged] {
            out += "roomsync_drift_rooms{kind=\"\(kind.rawValue)\"} \(report.count(kind))\n"
        }
        out += "roomsync_drift_rooms{kind=\"accepted\"} \(report.acceptedCount)\n"
        out += "# HELP roomsync_managed_rooms Rooms roomsync manages (in the state) among those the drift run covered.\n"
        out += "# TYPE roomsync_managed_rooms gauge\n"
        out += "roomsync_managed_rooms \(report.managedRooms)\n"
        out += "# HELP roomsync_drift_last_run_timestamp_seconds When the drift run finished, in seconds since the epoch.\n"
        out += "# TYPE roomsync_drift_last_run_timestamp_seconds gauge\n"
        out += "roomsync_drift_last_run_timestamp_seconds \(String(format: "%.3f", timestamp.timeIntervalSince1970))\n"
        return out
    }
}
