import Foundation
import RoomSyncCore
import RoomSyncEngine
import RoomSyncSandbox
import RoomSyncTestSupport
import Testing

/// Issue 26: deleting a room cancels its bookings, so no apply does it by surprise. Through the built binary
/// against a served sandbox: plan says what a delete would cancel, apply refuses a booked delete before changing
/// anything unless --allow-booked-delete, a saved plan is refused once its room is booked since, and a booking check
/// that cannot be made (48002) counts the room as booked.
@Suite struct BookingGuardEndToEndTests {
    static let both = "version: 1\ndefaults: {city: 深圳, building: 腾讯大厦}\n"
        + "rooms:\n  keep: {name: Keep, capacity: 4, floor: 3F}\n  gone: {name: Gone, capacity: 6, floor: 4F}\n"
    static let keepOnly = "version: 1\ndefaults: {city: 深圳, building: 腾讯大厦}\n"
        + "rooms:\n  keep: {name: Keep, capacity: 4, floor: 3F}\n"

    /// Tomorrow 10:00 +08:00 plus `hours`: inside the default 14-day horizon whenever the test runs.
    static func tomorrow(_ hours: Int) -> Int {
        let now = Int(Date().timeIntervalSince1970)
        return ChinaStandardTime.startOfDay(containing: now) + 86_400 + (10 + hours) * 3600
    }

    /// Both rooms applied; returns the id of `gone`.
    func applied(_ ws: Workspace) async throws -> Int {
        try ws.write(Self.both)
        let apply = try await ws.roomsync("apply", "--auto-approve")
        #expect(apply.status == 0, "\(apply)")
        return try #require(try ws.state().rooms["gone"]?.meetingroomID)
    }

    func book(_ ws: Workspace, _ id: Int, at hours: Int, by booker: String) async throws -> String {
        try await ws.sandbox.store.book(
            BookMeetingRoomRequest(
                meetingroomID: id, startTime: Self.tomorrow(hours), endTime: Self.tomorrow(hours + 1), booker: booker,
                subject: "private subject")
        ).bookingID
    }

    @Test func aBookedDeleteIsRefusedWithNothingDeletedThenAppliedWhenAllowed() async throws {
        try await withWorkspace { ws in
            let gone = try await applied(ws)
            // A plan without deletes asks for no booking at all.
            #expect(try await ws.roomsync("plan").status == 0)
            #expect(await ws.sandbox.store.callCount("get_booking_info") == 0)

            let booking = try await book(ws, gone, at: 0, by: "zhangsan")
            try ws.write(Self.keepOnly)
            let next = ChinaStandardTime.format(Self.tomorrow(0))
            let plan = try await ws.roomsync("plan")
            #expect(plan.status == 0, "\(plan)")
            #expect(plan.stdout.contains(
                "- gone (meetingroom_id \(gone)) will be deleted: 1 booking in the next 14 days (next \(next)–11:00 +08:00, zhangsan)\n"),
                "\(plan)")
            #expect(plan.stdout.contains("warning: the plan deletes 1 booked room(s)"), "\(plan)")
            #expect(plan.stdout.contains("1 to delete, 0 to adopt. 1 booking would be cancelled.\n"), "\(plan)")
            #expect(!plan.stdout.contains("private subject"), "\(plan)")
            // One call per day of the horizon for the corp: 15 days touched by the next 14.
            #expect(await ws.sandbox.store.callCount("get_booking_info") == 15)

            let json = try await ws.roomsync("plan", "--format", "json")
            #expect(json.stdout.contains("\"id\" : \"\(booking)\""), "\(json)")
            #expect(!json.stdout.contains("private subject"), "\(json)")

            let refused = try await ws.roomsync("apply", "--auto-approve")
            #expect(refused.status == 1, "\(refused)")
            #expect(refused.stderr.contains("error: the plan deletes 1 booked room(s), which would cancel 1 booking(s): 'gone' (meetingroom_id \(gone))"), "\(refused)")
            #expect(refused.stderr.contains("--allow-booked-delete"), "\(refused)")
            #expect(await ws.sandbox.store.callCount("del") == 0)
            #expect(try await ws.liveRooms().contains { $0.meetingroomID == gone })
            #expect(try ws.state().rooms["gone"] != nil)

            let allowed = try await ws.roomsync("apply", "--auto-approve", "--allow-booked-delete")
            #expect(allowed.status == 0, "\(allowed)")
            #expect(try await !ws.liveRooms().contains { $0.meetingroomID == gone })
            #expect(try await ws.sandbox.store.booking(.init(meetingroomID: gone, bookingID: booking)).status == BookingStatus.cancelled)
        }
    }

    @Test func aHorizonOfZeroSkipsTheCheckAndSaysSo() async throws {
        try await withWorkspace { ws in
            let gone = try await applied(ws)
            _ = try await book(ws, gone, at: 0, by: "zhangsan")
            try ws.write(Self.keepOnly)
            let apply = try await ws.roomsync("apply", "--auto-approve", "--booking-horizon", "0")
            #expect(apply.status == 0, "\(apply)")
            #expect(apply.stderr.contains("note: --booking-horizon 0: the bookings of the 1 room(s) to delete were not checked"), "\(apply)")
            #expect(await ws.sandbox.store.callCount("get_booking_info") == 0)
        }
    }

    @Test func aSavedPlanIsRefusedAfterANewBooking() async throws {
        try await withWorkspace { ws in
            let gone = try await applied(ws)
            _ = try await book(ws, gone, at: 0, by: "zhangsan")
            try ws.write(Self.keepOnly)
            let saved = try await ws.roomsync("plan", "--out", "plan.json")
            #expect(saved.status == 0, "\(saved)")
            _ = try await book(ws, gone, at: 3, by: "lisi")

            // Even allowed, a delete whose room was booked after the review is refused: the reviewer never saw it.
            let refused = try await ws.roomsync("apply", "--plan", "plan.json", "--allow-booked-delete")
            #expect(refused.status == 1, "\(refused)")
            #expect(refused.stderr.contains(
                "error: the plan plan.json is stale: 'gone' (meetingroom_id \(gone)) was booked since the plan was made (1 new, next "),
                "\(refused)")
            #expect(refused.stderr.contains(", lisi)"), "\(refused)")
            #expect(await ws.sandbox.store.callCount("del") == 0)

            // Planned again, reviewed with both bookings, and allowed: applied.
            #expect(try await ws.roomsync("plan", "--out", "plan.json").status == 0)
            let applied = try await ws.roomsync("apply", "--plan", "plan.json", "--allow-booked-delete")
            #expect(applied.status == 0, "\(applied)")
            #expect(try await !ws.liveRooms().contains { $0.meetingroomID == gone })
        }
    }

    @Test func aBookingCheckThatIsForbiddenCountsTheRoomAsBooked() async throws {
        var options = SandboxServer.Options()
        options.forbiddenAPIs = ["get_booking_info"]
        try await withWorkspace(options) { ws in
            let gone = try await applied(ws)
            try ws.write(Self.keepOnly)
            let plan = try await ws.roomsync("plan")
            #expect(plan.status == 0, "\(plan)")
            #expect(plan.stdout.contains("will be deleted: its bookings are unknown: the bookings could not be checked"), "\(plan)")

            let refused = try await ws.roomsync("apply", "--auto-approve")
            #expect(refused.status == 1, "\(refused)")
            #expect(refused.stderr.contains("whose bookings could not be checked, so they count as booked"), "\(refused)")
            #expect(refused.stderr.contains("48002"), "\(refused)")
            #expect(await ws.sandbox.store.callCount("del") == 0)
            #expect(try await ws.liveRooms().contains { $0.meetingroomID == gone })

            let allowed = try await ws.roomsync("apply", "--auto-approve", "--allow-booked-delete")
            #expect(allowed.status == 0, "\(allowed)")
            #expect(try await !ws.liveRooms().contains { $0.meetingroomID == gone })
        }
    }
}
