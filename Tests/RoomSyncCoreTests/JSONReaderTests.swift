import Foundation
import Testing

@testable import RoomSyncCore

/// `JSONReader` must read exactly what JSONDecoder reads, and refuse (so that JSONDecoder decides) whatever it
/// is not sure of.
@Suite struct JSONReaderTests {
    static let rooms = #"""
        [
          {"meetingroom_id": 1, "name": "A \"quoted\" \\ name\n", "capacity": 10, "city": "深圳", "building": "腾讯大厦",
           "floor": "18F", "equipment": [1, 3], "coordinate": {"latitude": "22.540503", "longitude": "113.934528"},
           "need_approval": 0, "range": {"user_list": ["zhangsan", "\u00e9\ud83d\ude00"], "department_list": [1]},
           "future_field": {"nested": [1.5e3, -0.25, true, false, null, "x"]}},
          {"meetingroom_id": 2, "name": "B", "capacity": 1, "city": null, "equipment": null, "range": {}},
          {"capacity": 3, "name": "C/slash", "meetingroom_id": 3, "range": {"department_list": [4294967295]}}
        ]
        """#

    @Test func readsRoomsExactlyAsJSONDecoderDoes() throws {
        let data = Data(Self.rooms.utf8)
        let fast = try JSONReader.read(data) { reader in
            var rooms: [MeetingRoom] = []
            try reader.readArray { rooms.append(try MeetingRoom(reading: &$0)) }
            return rooms
        }
        #expect(fast == (try JSONDecoder().decode([MeetingRoom].self, from: data)))
        #expect(fast[0].range?.userList[1] == "é😀")
    }

    @Test(arguments: [
        #"{"meetingroom_id": 1.0, "name": "A", "capacity": 1}"#,  // an integer written as a float
        #"{"meetingroom_id": 01, "name": "A", "capacity": 1}"#,  // a leading zero
        #"{"meetingroom_id": 1, "name": "A", "capacity": 1,}"#,  // a trailing comma
        #"{"meetingroom_id": 1, "name": "A"}"#,  // a required field missing
        #"{"meetingroom_id": 1, "name": null, "capacity": 1}"#,  // null where a value is required
        #"{"meetingroom_id": 1, "name": "A\u0001", "capacity": 1} x"#,  // something after the document
        #"{"meetingroom_id": 1, "name": "\ud83d", "capacity": 1}"#,  // a lone surrogate
        #"{"meetingroom_id": 1, "name": "A", "capacity": 1, "x": 1-2}"#,  // a malformed number, even unused
        "{\"meetingroom_id\": 1, \"name\": \"tab\there\", \"capacity\": 1}",  // a raw control character
    ])
    func refusesWhatItIsNotSureOf(json: String) {
        #expect(throws: JSONReader.Unexpected.self) {
            try JSONReader.read(Data(json.utf8)) { try MeetingRoom(reading: &$0) }
        }
    }

    @Test func refusesInvalidUTF8() {
        var bytes = Array(#"{"meetingroom_id": 1, "name": "A"#.utf8)
        bytes += [0xC3, 0x28]
        bytes += Array(#"", "capacity": 1}"#.utf8)
        #expect(throws: JSONReader.Unexpected.self) {
            try JSONReader.read(Data(bytes)) { try MeetingRoom(reading: &$0) }
        }
    }

    @Test func trailingCommasAreRemovedOnlyOutsideStrings() {
        let body = Data(#"{"a": [1, 2, ], "b": "x, }", }"#.utf8)
        #expect(String(decoding: LenientJSON.removingTrailingCommas(body), as: UTF8.self) == #"{"a": [1, 2 ], "b": "x, }" }"#)
        let clean = Data(#"{"a": [1, 2]}"#.utf8)
        #expect(LenientJSON.removingTrailingCommas(clean) == clean)
    }
}
