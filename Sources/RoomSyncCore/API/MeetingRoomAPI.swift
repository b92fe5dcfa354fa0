/// The seam between the engine and whatever serves meeting rooms: real WeCom (`WeComClient`), the sandbox served
/// over HTTP (also through `WeComClient`), or the sandbox embedded in process (`EmbeddedSandbox`). The engine and
/// its tests run unchanged against any of them.
///
/// Implementations handle tokens, retries and rate limits themselves; what they throw is final for the call,
/// and is a `MeetingRoomAPIError`.
public protocol MeetingRoomAPI: Sendable {
    /// A short description of where calls go, for messages and for binding the state file to its target
    /// (for example `https://qyapi.weixin.qq.com` or `sandbox:.roomsync/sandbox.json`).
    var targetDescription: String { get }

    /// `oa/meetingroom/add`; returns the new `meetingroom_id`. When the response is lost after the request was
    /// sent, throws an error whose `isOutcomeUnknown` is true: the room may or may not exist, so the caller must
    /// list before adding again.
    func addMeetingRoom(_ request: AddMeetingRoomRequest) async throws -> Int

    /// `oa/meetingroom/list`.
    func listMeetingRooms(_ request: ListMeetingRoomsRequest) async throws -> [MeetingRoom]

    /// `oa/meetingroom/edit`.
    func editMeetingRoom(_ request: EditMeetingRoomRequest) async throws

    /// `oa/meetingroom/del`.
    func deleteMeetingRoom(_ request: DeleteMeetingRoomRequest) async throws

    /// How many calls this API takes in flight right now, when it finds that out itself (the WeCom client's
    /// adaptive limit); `nil` when any number up to the caller's cap will do. Apply offers about this many
    /// operations, so that its first failure stops the rest before they are sent, not after they queued.
    func callsInFlightLimit() async -> Int?
}

extension MeetingRoomAPI {
    public func callsInFlightLimit() async -> Int? { nil }
}

/// WeCom's booking API, beside the room API and under the same permission (SPEC section 10). A sibling of
/// `MeetingRoomAPI` so that a fake of the room calls need not fake bookings; the WeCom client and both sandboxes
/// implement it, with the same retries, limits and errors as the room calls.
public protocol MeetingRoomBookingAPI: Sendable {
    /// `oa/meetingroom/get_booking_info`: the bookings of the rooms asked for (all when no id) in one day at most.
    func bookingInfo(_ request: BookingInfoRequest) async throws -> [RoomBookings]

    /// `oa/meetingroom/book`. A lost answer is `isOutcomeUnknown`: the booking may exist.
    func bookMeetingRoom(_ request: BookMeetingRoomRequest) async throws -> BookMeetingRoomResult

    /// `oa/meetingroom/cancel_book`.
    func cancelBooking(_ request: CancelBookingRequest) async throws

    /// `oa/meetingroom/bookinfo/get`: one booking of one room.
    func booking(_ request: BookingByIDRequest) async throws -> Booking
}
