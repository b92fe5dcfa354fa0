import Foundation
import RoomSyncCore

/// Renders a plan as text (Terraform-like), JSON (SPEC section 5) or Markdown (for pull-request comments).
public enum PlanRenderer {
    public static func render(_ plan: Plan, format: OutputFormat, palette: Palette = Palette(enabled: false)) -> String {
        switch format {
        case .text: text(plan, palette: palette)
        case .json: json(plan)
        case .markdown: markdown(plan)
        }
    }

    static func symbol(_ action: PlannedChange.Action) -> String {
        switch action {
        case .add: "+"
        case .change: "~"
        case .delete: "-"
        case .adopt, .import: "="
        case .move: ">"
        }
    }

    static func headline(_ change: PlannedChange) -> String {
        symbol(change.action) + " " + description(change)
    }

    /// What a change does, in the reader's language: `fresh will be added`.
    static func description(_ change: PlannedChange) -> String {
        let room = roomName(change.key, id: change.meetingroomID)
        let id = change.meetingroomID.map(String.init) ?? "?"
        switch change.action {
        case .move:
            return Catalogue.text(.planMove, ["from": change.from ?? "?", "key": change.key])
        case .import:
            return Catalogue.text(change.fields.isEmpty ? .planImport : .planImportChanged, ["key": change.key, "id": id])
        case .add:
            guard let reason = change.reason else { return Catalogue.text(.planAdd, ["room": room]) }
            return Catalogue.text(.planReadd, ["room": room, "reason": reason.description])
        case .change:
            return Catalogue.text(.planChange, ["room": room])
        case .delete:
            return Catalogue.text(change.isUnmanagedRoom ? .planDeletePruned : .planDelete, ["room": room])
        case .adopt:
            let line = Catalogue.text(change.fields.isEmpty ? .planAdopt : .planAdoptChanged, ["room": room])
            guard let reason = change.reason else { return line }
            return Catalogue.text(.planWithReason, ["headline": line, "reason": reason.description])
        }
    }

    /// `sz-18f (meetingroom_id 7)`, or the key alone when the room has no id yet.
    public static func roomName(_ key: String, id: Int?) -> String {
        guard let id else { return key }
        return Catalogue.text(.roomWithID, ["key": key, "id": id])
    }

    /// A key whose room is gone and that no manifest declares any more: apply drops it from the state, and the plan
    /// says so rather than doing it silently.
    static func forgottenNote(_ key: String) -> String {
        Catalogue.text(.planForgotten, ["key": key])
    }

    /// A room already as the manifest asks whose record lags: apply calls nothing, and `No changes.` stays true of
    /// WeCom, but the state is written, and the plan says so.
    static func recordNote(_ key: String) -> String {
        Catalogue.text(.planRecordUpdate, ["key": key])
    }

    public static func summaryLine(_ plan: Plan) -> String {
        // A plan limited to a subset says so in every format (text and markdown through this line).
        guard let coverage = plan.subset else { return fullSummaryLine(plan) }
        return Catalogue.text(.summaryWithSubset, ["summary": fullSummaryLine(plan), "note": coverage.readableNote()])
    }

    static func fullSummaryLine(_ plan: Plan) -> String {
        guard plan.hasChanges else { return Catalogue.text(.planNoChanges) }
        var line = Catalogue.text(
            .planSummary,
            ["add": plan.count(.add), "change": plan.count(.change), "delete": plan.count(.delete), "adopt": plan.count(.adopt)])
        // Moves and imports are named only when the plan has some, so plans without them read as they always did.
        if plan.count(.move) > 0 { line += Catalogue.text(.planSummaryMoves, ["count": plan.count(.move)]) }
        if plan.count(.import) > 0 { line += Catalogue.text(.planSummaryImports, ["count": plan.count(.import)]) }
        line += Catalogue.text(.sentenceEnd)
        if let cancelled = plan.bookings?.cancelledCount, cancelled > 0 {
            line += Catalogue.text(cancelled == 1 ? .planBookingCancelled : .planBookingsCancelled, ["count": cancelled])
        }
        return line
    }

    /// A change's headline, with what a delete would cancel.
    static func headline(_ change: PlannedChange, in plan: Plan) -> String {
        let line = headline(change)
        guard change.action == .delete, let id = change.meetingroomID, let note = plan.bookings?.note(for: id) else {
            return line
        }
        return Catalogue.text(.planDeleteBookings, ["headline": line, "note": note])
    }

    static func text(_ plan: Plan, palette: Palette) -> String {
        var out = ""
        for change in plan.changes {
            let color: (String) -> String =
                switch change.action {
                case .add: palette.green
                case .change: palette.yellow
                case .delete: palette.red
                case .adopt, .import, .move: palette.cyan
                }
            out += color(headline(change, in: plan)) + "\n"
            for field in change.fields {
                switch change.action {
                case .add: out += "    " + Catalogue.text(.fieldValue, ["field": field.label, "value": field.after]) + "\n"
                case .delete: out += "    " + Catalogue.text(.fieldValue, ["field": field.label, "value": field.before]) + "\n"
                case .change, .adopt, .import, .move: out += "    " + field.readableChange + "\n"
                }
            }
        }
        for key in plan.forgottenKeys {
            out += Catalogue.text(.noteLine, ["text": forgottenNote(key)]) + "\n"
        }
        for key in plan.recordUpdates.keys.sorted() {
            out += Catalogue.text(.noteLine, ["text": recordNote(key)]) + "\n"
        }
        for warning in plan.warnings {
            out += palette.yellow(Catalogue.text(.warningLabel)) + warning.description + "\n"
        }
        if !plan.changes.isEmpty || !plan.warnings.isEmpty || !plan.forgottenKeys.isEmpty || !plan.recordUpdates.isEmpty {
            out += "\n"
        }
        out += palette.bold(summaryLine(plan)) + "\n"
        return out
    }

    struct JSONPlan: Encodable {
        struct Summary: Encodable {
            var add, change, delete, adopt, move, `import`, unchanged: Int
        }
        struct Change: Encodable {
            var key: String
            var action: String
            var meetingroom_id: Int?
            var fields: [String: FieldDelta]
            var reason: String?
            /// A move's key before.
            var from: String?
            /// A delete's bookings in the horizon (never their subject or attendees, which are private).
            var bookings: [JSONBooking]?

            func encode(to encoder: any Encoder) throws {
                var container = encoder.container(keyedBy: CodingKeys.self)
                try container.encode(key, forKey: .key)
                try container.encode(action, forKey: .action)
                // Present and null for adds, so every change has the same shape.
                try container.encode(meetingroom_id, forKey: .meetingroom_id)
                try container.encode(fields, forKey: .fields)
                try container.encodeIfPresent(reason, forKey: .reason)
                try container.encodeIfPresent(from, forKey: .from)
                try container.encodeIfPresent(bookings, forKey: .bookings)
            }

            enum CodingKeys: String, CodingKey { case key, action, meetingroom_id, fields, reason, from, bookings }
        }
        struct JSONBooking: Encodable {
            var id: String
            var start: String
            var end: String
            var booker: String

            init(_ booking: Booking) {
                id = booking.bookingID
                start = JSONBooking.time(booking.startTime)
                end = JSONBooking.time(booking.endTime)
                booker = booking.booker
            }

            /// `2026-12-08T10:00:00+08:00`: WeCom's zone, with the offset.
            static func time(_ unix: Int) -> String {
                ChinaStandardTime.format(unix).replacingOccurrences(of: " ", with: "T") + ":00+08:00"
            }
        }
        /// The booking check of the plan's deletes.
        struct BookingSummary: Encodable {
            var horizon_days: Int
            var cancelled: Int
            var failure: String?
        }
        struct FieldDelta: Encodable {
            var before: FieldValue
            var after: FieldValue

            /// `{FIELD: {"before", "after"}}`, as plan and drift JSON both print fields.
            static func object(_ fields: [FieldChange]) -> [String: FieldDelta] {
                Dictionary(uniqueKeysWithValues: fields.map { ($0.field, FieldDelta(before: $0.before, after: $0.after)) })
            }
        }
        var format_version = 1
        var summary: Summary
        var changes: [Change]
        var warnings: [String]
        /// Keys dropped from the state with no API call (their room is gone, no manifest declares them).
        var forgotten: [String]?
        /// Present only when the plan deletes rooms and their bookings were checked.
        var bookings: BookingSummary?
        /// Present only for a plan limited to a subset (SPEC 11).
        var subset: JSONSubset?
    }

    struct JSONSubset: Encodable {
        var note: String
        var rooms: Int
        var managed_rooms: Int
        var target: [String]
        var exclude: [String]
        var city: String?
        var building: String?

        init(_ coverage: SubsetCoverage) {
            note = coverage.note
            rooms = coverage.rooms
            managed_rooms = coverage.managedRooms
            target = coverage.subset.targets
            exclude = coverage.subset.excludes
            city = coverage.subset.city
            building = coverage.subset.building
        }
    }

    static func json(_ plan: Plan) -> String {
        let document = JSONPlan(
            summary: .init(
                add: plan.count(.add), change: plan.count(.change), delete: plan.count(.delete), adopt: plan.count(.adopt),
                move: plan.count(.move), import: plan.count(.import), unchanged: plan.unchanged),
            changes: plan.changes.map { change in
                JSONPlan.Change(
                    key: change.key, action: change.action.rawValue, meetingroom_id: change.meetingroomID,
                    fields: JSONPlan.FieldDelta.object(change.fields),
                    // The JSON contract has always said a pruned room's delete this way.
                    reason: change.isUnmanagedRoom ? "unmanaged" : change.reason?.english, from: change.from,
                    bookings: change.action == .delete
                        ? change.meetingroomID.flatMap { id in plan.bookings.map { $0.bookings(of: id).map(JSONPlan.JSONBooking.init) } }
                        : nil)
            },
            warnings: plan.warnings.map(\.english), forgotten: plan.forgottenKeys.isEmpty ? nil : plan.forgottenKeys,
            bookings: plan.bookings.map {
                JSONPlan.BookingSummary(horizon_days: $0.horizonDays, cancelled: $0.cancelledCount, failure: $0.failure)
            },
            subset: plan.subset.map(JSONSubset.init))
        return encodeJSON(document)
    }

    static func markdown(_ plan: Plan) -> String {
        MarkdownReport.plan(plan)
    }
}

func encodeJSON(_ value: some Encodable) -> String {
    let encoder = JSONOutput.encoder()
    // Encoding our own plain structs cannot fail.
    let data = try! encoder.encode(value)
    return String(decoding: data, as: UTF8.self) + "\n"
}

extension PlanRenderer {
    /// `3 added, 1 changed, 0 deleted, 0 adopted` (then moves and imports when there were some, as in the plan's
    /// summary line): what apply's summary and its notification say.
    public static func appliedCounts(_ succeeded: [PlannedChange.Action: Int]) -> String {
        PlannedChange.Action.allCases
            .filter { ![.move, .import].contains($0) || (succeeded[$0] ?? 0) > 0 }
            .map { Catalogue.text(countKey($0), ["count": succeeded[$0] ?? 0]) }
            .joined(separator: Catalogue.text(.listSeparator))
    }

    /// `3 added`: how many operations of a kind succeeded.
    static func countKey(_ action: PlannedChange.Action) -> MessageKey {
        switch action {
        case .add: .countAdded
        case .change: .countChanged
        case .delete: .countDeleted
        case .adopt: .countAdopted
        case .move: .countMoved
        case .import: .countImported
        }
    }

    /// `Apply complete: 3 added, 1 changed, 0 deleted, 0 adopted.`, with failures and operations not started.
    public static func applySummary(_ result: ApplyResult) -> String {
        var counts = appliedCounts(result.succeeded)
        let separator = Catalogue.text(.listSeparator)
        if !result.failures.isEmpty { counts += separator + Catalogue.text(.countFailed, ["count": result.failures.count]) }
        if result.skipped > 0 { counts += separator + Catalogue.text(.countNotStarted, ["count": result.skipped]) }
        return Catalogue.text(result.isSuccess ? .applyComplete : .applyIncomplete, ["counts": counts]) + "\n"
    }

    /// "added", "changed", "deleted", "adopted": for progress lines and summaries.
    public static func pastTense(_ action: PlannedChange.Action) -> String {
        switch action {
        case .add: Catalogue.text(.pastAdded)
        case .change: Catalogue.text(.pastChanged)
        case .delete: Catalogue.text(.pastDeleted)
        case .adopt: Catalogue.text(.pastAdopted)
        case .move: Catalogue.text(.pastMoved)
        case .import: Catalogue.text(.pastImported)
        }
    }

    /// "add", "change"…: an action named for a person (JSON keeps `Action.rawValue`).
    public static func actionName(_ action: PlannedChange.Action) -> String {
        switch action {
        case .add: Catalogue.text(.actionAdd)
        case .change: Catalogue.text(.actionChange)
        case .delete: Catalogue.text(.actionDelete)
        case .adopt: Catalogue.text(.actionAdopt)
        case .move: Catalogue.text(.actionMove)
        case .import: Catalogue.text(.actionImport)
        }
    }
}

extension PlanRenderer {
    /// A plan the mass-delete or mass re-add guard refused, in `format`, for the place the plan would have gone:
    /// the rooms it would have deleted or re-added, so that a pull-request comment made from it shows them. The
    /// error's one line goes to stderr as any other.
    public static func render(_ refusal: MassChangeRefusal, format: OutputFormat) -> String {
        switch format {
        case .text: refusedText(refusal)
        case .json: refusedJSON(refusal)
        case .markdown: MarkdownReport.refusal(refusal)
        }
    }

    static func refusedHeadline(_ refusal: MassChangeRefusal) -> String {
        switch refusal.kind {
        case .delete: Catalogue.text(.planRefusedDelete, ["count": refusal.rooms.count])
        case .readd: Catalogue.text(.planRefusedReadd, ["count": refusal.rooms.count])
        }
    }

    static func refusedText(_ refusal: MassChangeRefusal) -> String {
        let symbol = refusal.kind == .delete ? "-" : "+"
        var out = refusedHeadline(refusal) + ":\n"
        for room in refusal.rooms {
            out += "  \(symbol) \(roomName(room.key, id: room.meetingroomID)) \(FieldValue.string(room.name))\n"
        }
        return out
    }

    struct JSONRefusal: Encodable {
        struct Refused: Encodable {
            var action: String
            var count: Int
            var of: Int
            var counted: String
            var rooms: [MassChangeRefusal.Room]
        }
        var format_version = 1
        var error: String
        var refused: Refused
    }

    static func refusedJSON(_ refusal: MassChangeRefusal) -> String {
        encodeJSON(JSONRefusal(
            error: refusal.text.rendered(in: .en),
            refused: .init(
                action: refusal.kind.rawValue, count: refusal.rooms.count, of: refusal.base, counted: refusal.counted,
                rooms: refusal.rooms)))
    }
}
