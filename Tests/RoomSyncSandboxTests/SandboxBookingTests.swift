import Foundation
import RoomSyncCore
import RoomSyncSandbox
import RoomSyncTestSupport
import Testing
import WeComAPI

/// The booking API's rules in the sandbox (SPEC section 10), through the embedded sandbox, then on the wire through
/// the WeCom client and raw bodies in both shapes SDKs send.
@Suite struct SandboxBookingTests {
    /// 2026-12-08 00:00 +08:00.
    static let day = 1_796_659_200
    static let hour = 3600

    func at(_ hours: Double, day offset: Int = 0) -> Int {
        Self.day + offset * 86_400 + Int(hours * Double(Self.hour))
    }

    func sandboxWithRooms(_ count: Int = 2) async throws -> EmbeddedSandbox {
        let sandbox = try EmbeddedSandbox(dataFile: nil)
        for index in 1...count {
            _ = try await sandbox.addMeetingRoom(
                AddMeetingRoomRequest(name: "R\(index)", capacity: 4, city: "深圳", building: "腾讯大厦", floor: "\(index)F"))
        }
        return sandbox
    }

    func errcodeAndMessage(_ body: () async throws -> Void) async -> (Int?, String) {
        do {
            try await body()
            return (nil, "")
        } catch let error as MeetingRoomAPIError {
            return (error.errcode, error.message)
        } catch {
            return (nil, "\(error)")
        }
    }

    @Test func bookingsAreWidenedToHalfHourSlotsOfAtLeastThirtyMinutes() async throws {
        let sandbox = try await sandboxWithRooms(1)
        // 10:10–10:20 becomes 10:00–10:30; 11:00–11:45 becomes 11:00–12:00.
        let short = try await sandbox.bookMeetingRoom(
            .init(meetingroomID: 1, startTime: at(10 + 1 / 6), endTime: at(10 + 2 / 6), booker: "zhangsan"))
        let long = try await sandbox.bookMeetingRoom(
            .init(meetingroomID: 1, startTime: at(11), endTime: at(11.75), booker: "lisi"))
        #expect(short.bookingID != long.bookingID)
        let first = try await sandbox.booking(.init(meetingroomID: 1, bookingID: short.bookingID))
        #expect((first.startTime, first.endTime) == (at(10), at(10.5)))
        #expect(first.booker == "zhangsan" && first.status == BookingStatus.booked)
        let second = try await sandbox.booking(.init(meetingroomID: 1, bookingID: long.bookingID))
        #expect((second.startTime, second.endTime) == (at(11), at(12)))
    }

    @Test func aClashIsRefusedNamingTheBookingItClashesWith() async throws {
        let sandbox = try await sandboxWithRooms(2)
        let first = try await sandbox.bookMeetingRoom(
            .init(meetingroomID: 1, startTime: at(10), endTime: at(11), booker: "zhangsan", subject: "weekly"))
        let (errcode, message) = await errcodeAndMessage {
            _ = try await sandbox.bookMeetingRoom(.init(meetingroomID: 1, startTime: at(10.5), endTime: at(12), booker: "lisi"))
        }
        #expect(errcode == WeComErrcode.invalidParameter)
        #expect(message.contains("clashes with booking \(first.bookingID) of meeting room 1 (2026-12-08 10:00–11:00 +08:00)"))
        // Back to back is no clash, nor is the same time in another room.
        _ = try await sandbox.bookMeetingRoom(.init(meetingroomID: 1, startTime: at(11), endTime: at(12), booker: "lisi"))
        _ = try await sandbox.bookMeetingRoom(.init(meetingroomID: 2, startTime: at(10), endTime: at(11), booker: "lisi"))
        // A widened request clashes too: 9:45–10:00 is the slot 9:30–10:00, free; 9:45–10:05 reaches into 10:00.
        _ = try await sandbox.bookMeetingRoom(.init(meetingroomID: 1, startTime: at(9.75), endTime: at(10), booker: "w"))
        let (widened, _) = await errcodeAndMessage {
            _ = try await sandbox.bookMeetingRoom(.init(meetingroomID: 2, startTime: at(9.75), endTime: at(10.05), booker: "w"))
        }
        #expect(widened == WeComErrcode.invalidParameter)
    }

    @Test func aCancelledBookingFreesItsSlotAndIsListedAsCancelled() async throws {
        let sandbox = try await sandboxWithRooms(1)
        let booked = try await sandbox.bookMeetingRoom(
            .init(meetingroomID: 1, startTime: at(10), endTime: at(11), booker: "zhangsan"))
        try await sandbox.cancelBooking(.init(bookingID: booked.bookingID, keepSchedule: 1))
        let listed = try await sandbox.bookingInfo(.init(startTime: at(0), endTime: at(24)))
        #expect(listed.first?.schedule.map(\.status) == [BookingStatus.cancelled])
        #expect(listed.first?.schedule.allSatisfy { !$0.holdsTheRoom } == true)
        // The slot is free again, and a second cancel is refused.
        _ = try await sandbox.bookMeetingRoom(.init(meetingroomID: 1, startTime: at(10), endTime: at(11), booker: "lisi"))
        let (again, _) = await errcodeAndMessage { try await sandbox.cancelBooking(.init(bookingID: booked.bookingID)) }
        #expect(again == WeComErrcode.invalidParameter)
        let (unknown, message) = await errcodeAndMessage { try await sandbox.cancelBooking(.init(bookingID: "bk-99")) }
        #expect(unknown == WeComErrcode.invalidParameter && message.contains("no booking bk-99"))
    }

    @Test func cancelDateMustBeTheBookingsDay() async throws {
        let sandbox = try await sandboxWithRooms(1)
        let booked = try await sandbox.bookMeetingRoom(
            .init(meetingroomID: 1, startTime: at(10), endTime: at(11), booker: "zhangsan"))
        let (errcode, message) = await errcodeAndMessage {
            try await sandbox.cancelBooking(.init(bookingID: booked.bookingID, cancelDate: at(10, day: 1)))
        }
        #expect(errcode == WeComErrcode.invalidParameter && message.contains("cancel_date"))
        try await sandbox.cancelBooking(.init(bookingID: booked.bookingID, cancelDate: at(0)))
        #expect(try await sandbox.booking(.init(meetingroomID: 1, bookingID: booked.bookingID)).status == 1)
    }

    @Test func aRoomNeedingApprovalCannotBeBookedThroughTheAPI() async throws {
        let sandbox = try await sandboxWithRooms(1)
        try await sandbox.store.setNeedApproval(1, meetingroomID: 1)
        let (errcode, message) = await errcodeAndMessage {
            _ = try await sandbox.bookMeetingRoom(.init(meetingroomID: 1, startTime: at(10), endTime: at(11), booker: "z"))
        }
        #expect(errcode == WeComErrcode.invalidParameter && message.contains("needs approval"))
        let (unknownRoom, _) = await errcodeAndMessage {
            _ = try await sandbox.bookMeetingRoom(.init(meetingroomID: 9, startTime: at(10), endTime: at(11), booker: "z"))
        }
        #expect(unknownRoom == WeComErrcode.invalidParameter)
    }

    @Test func aQueryAcrossDaysIsRefusedAndOneWholeDayIsAccepted() async throws {
        let sandbox = try await sandboxWithRooms(1)
        let (errcode, message) = await errcodeAndMessage {
            _ = try await sandbox.bookingInfo(.init(startTime: at(23), endTime: at(1, day: 1)))
        }
        #expect(errcode == WeComErrcode.invalidParameter && message.contains("may not cross a day"))
        // 00:00 to the next 00:00 (+08:00) is one day; so is the request built for a day.
        _ = try await sandbox.bookingInfo(.init(startTime: at(0), endTime: at(24)))
        #expect(BookingInfoRequest.day(containing: at(15)) == .init(startTime: at(0), endTime: at(24)))
        // A UTC midnight is 08:00 in China: the day is China's.
        #expect(BookingInfoRequest.day(containing: at(7.5)).startTime == at(0))
    }

    @Test func withoutTimesTheQueryRunsFromNowToTheEndOfToday() async throws {
        let sandbox = try await sandboxWithRooms(1)
        _ = try await sandbox.bookMeetingRoom(.init(meetingroomID: 1, startTime: at(9), endTime: at(10), booker: "a"))
        _ = try await sandbox.bookMeetingRoom(.init(meetingroomID: 1, startTime: at(15), endTime: at(16), booker: "b"))
        _ = try await sandbox.bookMeetingRoom(.init(meetingroomID: 1, startTime: at(9, day: 1), endTime: at(10, day: 1), booker: "c"))
        let now = Date(timeIntervalSince1970: TimeInterval(at(12)))
        let listed = try await sandbox.store.bookingInfo(.init(), now: now)
        #expect(listed.flatMap(\.schedule).map(\.booker) == ["b"])
    }

    @Test func everyRoomIsAnsweredWithoutAnIdAndLocationFiltersAreHierarchical() async throws {
        let sandbox = try await sandboxWithRooms(3)
        _ = try await sandbox.bookMeetingRoom(.init(meetingroomID: 2, startTime: at(9), endTime: at(10), booker: "a"))
        let all = try await sandbox.bookingInfo(.init(startTime: at(0), endTime: at(24)))
        #expect(all.map(\.meetingroomID) == [1, 2, 3])
        #expect(all.map(\.schedule.count) == [0, 1, 0])
        let one = try await sandbox.bookingInfo(.init(meetingroomID: 2, startTime: at(0), endTime: at(24)))
        #expect(one.map(\.meetingroomID) == [2])
        let floor = try await sandbox.bookingInfo(
            .init(startTime: at(0), endTime: at(24), city: "深圳", building: "腾讯大厦", floor: "3F"))
        #expect(floor.map(\.meetingroomID) == [3])
        let (errcode, message) = await errcodeAndMessage {
            _ = try await sandbox.bookingInfo(.init(startTime: at(0), endTime: at(24), building: "腾讯大厦"))
        }
        #expect(errcode == WeComErrcode.invalidParameter && message.contains("building needs city"))
        let (floorOnly, _) = await errcodeAndMessage {
            _ = try await sandbox.bookingInfo(.init(startTime: at(0), endTime: at(24), city: "深圳", floor: "3F"))
        }
        #expect(floorOnly == WeComErrcode.invalidParameter)
    }

    @Test func aBookingOutsideTheWindowIsNotListed() async throws {
        let sandbox = try await sandboxWithRooms(1)
        _ = try await sandbox.bookMeetingRoom(.init(meetingroomID: 1, startTime: at(9), endTime: at(10), booker: "a"))
        _ = try await sandbox.bookMeetingRoom(.init(meetingroomID: 1, startTime: at(14), endTime: at(15), booker: "b"))
        let morning = try await sandbox.bookingInfo(.init(startTime: at(0), endTime: at(10)))
        #expect(morning.flatMap(\.schedule).map(\.booker) == ["a"])
        let nextDay = try await sandbox.bookingInfo(.init(startTime: at(0, day: 1), endTime: at(24, day: 1)))
        #expect(nextDay.flatMap(\.schedule).isEmpty)
    }

    @Test func deletingARoomCancelsItsBookingsAndTheDataFileKeepsThem() async throws {
        try await withTemporaryDirectory { directory in
            let file = directory.appendingPathComponent("sandbox.json").path
            let sandbox = try EmbeddedSandbox(dataFile: file)
            for name in ["A", "B"] { _ = try await sandbox.addMeetingRoom(.init(name: name, capacity: 4)) }
            let doomed = try await sandbox.bookMeetingRoom(
                .init(meetingroomID: 1, startTime: at(9), endTime: at(10), booker: "a", subject: "plans", attendees: ["b"]))
            let kept = try await sandbox.bookMeetingRoom(.init(meetingroomID: 2, startTime: at(9), endTime: at(10), booker: "b"))
            try await sandbox.deleteMeetingRoom(.init(meetingroomID: 1))

            let restarted = try EmbeddedSandbox(dataFile: file)
            #expect(try await restarted.booking(.init(meetingroomID: 1, bookingID: doomed.bookingID)).status == 1)
            #expect(try await restarted.booking(.init(meetingroomID: 2, bookingID: kept.bookingID)).status == 0)
            // Booking ids are never reused across restarts.
            let next = try await restarted.bookMeetingRoom(.init(meetingroomID: 2, startTime: at(11), endTime: at(12), booker: "c"))
            #expect(![doomed.bookingID, kept.bookingID].contains(next.bookingID))
            // The subject is stored, as WeCom stores it, and never listed.
            let text = try String(contentsOfFile: file, encoding: .utf8)
            #expect(text.contains("\"subject\" : \"plans\""))
            let listed = try await restarted.bookingInfo(.init(startTime: at(0), endTime: at(24)))
            #expect(listed.map(\.meetingroomID) == [2])
        }
    }

    @Test func aDataFileWithoutBookingsIsWrittenAsBefore() async throws {
        try await withTemporaryDirectory { directory in
            let file = directory.appendingPathComponent("sandbox.json").path
            let sandbox = try EmbeddedSandbox(dataFile: file)
            _ = try await sandbox.addMeetingRoom(.init(name: "A", capacity: 4))
            let text = try String(contentsOfFile: file, encoding: .utf8)
            #expect(!text.contains("booking"))
        }
    }

    // MARK: On the wire

    @Test func theClientBooksListsAndCancelsThroughTheServedSandbox() async throws {
        try await withServedSandbox { sandbox in
            try await withWeComClient(sandbox.clientConfiguration()) { client in
                let id = try await client.addMeetingRoom(.init(name: "A", capacity: 4))
                let booked = try await client.bookMeetingRoom(
                    .init(meetingroomID: id, startTime: at(10), endTime: at(11), booker: "zhangsan", subject: "s"))
                let listed = try await client.bookingInfo(.day(containing: at(10)))
                #expect(listed == [RoomBookings(meetingroomID: id, schedule: [
                    Booking(bookingID: booked.bookingID, scheduleID: booked.scheduleID, startTime: at(10),
                            endTime: at(11), booker: "zhangsan", status: 0),
                ])])
                let one = try await client.booking(.init(meetingroomID: id, bookingID: booked.bookingID))
                #expect(one.bookingID == booked.bookingID)
                await #expect(throws: MeetingRoomAPIError.self) {
                    _ = try await client.bookMeetingRoom(
                        .init(meetingroomID: id, startTime: at(10), endTime: at(11), booker: "lisi"))
                }
                try await client.cancelBooking(.init(bookingID: booked.bookingID))
                #expect(try await client.bookingInfo(.day(containing: at(10))).first?.schedule.first?.status == 1)
                let (across, message) = await errcodeAndMessage {
                    _ = try await client.bookingInfo(.init(startTime: at(10), endTime: at(10, day: 1)))
                }
                #expect(across == WeComErrcode.invalidParameter && message.contains("may not cross a day"))
                #expect(await sandbox.store.callCount("get_booking_info") == 3)
            }
        }
    }

    @Test func bothShapesOfTheFieldNamesAreAccepted() async throws {
        try await withServedSandbox { sandbox in
            let answer = try await RawHTTP.get(
                "\(sandbox.endpoint)/cgi-bin/gettoken?corpid=ww-sandbox&corpsecret=sandbox-secret")
            let token = try #require(answer["access_token"] as? String)
            let api = "\(sandbox.endpoint)/cgi-bin/oa/meetingroom"
            _ = try await RawHTTP.post("\(api)/add?access_token=\(token)", #"{"name":"A","capacity":4}"#)
            // Times and the room id as strings of digits, as some SDKs send them.
            let booked = try await RawHTTP.post(
                "\(api)/book?access_token=\(token)",
                #"{"meetingroom_id":"1","start_time":"\#(at(10))","end_time":\#(at(11)),"booker":"zhangsan"}"#)
            #expect(booked["errcode"] as? Int == 0)
            let id = try #require(booked["booking_id"] as? String)
            #expect(booked["meeting_id"] as? String == id)
            let info = try await RawHTTP.post(
                "\(api)/bookinfo/get?access_token=\(token)", #"{"meetingroom_id":1,"meeting_id":"\#(id)"}"#)
            let schedule = try #require(info["schedule"] as? [String: Any])
            #expect(schedule["booking_id"] as? String == id && schedule["meeting_id"] as? String == id)
            #expect(info["meetingroom_id"] as? Int == 1)
            // wechatpy 2.0.0a26's cancel: `meeting_id`, WeCom's first name for the booking id.
            let cancelled = try await RawHTTP.post(
                "\(api)/cancel_book?access_token=\(token)", #"{"meeting_id":"\#(id)","keep_schedule":1}"#)
            #expect(cancelled["errcode"] as? Int == 0)
            let listed = try await RawHTTP.post(
                "\(api)/get_booking_info?access_token=\(token)",
                #"{"start_time":\#(at(0)),"end_time":\#(at(24))}"#)
            let rooms = try #require(listed["booking_list"] as? [[String: Any]])
            let entries = try #require(rooms.first?["schedule"] as? [[String: Any]])
            #expect(entries.first?["status"] as? Int == 1)
            let missing = try await RawHTTP.post("\(api)/cancel_book?access_token=\(token)", #"{"keep_schedule":1}"#)
            #expect(missing["errcode"] as? Int == WeComErrcode.invalidParameter)
            #expect((missing["errmsg"] as? String)?.contains("booking_id") == true)
        }
    }

    @Test func forbiddenBookingAPIsAnswer48002() async throws {
        var options = SandboxServer.Options()
        options.forbiddenAPIs = ["get_booking_info"]
        try await withServedSandbox(options) { sandbox in
            try await withWeComClient(sandbox.clientConfiguration()) { client in
                let (errcode, _) = await errcodeAndMessage { _ = try await client.bookingInfo(.init()) }
                #expect(errcode == WeComErrcode.apiForbidden)
                _ = try await client.addMeetingRoom(.init(name: "A", capacity: 4))
            }
        }
        #expect(SandboxServer.meetingRoomAPIs.contains("book") && SandboxServer.meetingRoomAPIs.contains("cancel_book"))
    }
}
