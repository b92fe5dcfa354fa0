import Foundation
import RoomSyncCore

/// What the bookings of the rooms a plan deletes were when it was made (SPEC section 10): deleting a WeCom room
/// cancels its bookings, so a plan says what a delete would cancel and apply refuses it unless told otherwise.
public struct BookingCheck: Sendable, Hashable, Codable {
    /// The bookings of one room the plan deletes, in the window, that still hold it (status 0, 2 or 3).
    public struct RoomBookingList: Sendable, Hashable, Codable {
        public var meetingroomID: Int
        public var bookings: [Booking]

        enum CodingKeys: String, CodingKey {
            case meetingroomID = "meetingroom_id"
            case bookings
        }
    }

    /// Days ahead that were asked for (`--booking-horizon`).
    public var horizonDays: Int
    /// The window, Unix seconds: from when the check ran to `horizonDays` later.
    public var from: Int
    public var until: Int
    /// Only rooms with bookings, by id.
    public var rooms: [RoomBookingList]
    /// Why the bookings could not be read (48002, a timeout): then every delete counts as booked.
    public var failure: String?

    enum CodingKeys: String, CodingKey {
        case horizonDays = "horizon_days"
        case from, until, rooms, failure
    }

    /// The active bookings of room `id`, soonest first; empty when it has none.
    public func bookings(of id: Int) -> [Booking] {
        rooms.first { $0.meetingroomID == id }?.bookings ?? []
    }

    /// Whether deleting room `id` would cancel a booking, or might (the check failed).
    public func isBooked(_ id: Int) -> Bool {
        failure != nil || !bookings(of: id).isEmpty
    }

    /// How many bookings the plan's deletes would cancel.
    public var cancelledCount: Int { rooms.reduce(0) { $0 + $1.bookings.count } }

    /// The default `--booking-horizon`.
    public static let defaultHorizonDays = 14

    /// Reads the bookings of the next `horizonDays` days for the rooms `plan` deletes: one `get_booking_info` per
    /// China Standard Time day for the whole corp (never per room and day), all days at once within the API's own
    /// limits. `nil` when the plan deletes nothing (no call at all) or `horizonDays` is 0 (the check is skipped).
    /// A call that fails does not fail the plan: the check records why, and every delete counts as booked.
    public static func run(
        for plan: Plan, api: any MeetingRoomAPI, horizonDays: Int, now: Date = Date()
    ) async -> BookingCheck? {
        let deleted = Set(plan.changes.filter { $0.action == .delete }.compactMap(\.meetingroomID))
        guard !deleted.isEmpty, horizonDays > 0 else { return nil }
        let from = Int(now.timeIntervalSince1970)
        let until = from + horizonDays * 86_400
        var check = BookingCheck(horizonDays: horizonDays, from: from, until: until, rooms: [], failure: nil)
        guard let bookingAPI = api as? any MeetingRoomBookingAPI else {
            check.failure = "\(api.targetDescription) does not serve get_booking_info"
            return check
        }
        var requests: [BookingInfoRequest] = []
        var dayStart = ChinaStandardTime.startOfDay(containing: from)
        while dayStart < until {
            requests.append(BookingInfoRequest(startTime: max(dayStart, from), endTime: min(dayStart + 86_400, until)))
            dayStart += 86_400
        }
        do {
            let answers = try await withThrowingTaskGroup(of: [RoomBookings].self) { group in
                for request in requests {
                    group.addTask { try await bookingAPI.bookingInfo(request) }
                }
                var all: [RoomBookings] = []
                for try await answer in group { all += answer }
                return all
            }
            var byRoom: [Int: [String: Booking]] = [:]
            for room in answers where deleted.contains(room.meetingroomID) {
                for booking in room.schedule where booking.holdsTheRoom && booking.endTime > from && booking.startTime < until {
                    // A booking across midnight is listed by both days.
                    byRoom[room.meetingroomID, default: [:]][booking.bookingID] = booking
                }
            }
            check.rooms = byRoom.keys.sorted().map { id in
                RoomBookingList(
                    meetingroomID: id,
                    bookings: byRoom[id]!.values.sorted { ($0.startTime, $0.bookingID) < ($1.startTime, $1.bookingID) })
            }
        } catch {
            check.failure = "the bookings could not be checked (\(error))"
        }
        return check
    }

    /// `next 2026-12-08 10:00–11:00 +08:00, zhangsan`.
    static func describe(_ booking: Booking, in language: Language = Language.current) -> String {
        Catalogue.text(
            .bookingDescribe,
            ["span": ChinaStandardTime.readableSpan(booking.startTime, booking.endTime, in: language), "booker": booking.booker],
            in: language)
    }

    /// What a delete line adds: `3 bookings in the next 14 days (next 2026-12-08 10:00–11:00 +08:00, zhangsan)`;
    /// `nil` when the room has none.
    public func note(for id: Int, in language: Language = Language.current) -> String? {
        if let failure { return Catalogue.text(.bookingsUnknown, ["failure": failure], in: language) }
        let bookings = bookings(of: id)
        guard let next = bookings.first else { return nil }
        return Catalogue.text(
            bookings.count == 1 ? .bookingNoteOne : .bookingNoteMany,
            ["count": bookings.count, "days": horizonDays, "next": Self.describe(next, in: language)], in: language)
    }

    /// The rooms of `plan` whose delete this check holds as booked, one phrase each:
    /// `'sz-18f' (meetingroom_id 7): 3 bookings in the next 14 days (next …)`.
    public func bookedDeletes(in plan: Plan) -> [String] {
        plan.changes.filter { $0.action == .delete }.compactMap { change in
            guard let id = change.meetingroomID, !bookings(of: id).isEmpty else { return nil }
            // An error's phrase: English until the error texts are in the catalogue.
            return "'\(change.key)' (meetingroom_id \(id)): \(note(for: id, in: .en) ?? "")"
        }
    }

    /// How many booked rooms a refusal names; the plan's delete lines name every one.
    static let namedInRefusal = 10

    /// Why apply refuses `plan` without `--allow-booked-delete`; `nil` when no delete is booked.
    public func refusal(for plan: Plan) -> String? {
        let deletes = plan.changes.filter { $0.action == .delete }.compactMap(\.meetingroomID)
        if let failure, !deletes.isEmpty {
            return "the plan deletes \(deletes.count) room(s) whose bookings could not be checked, so they count as "
                + "booked: \(failure). Deleting a room cancels its bookings; check them in WeCom, then pass "
                + "--allow-booked-delete (or --booking-horizon 0 to skip the check)"
        }
        let booked = bookedDeletes(in: plan)
        guard !booked.isEmpty else { return nil }
        return "the plan deletes \(booked.count) booked room(s), which would cancel \(cancelledCount) booking(s): "
            + booked.prefix(Self.namedInRefusal).joined(separator: "; ")
            + (booked.count > Self.namedInRefusal ? "; and \(booked.count - Self.namedInRefusal) more (see the plan)" : "")
            + ". Deleting a room cancels its bookings; tell the bookers, then pass --allow-booked-delete if this is intended"
    }

    /// `apply --plan`: the rooms the saved plan deletes that got a booking since it was made (a booking the plan
    /// did not record). One line each.
    public func bookedSince(_ saved: BookingCheck, in plan: Plan) -> [String] {
        var keys: [Int: String] = [:]
        for change in plan.changes where change.action == .delete {
            if let id = change.meetingroomID { keys[id] = change.key }
        }
        var lines: [String] = []
        for room in rooms {
            let known = Set(saved.bookings(of: room.meetingroomID).map(\.bookingID))
            let new = room.bookings.filter { !known.contains($0.bookingID) }
            guard let first = new.first else { continue }
            let name = keys[room.meetingroomID].map { "'\($0)' (meetingroom_id \(room.meetingroomID))" }
                ?? "meetingroom_id \(room.meetingroomID)"
            lines.append("\(name) was booked since the plan was made (\(new.count) new, next \(Self.describe(first, in: .en)))")
        }
        return lines
    }
}
