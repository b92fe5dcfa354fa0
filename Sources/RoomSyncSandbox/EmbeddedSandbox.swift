import Foundation
import RoomSyncCore

/// The sandbox in process: the same `SandboxStore` the server uses, called directly, with no HTTP and no token.
/// What `--sandbox` and commands without credentials talk to.
public final class EmbeddedSandbox: MeetingRoomAPI, MeetingRoomBookingAPI {
    /// The store, for tests that edit rooms out of band or read the call counters.
    public let store: SandboxStore
    private let showRange: Bool
    public let targetDescription: String

    /// Loads `dataFile` if it exists (a corrupt file throws a `RoomSyncError` naming it); `nil` or `:memory:`
    /// keeps nothing. Parent directories are created on the first write.
    public init(dataFile: String?, showRange: Bool = false) throws {
        store = try SandboxStore(dataFile: dataFile)
        self.showRange = showRange
        targetDescription = "sandbox:\(dataFile ?? ":memory:")"
    }

    public func addMeetingRoom(_ request: AddMeetingRoomRequest) async throws -> Int {
        try await call("add") { try await $0.add(request) }
    }

    public func listMeetingRooms(_ request: ListMeetingRoomsRequest) async throws -> [MeetingRoom] {
        try await call("list") { [showRange] in try await $0.list(request, showRange: showRange) }
    }

    public func editMeetingRoom(_ request: EditMeetingRoomRequest) async throws {
        try await call("edit") { try await $0.edit(request) }
    }

    public func deleteMeetingRoom(_ request: DeleteMeetingRoomRequest) async throws {
        try await call("del") { try await $0.delete(request) }
    }

    public func bookingInfo(_ request: BookingInfoRequest) async throws -> [RoomBookings] {
        try await call("get_booking_info") { try await $0.bookingInfo(request) }
    }

    public func bookMeetingRoom(_ request: BookMeetingRoomRequest) async throws -> BookMeetingRoomResult {
        try await call("book") { try await $0.book(request) }
    }

    public func cancelBooking(_ request: CancelBookingRequest) async throws {
        try await call("cancel_book") { try await $0.cancelBooking(request) }
    }

    public func booking(_ request: BookingByIDRequest) async throws -> Booking {
        try await call("bookinfo/get") { try await $0.booking(request) }
    }

    /// Counts the call and turns the store's WeCom-style errors into the `MeetingRoomAPIError` every
    /// `MeetingRoomAPI` throws.
    private func call<T: Sendable>(
        _ api: String, _ body: @Sendable (SandboxStore) async throws -> T
    ) async throws -> T {
        await store.recordCall(api)
        do {
            return try await body(store)
        } catch let error as SandboxStore.SandboxError {
            throw MeetingRoomAPIError.wecom(
                errcode: error.errcode, errmsg: error.errmsg, operation: "oa/meetingroom/\(api)"
            )
        }
    }
}
