import Foundation
import RoomSyncCore

/// WeCom's booking API with the rules of SPEC section 10: 30-minute slots of at least 30 minutes, clashes refused
/// (40058 naming the clash), rooms needing approval refused, queries of one China Standard Time day at most,
/// hierarchical location filters, all rooms when no id is given, cancelled bookings kept with status 1.
extension SandboxStore {
    /// A booking as the data file keeps it. Subject and attendees are kept as WeCom keeps them, and never returned
    /// by `get_booking_info` (it does not return them either).
    struct StoredBooking: Codable, Hashable, Sendable {
        var number: Int
        var scheduleNumber: Int
        var meetingroomID: Int
        var startTime: Int
        var endTime: Int
        var booker: String
        var subject: String?
        var attendees: [String]?
        var status: Int
        /// `keep_schedule` of the cancel that ended it, when one did.
        var keptSchedule: Int?

        enum CodingKeys: String, CodingKey {
            case number
            case scheduleNumber = "schedule_number"
            case meetingroomID = "meetingroom_id"
            case startTime = "start_time"
            case endTime = "end_time"
            case booker, subject, attendees, status
            case keptSchedule = "kept_schedule"
        }

        var id: String { "bk-\(number)" }
        var holdsTheRoom: Bool { BookingStatus.holdsTheRoom(status) }

        var booking: Booking {
            Booking(
                bookingID: id, scheduleID: "sch-\(scheduleNumber)", startTime: startTime, endTime: endTime,
                booker: booker, status: status)
        }
    }

    /// WeCom's slot: bookings start and end on the half hour.
    public static let bookingSlotSeconds = 1800

    public func book(_ request: BookMeetingRoomRequest) throws -> BookMeetingRoomResult {
        guard let room = rooms[request.meetingroomID] else {
            throw SandboxError.invalid("meetingroom_id", "no meeting room \(request.meetingroomID)")
        }
        if (room.needApproval ?? 0) == 1 {
            throw SandboxError.invalid(
                "meetingroom_id", "meeting room \(request.meetingroomID) needs approval and cannot be booked through the API")
        }
        if request.booker.trimmingCharacters(in: .whitespaces).isEmpty {
            throw SandboxError.invalid("booker", "must not be empty")
        }
        guard request.startTime > 0 else { throw SandboxError.invalid("start_time", "must be a Unix time") }
        guard request.endTime > request.startTime else {
            throw SandboxError.invalid("end_time", "must be after start_time")
        }
        // Widened to whole slots, at least one.
        let slot = Self.bookingSlotSeconds
        let start = request.startTime / slot * slot
        let end = max((request.endTime + slot - 1) / slot * slot, start + slot)
        if let clash = bookings.values
            .filter({ $0.meetingroomID == request.meetingroomID && $0.holdsTheRoom && $0.startTime < end && start < $0.endTime })
            .min(by: { $0.startTime < $1.startTime })
        {
            throw SandboxError.invalid(
                "start_time/end_time",
                "clashes with booking \(clash.id) of meeting room \(request.meetingroomID) "
                    + "(\(ChinaStandardTime.format(clash.startTime))–\(ChinaStandardTime.formatTime(clash.endTime)) +08:00)")
        }
        return try committing {
            let number = nextBookingID
            nextBookingID += 1
            let stored = StoredBooking(
                number: number, scheduleNumber: number, meetingroomID: request.meetingroomID, startTime: start,
                endTime: end, booker: request.booker, subject: request.subject, attendees: request.attendees,
                status: BookingStatus.booked)
            bookings[stored.id] = stored
            return BookMeetingRoomResult(bookingID: stored.id, scheduleID: stored.booking.scheduleID)
        }
    }

    /// The bookings of the rooms asked for that overlap the window, cancelled ones included (WeCom lists them with
    /// status 1), every matching room listed even when it has none. Defaults: from `now` to the end of its day.
    public func bookingInfo(_ request: BookingInfoRequest, now: Date = Date()) throws -> [RoomBookings] {
        try Self.validateLocationFilter(city: request.city, building: request.building, floor: request.floor)
        let start = request.startTime ?? Int(now.timeIntervalSince1970)
        let endOfDay = ChinaStandardTime.startOfDay(containing: start) + 86_400
        let end = request.endTime ?? endOfDay
        guard end > start else { throw SandboxError.invalid("end_time", "must be after start_time") }
        guard end <= endOfDay else {
            throw SandboxError.invalid(
                "end_time", "a query may not cross a day (China Standard Time): ask for each day on its own")
        }
        let matching: [StoredRoom]
        if let id = request.meetingroomID {
            guard let room = rooms[id] else { throw SandboxError.invalid("meetingroom_id", "no meeting room \(id)") }
            matching = [room]
        } else {
            matching = rooms.values.sorted { $0.id < $1.id }
        }
        var byRoom: [Int: [StoredBooking]] = [:]
        for booking in bookings.values where booking.startTime < end && start < booking.endTime {
            byRoom[booking.meetingroomID, default: []].append(booking)
        }
        return matching.filter { room in
            if let city = request.city, room.location?.city != city { return false }
            if let building = request.building, room.location?.building != building { return false }
            if let floor = request.floor, room.location?.floor != floor { return false }
            return true
        }.map { room in
            RoomBookings(
                meetingroomID: room.id,
                schedule: (byRoom[room.id] ?? []).sorted { ($0.startTime, $0.number) < ($1.startTime, $1.number) }
                    .map(\.booking))
        }
    }

    /// Cancels a booking (status 1). `cancel_date`, for recurring bookings, must fall on the booking's day here,
    /// where no booking recurs.
    public func cancelBooking(_ request: CancelBookingRequest) throws {
        guard var booking = bookings[request.bookingID] else {
            throw SandboxError.invalid("booking_id", "no booking \(request.bookingID)")
        }
        guard booking.holdsTheRoom else {
            throw SandboxError.invalid("booking_id", "booking \(request.bookingID) is already cancelled")
        }
        if let keep = request.keepSchedule, keep != 0, keep != 1 {
            throw SandboxError.invalid("keep_schedule", "must be 0 or 1")
        }
        if let date = request.cancelDate,
           ChinaStandardTime.startOfDay(containing: date) != ChinaStandardTime.startOfDay(containing: booking.startTime)
        {
            throw SandboxError.invalid(
                "cancel_date", "booking \(request.bookingID) is not on \(ChinaStandardTime.format(date).prefix(10))")
        }
        booking.status = BookingStatus.cancelled
        booking.keptSchedule = request.keepSchedule ?? 0
        try committing { bookings[booking.id] = booking }
    }

    /// `bookinfo/get`: one booking of one room.
    public func booking(_ request: BookingByIDRequest) throws -> Booking {
        guard let booking = bookings[request.bookingID], booking.meetingroomID == request.meetingroomID else {
            throw SandboxError.invalid(
                "booking_id", "no booking \(request.bookingID) of meeting room \(request.meetingroomID)")
        }
        return booking.booking
    }
}
