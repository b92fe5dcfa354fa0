import Foundation
import RoomSyncCore
import RoomSyncSandbox
import RoomSyncTestSupport
import Testing

@testable import RoomSyncEngine

/// What a plan's deletes would cancel (SPEC section 10): one get_booking_info per day for the corp, only when the
/// plan deletes rooms; cancelled bookings and bookings outside the horizon not counted; a failed check counts the
/// rooms as booked; the three output formats as golden files.
@Suite struct BookingCheckTests {
    /// 2026-12-08 00:00 +08:00.
    static let day = 1_796_659_200

    static func at(_ hours: Double, day offset: Int = 0) -> Int {
        day + offset * 86_400 + Int(hours * 3600)
    }

    /// 09:00 on the first day.
    static let now = Date(timeIntervalSince1970: TimeInterval(at(9)))

    /// Three rooms in the sandbox, all managed; the plan deletes `deleting` of them.
    func sandboxAndPlan(deleting: [String]) async throws -> (EmbeddedSandbox, Plan) {
        let sandbox = try EmbeddedSandbox(dataFile: nil)
        var live: [MeetingRoom] = []
        for key in ["a", "b", "c"] {
            let id = try await sandbox.addMeetingRoom(.init(name: "\(key)-room", capacity: 10))
            live.append(Fixture.live(id, name: "\(key)-room", location: nil))
        }
        let state = Fixture.state(zip(["a", "b", "c"], live).map { ($0, $1) })
        let desired = ["a", "b", "c"].filter { !deleting.contains($0) }.map { Fixture.desired($0, location: nil) }
        return (sandbox, try Planner.plan(desired: desired, live: live, state: state))
    }

    @Test func aPlanWithoutDeletesMakesNoCall() async throws {
        let (sandbox, plan) = try await sandboxAndPlan(deleting: [])
        #expect(await BookingCheck.run(for: plan, api: sandbox, horizonDays: 14, now: Self.now) == nil)
        #expect(await sandbox.store.callCount("get_booking_info") == 0)
    }

    @Test func aHorizonOfZeroSkipsTheCheck() async throws {
        let (sandbox, plan) = try await sandboxAndPlan(deleting: ["a"])
        #expect(await BookingCheck.run(for: plan, api: sandbox, horizonDays: 0, now: Self.now) == nil)
        #expect(await sandbox.store.callCount("get_booking_info") == 0)
    }

    @Test func oneCallPerDayForTheCorpNeverPerRoom() async throws {
        let (sandbox, plan) = try await sandboxAndPlan(deleting: ["a", "b"])
        let check = try #require(await BookingCheck.run(for: plan, api: sandbox, horizonDays: 14, now: Self.now))
        // From 09:00 today to 09:00 in 14 days: 15 days touched, one call each, whatever the number of rooms.
        #expect(await sandbox.store.callCount("get_booking_info") == 15)
        #expect(check.rooms.isEmpty && check.failure == nil && check.cancelledCount == 0)
        #expect(check.refusal(for: plan) == nil)
    }

    @Test func countsWhatHoldsTheRoomInTheHorizonOnly() async throws {
        let (sandbox, plan) = try await sandboxAndPlan(deleting: ["a"])
        let book = { (room: Int, start: Int, end: Int, booker: String) in
            try await sandbox.bookMeetingRoom(.init(meetingroomID: room, startTime: start, endTime: end, booker: booker))
        }
        _ = try await book(1, Self.at(10, day: 1), Self.at(11, day: 1), "zhangsan")
        _ = try await book(1, Self.at(15), Self.at(16), "lisi")
        let cancelled = try await book(1, Self.at(17), Self.at(18), "wangwu")
        try await sandbox.cancelBooking(.init(bookingID: cancelled.bookingID))
        _ = try await book(1, Self.at(7), Self.at(8), "earlier today")
        _ = try await book(1, Self.at(10, day: 15), Self.at(11, day: 15), "beyond the horizon")
        _ = try await book(2, Self.at(10), Self.at(11), "a room kept")
        // Across midnight: listed by both days, counted once.
        _ = try await book(1, Self.at(23.5, day: 2), Self.at(24.5, day: 2), "late")

        let check = try #require(await BookingCheck.run(for: plan, api: sandbox, horizonDays: 14, now: Self.now))
        #expect(check.bookings(of: 1).map(\.booker) == ["lisi", "zhangsan", "late"])
        #expect(check.bookings(of: 2).isEmpty)
        #expect(check.cancelledCount == 3)
        #expect(check.note(for: 1) == "3 bookings in the next 14 days (next 2026-12-08 15:00–16:00 +08:00, lisi)")
        let refusal = try #require(check.refusal(for: plan))
        #expect(refusal.contains("'a' (meetingroom_id 1): 3 bookings in the next 14 days"))
        #expect(refusal.contains("--allow-booked-delete"))
    }

    @Test func aCheckThatCannotBeMadeCountsEveryDeleteAsBooked() async throws {
        let (_, plan) = try await sandboxAndPlan(deleting: ["a"])
        let check = try #require(await BookingCheck.run(for: plan, api: ForbiddenBookings(), horizonDays: 14, now: Self.now))
        #expect(check.isBooked(1))
        let refusal = try #require(check.refusal(for: plan))
        #expect(refusal.contains("could not be checked") && refusal.contains("48002"))
        #expect(refusal.contains("--allow-booked-delete") && refusal.contains("--booking-horizon 0"))
    }

    @Test func aBookingMadeSinceASavedPlanIsNamed() async throws {
        let (sandbox, plan) = try await sandboxAndPlan(deleting: ["a"])
        _ = try await sandbox.bookMeetingRoom(.init(meetingroomID: 1, startTime: Self.at(10), endTime: Self.at(11), booker: "x"))
        let saved = try #require(await BookingCheck.run(for: plan, api: sandbox, horizonDays: 14, now: Self.now))
        #expect(saved.bookedSince(saved, in: plan).isEmpty)
        _ = try await sandbox.bookMeetingRoom(.init(meetingroomID: 1, startTime: Self.at(12), endTime: Self.at(13), booker: "y"))
        let now = try #require(await BookingCheck.run(for: plan, api: sandbox, horizonDays: 14, now: Self.now))
        #expect(now.bookedSince(saved, in: plan) == [
            "'a' (meetingroom_id 1) was booked since the plan was made (1 new, next 2026-12-08 12:00–13:00 +08:00, y)",
        ])
    }

    // MARK: Output

    /// RenderTests' sample plan with the bookings of its delete (`removed`, meetingroom_id 2) and the warning plan
    /// adds; the subject of a booking is never part of the check, so never printed.
    static func bookedPlan() throws -> Plan {
        var plan = try RenderTests.samplePlan()
        plan.bookings = BookingCheck(
            horizonDays: 14, from: at(9), until: at(9, day: 14),
            rooms: [.init(meetingroomID: 2, bookings: [
                Booking(bookingID: "bk-1", scheduleID: "sch-1", startTime: at(10, day: 1), endTime: at(11, day: 1),
                        booker: "zhangsan", status: 0),
                Booking(bookingID: "bk-2", startTime: at(14, day: 3), endTime: at(15.5, day: 3), booker: "lisi", status: 3),
            ])],
            failure: nil)
        plan.warnings.append(LocalizedText(verbatim: plan.bookings!.refusal(for: plan)!))
        return plan
    }

    @Test(arguments: OutputFormat.allCases)
    func planWithBookingsGolden(format: OutputFormat) throws {
        let output = PlanRenderer.render(try Self.bookedPlan(), format: format)
        let mismatch = goldenMismatch(output, named: "plan-bookings.\(format.rawValue)")
        #expect(mismatch == nil, "\(mismatch ?? "")")
    }

    @Test func aPlanWithoutBookingsPrintsAsBefore() throws {
        var plan = try RenderTests.samplePlan()
        plan.bookings = BookingCheck(horizonDays: 14, from: Self.at(9), until: Self.at(9, day: 14), rooms: [], failure: nil)
        #expect(PlanRenderer.render(plan, format: .text) == PlanRenderer.render(try RenderTests.samplePlan(), format: .text))
        #expect(PlanRenderer.render(plan, format: .markdown) == PlanRenderer.render(try RenderTests.samplePlan(), format: .markdown))
    }
}

/// An app not allowed to call get_booking_info: WeCom answers 48002.
struct ForbiddenBookings: MeetingRoomAPI, MeetingRoomBookingAPI {
    var targetDescription: String { "forbidden" }
    func fail() -> MeetingRoomAPIError {
        .wecom(errcode: WeComErrcode.apiForbidden, errmsg: "api forbidden", operation: "oa/meetingroom/get_booking_info")
    }
    func addMeetingRoom(_ request: AddMeetingRoomRequest) async throws -> Int { throw fail() }
    func listMeetingRooms(_ request: ListMeetingRoomsRequest) async throws -> [MeetingRoom] { throw fail() }
    func editMeetingRoom(_ request: EditMeetingRoomRequest) async throws { throw fail() }
    func deleteMeetingRoom(_ request: DeleteMeetingRoomRequest) async throws { throw fail() }
    func bookingInfo(_ request: BookingInfoRequest) async throws -> [RoomBookings] { throw fail() }
    func bookMeetingRoom(_ request: BookMeetingRoomRequest) async throws -> BookMeetingRoomResult { throw fail() }
    func cancelBooking(_ request: CancelBookingRequest) async throws { throw fail() }
    func booking(_ request: BookingByIDRequest) async throws -> Booking { throw fail() }
}
