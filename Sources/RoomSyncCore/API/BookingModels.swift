import Foundation

// The JSON bodies of WeCom's booking API (SPEC section 10): `oa/meetingroom/get_booking_info`, `book`,
// `cancel_book` and `bookinfo/get`. Times are Unix seconds; days are China Standard Time.
//
// WeCom renamed a field over time: a booking's id was `meeting_id` in the first documents (wechatpy 2.0.0a26 still
// sends `cancel_book {"meeting_id": …}`) and is `booking_id` now (WxJava's beans). Every decoder here reads either,
// and ids and times written as numbers or as strings of digits (SDKs differ there too). What roomsync encodes is
// the current shape only.

/// A booking's status, as WeCom numbers it: 0 booked, 1 cancelled, 2 being applied for, 3 awaiting approval.
public enum BookingStatus {
    public static let booked = 0
    public static let cancelled = 1
    public static let applying = 2
    public static let awaitingApproval = 3

    /// Whether a booking with `status` still holds its slot: deleting its room cancels a meeting someone expects.
    public static func holdsTheRoom(_ status: Int) -> Bool {
        status != cancelled
    }
}

/// China Standard Time, WeCom's zone: the days `get_booking_info` may not cross, and the zone roomsync prints
/// booking times in.
public enum ChinaStandardTime {
    public static let offsetSeconds = 8 * 3600
    public static let timeZone = TimeZone(secondsFromGMT: offsetSeconds)!

    /// The Unix time of the midnight (+08:00) that starts the day holding `time`.
    public static func startOfDay(containing time: Int) -> Int {
        let local = time + offsetSeconds
        return local - Self.floorModulo(local, 86_400) - offsetSeconds
    }

    /// `2026-12-08 10:00` for a Unix time, in +08:00.
    public static func format(_ time: Int) -> String {
        let local = time + offsetSeconds
        let days = (local - floorModulo(local, 86_400)) / 86_400
        let seconds = floorModulo(local, 86_400)
        let (year, month, day) = civilDate(daysSinceEpoch: days)
        return String(format: "%04d-%02d-%02d %02d:%02d", year, month, day, seconds / 3600, seconds % 3600 / 60)
    }

    /// `10:00` for a Unix time, in +08:00.
    public static func formatTime(_ time: Int) -> String {
        let seconds = floorModulo(time + offsetSeconds, 86_400)
        return String(format: "%02d:%02d", seconds / 3600, seconds % 3600 / 60)
    }

    static func floorModulo(_ value: Int, _ modulus: Int) -> Int {
        ((value % modulus) + modulus) % modulus
    }

    /// Howard Hinnant's days-to-civil: no Calendar, so formatting is the same on every platform and locale.
    static func civilDate(daysSinceEpoch: Int) -> (Int, Int, Int) {
        let z = daysSinceEpoch + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let day = doy - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        return (yoe + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }
}

/// One booking of a room, as `get_booking_info` lists it and `bookinfo/get` returns it.
public struct Booking: Sendable, Hashable, Codable {
    public var bookingID: String
    public var scheduleID: String?
    public var startTime: Int
    public var endTime: Int
    /// The booker's userid.
    public var booker: String
    public var status: Int

    public init(bookingID: String, scheduleID: String? = nil, startTime: Int, endTime: Int, booker: String, status: Int) {
        self.bookingID = bookingID
        self.scheduleID = scheduleID
        self.startTime = startTime
        self.endTime = endTime
        self.booker = booker
        self.status = status
    }

    enum CodingKeys: String, CodingKey {
        case bookingID = "booking_id"
        case scheduleID = "schedule_id"
        case startTime = "start_time"
        case endTime = "end_time"
        case booker, status
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: FlexibleKey.self)
        bookingID = try container.bookingID()
        scheduleID = try container.flexibleString(.scheduleID)
        startTime = try container.requiredInt(.startTime)
        endTime = try container.requiredInt(.endTime)
        booker = try container.decodeIfPresent(String.self, forKey: FlexibleKey("booker")) ?? ""
        status = try container.flexibleInt(FlexibleKey("status")) ?? BookingStatus.booked
    }

    /// Whether the booking still holds its room (booked, being applied for or awaiting approval).
    public var holdsTheRoom: Bool { BookingStatus.holdsTheRoom(status) }
}

/// One room's bookings in the window asked for.
public struct RoomBookings: Sendable, Hashable, Codable {
    public var meetingroomID: Int
    public var schedule: [Booking]

    public init(meetingroomID: Int, schedule: [Booking]) {
        self.meetingroomID = meetingroomID
        self.schedule = schedule
    }

    enum CodingKeys: String, CodingKey {
        case meetingroomID = "meetingroom_id"
        case schedule
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: FlexibleKey.self)
        meetingroomID = try container.requiredInt(FlexibleKey("meetingroom_id"))
        schedule = try container.decodeIfPresent([Booking].self, forKey: FlexibleKey("schedule")) ?? []
    }
}

/// The body of `oa/meetingroom/get_booking_info`. Without `meetingroomID` it asks for every room (of the location
/// filters, which are hierarchical as for `list`); without times, from now to the end of today. A query may not
/// cross a day (China Standard Time).
public struct BookingInfoRequest: Sendable, Hashable, Codable {
    public var meetingroomID: Int?
    public var startTime: Int?
    public var endTime: Int?
    public var city: String?
    public var building: String?
    public var floor: String?

    public init(
        meetingroomID: Int? = nil, startTime: Int? = nil, endTime: Int? = nil, city: String? = nil,
        building: String? = nil, floor: String? = nil
    ) {
        self.meetingroomID = meetingroomID
        self.startTime = startTime
        self.endTime = endTime
        self.city = city
        self.building = building
        self.floor = floor
    }

    /// The whole of one China Standard Time day, the day holding `time`: one call covers the corp's day.
    public static func day(containing time: Int) -> BookingInfoRequest {
        let start = ChinaStandardTime.startOfDay(containing: time)
        return BookingInfoRequest(startTime: start, endTime: start + 86_400)
    }

    enum CodingKeys: String, CodingKey {
        case meetingroomID = "meetingroom_id"
        case startTime = "start_time"
        case endTime = "end_time"
        case city, building, floor
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: FlexibleKey.self)
        meetingroomID = try container.flexibleInt(FlexibleKey("meetingroom_id"))
        startTime = try container.flexibleInt(.startTime)
        endTime = try container.flexibleInt(.endTime)
        city = try container.decodeIfPresent(String.self, forKey: FlexibleKey("city"))
        building = try container.decodeIfPresent(String.self, forKey: FlexibleKey("building"))
        floor = try container.decodeIfPresent(String.self, forKey: FlexibleKey("floor"))
    }
}

/// The body of `oa/meetingroom/book`. WeCom widens the times to 30-minute slots, at least one.
public struct BookMeetingRoomRequest: Sendable, Hashable, Codable {
    public var meetingroomID: Int
    public var startTime: Int
    public var endTime: Int
    public var booker: String
    public var subject: String?
    public var attendees: [String]?

    public init(
        meetingroomID: Int, startTime: Int, endTime: Int, booker: String, subject: String? = nil,
        attendees: [String]? = nil
    ) {
        self.meetingroomID = meetingroomID
        self.startTime = startTime
        self.endTime = endTime
        self.booker = booker
        self.subject = subject
        self.attendees = attendees
    }

    enum CodingKeys: String, CodingKey {
        case meetingroomID = "meetingroom_id"
        case startTime = "start_time"
        case endTime = "end_time"
        case booker, subject, attendees
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: FlexibleKey.self)
        meetingroomID = try container.requiredInt(FlexibleKey("meetingroom_id"))
        startTime = try container.requiredInt(.startTime)
        endTime = try container.requiredInt(.endTime)
        booker = try container.decode(String.self, forKey: FlexibleKey("booker"))
        subject = try container.decodeIfPresent(String.self, forKey: FlexibleKey("subject"))
        attendees = try container.decodeIfPresent([String].self, forKey: FlexibleKey("attendees"))
    }
}

/// What `oa/meetingroom/book` answers.
public struct BookMeetingRoomResult: Sendable, Hashable, Codable {
    public var bookingID: String
    public var scheduleID: String?

    public init(bookingID: String, scheduleID: String? = nil) {
        self.bookingID = bookingID
        self.scheduleID = scheduleID
    }

    enum CodingKeys: String, CodingKey {
        case bookingID = "booking_id"
        case scheduleID = "schedule_id"
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: FlexibleKey.self)
        bookingID = try container.bookingID()
        scheduleID = try container.flexibleString(.scheduleID)
    }
}

/// The body of `oa/meetingroom/cancel_book`. `keepSchedule` 1 keeps the calendar event; `cancelDate` (a time in
/// the day to cancel) is for recurring bookings.
public struct CancelBookingRequest: Sendable, Hashable, Codable {
    public var bookingID: String
    public var keepSchedule: Int?
    public var cancelDate: Int?

    public init(bookingID: String, keepSchedule: Int? = nil, cancelDate: Int? = nil) {
        self.bookingID = bookingID
        self.keepSchedule = keepSchedule
        self.cancelDate = cancelDate
    }

    enum CodingKeys: String, CodingKey {
        case bookingID = "booking_id"
        case keepSchedule = "keep_schedule"
        case cancelDate = "cancel_date"
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: FlexibleKey.self)
        bookingID = try container.bookingID()
        if let flag = try? container.decodeIfPresent(Bool.self, forKey: FlexibleKey("keep_schedule")) {
            keepSchedule = flag ? 1 : 0
        } else {
            keepSchedule = try container.flexibleInt(FlexibleKey("keep_schedule"))
        }
        cancelDate = try container.flexibleInt(FlexibleKey("cancel_date"))
    }
}

/// The body of `oa/meetingroom/bookinfo/get`: one booking of one room.
public struct BookingByIDRequest: Sendable, Hashable, Codable {
    public var meetingroomID: Int
    public var bookingID: String

    public init(meetingroomID: Int, bookingID: String) {
        self.meetingroomID = meetingroomID
        self.bookingID = bookingID
    }

    enum CodingKeys: String, CodingKey {
        case meetingroomID = "meetingroom_id"
        case bookingID = "booking_id"
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: FlexibleKey.self)
        meetingroomID = try container.requiredInt(FlexibleKey("meetingroom_id"))
        bookingID = try container.bookingID()
    }
}

/// Any key: the booking bodies are read by name, with the names WeCom used over time.
struct FlexibleKey: CodingKey {
    var stringValue: String
    var intValue: Int? { nil }

    init(_ name: String) { stringValue = name }
    init?(stringValue: String) { self.stringValue = stringValue }
    init?(intValue: Int) { nil }

    static let startTime = FlexibleKey("start_time")
    static let endTime = FlexibleKey("end_time")
    static let scheduleID = FlexibleKey("schedule_id")
}

extension KeyedDecodingContainer where Key == FlexibleKey {
    /// A number, or a string of digits (some SDKs send ids and times as strings).
    func flexibleInt(_ key: FlexibleKey) throws -> Int? {
        guard contains(key), try !decodeNil(forKey: key) else { return nil }
        if let number = try? decode(Int.self, forKey: key) { return number }
        if let text = try? decode(String.self, forKey: key), let number = Int(text) { return number }
        throw DecodingError.typeMismatch(
            Int.self, .init(codingPath: codingPath + [key], debugDescription: "expected an integer"))
    }

    func requiredInt(_ key: FlexibleKey) throws -> Int {
        guard let value = try flexibleInt(key) else {
            throw DecodingError.keyNotFound(key, .init(codingPath: codingPath, debugDescription: "missing"))
        }
        return value
    }

    /// A string, or a number written for one.
    func flexibleString(_ key: FlexibleKey) throws -> String? {
        guard contains(key), try !decodeNil(forKey: key) else { return nil }
        if let text = try? decode(String.self, forKey: key) { return text }
        if let number = try? decode(Int.self, forKey: key) { return String(number) }
        throw DecodingError.typeMismatch(
            String.self, .init(codingPath: codingPath + [key], debugDescription: "expected a string"))
    }

    /// `booking_id`, or `meeting_id` as WeCom's first documents named it.
    func bookingID() throws -> String {
        if let id = try flexibleString(FlexibleKey("booking_id")) { return id }
        if let id = try flexibleString(FlexibleKey("meeting_id")) { return id }
        throw DecodingError.keyNotFound(FlexibleKey("booking_id"), .init(codingPath: codingPath, debugDescription: "missing"))
    }
}
