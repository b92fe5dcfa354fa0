import Foundation
import RoomSyncCore
import Testing

@testable import RoomSyncSandbox

/// The sandbox writes `list`'s answer by hand; what it writes must decode to the same rooms, whatever they hold.
@Suite struct ListAnswerWriterTests {
    @Test func writesWhatDecodesToTheSameRooms() throws {
        let rooms = [
            MeetingRoom(
                meetingroomID: 1, name: "A \"q\" \\ / \n\t\u{1}é😀", capacity: 10, city: "深圳", building: "腾讯大厦",
                floor: "18F", equipment: [1, 3], coordinate: Coordinate(latitude: "22.5", longitude: "113.9"),
                needApproval: 0, range: RoomRange(userList: ["zhangsan", "li\"si"], departmentList: [1, 2])),
            MeetingRoom(meetingroomID: 2, name: "B", capacity: 1),
            MeetingRoom(meetingroomID: 3, name: "C", capacity: 2, equipment: [], range: RoomRange()),
        ]
        let data = Data(ListAnswerWriter.write(rooms))
        struct Answer: Decodable {
            var errcode: Int
            var errmsg: String
            var meetingroom_list: [MeetingRoom]
        }
        let answer = try JSONDecoder().decode(Answer.self, from: data)
        #expect(answer.errcode == 0 && answer.errmsg == "ok")
        #expect(answer.meetingroom_list == rooms)
        // Left-out fields are absent, not null, as JSONEncoder leaves them.
        #expect(!String(decoding: data, as: UTF8.self).contains("null"))
        #expect(String(decoding: ListAnswerWriter.write([]), as: UTF8.self) == #"{"errcode":0,"errmsg":"ok","meetingroom_list":[]}"#)
    }
}
