import RoomSyncCore
import RoomSyncEngine

/// `--booking-horizon` and `--allow-booked-delete` (SPEC section 10): deleting a WeCom room cancels its bookings,
/// so plan says what a delete would cancel and apply refuses it unless told otherwise.
public struct BookingSettings: Sendable, Hashable {
    public var horizonDays: Int
    public var allowBookedDelete: Bool

    public init(horizonDays: Int = BookingCheck.defaultHorizonDays, allowBookedDelete: Bool = false) {
        self.horizonDays = horizonDays
        self.allowBookedDelete = allowBookedDelete
    }

    /// `plan` with the bookings of the rooms it deletes, read over `horizonDays` (the settings' unless given).
    /// Notes when the check is skipped although the plan deletes rooms.
    func checked(_ plan: Plan, api: any MeetingRoomAPI, horizonDays: Int? = nil, notes: any NoteReporter) async -> Plan {
        var plan = plan
        let horizon = horizonDays ?? self.horizonDays
        let deletes = plan.count(.delete)
        if horizon == 0, deletes > 0 {
            notes.note(Catalogue.text(.noteBookingsUnchecked, ["count": deletes]))
        }
        plan.bookings = await BookingCheck.run(for: plan, api: api, horizonDays: horizon)
        return plan
    }
}
