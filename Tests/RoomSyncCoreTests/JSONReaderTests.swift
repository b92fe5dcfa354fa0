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

    /// With `allowingTrailingCommas` (how `list` answers are read) it reads exactly what LenientJSON's removal of
    /// trailing commas makes readable, and still refuses a comma with nothing before it or two in a row.
    @Test func readsTrailingCommasAsLenientJSONDoes() throws {
        let lenient = #"""
            {"errcode": 0, "errmsg": "ok, }", "meetingroom_list": [
              {"meetingroom_id": 1, "name": "A,]", "capacity": 10, "equipment": [1, 3, ], "range": {"user_list": ["a",], },},
              {"meetingroom_id": 2, "name": "B", "capacity": 1,
              },
            ],}
            """#
        func rooms(_ reader: inout JSONReader) throws -> [MeetingRoom] {
            var rooms: [MeetingRoom] = []
            try reader.readObject { key, reader in
                guard key == "meetingroom_list" else { return try reader.skipValue() }
                try reader.readArray { rooms.append(try MeetingRoom(reading: &$0)) }
            }
            return rooms
        }
        let direct = try JSONReader.read(Data(lenient.utf8), allowingTrailingCommas: true, rooms)
        let cleaned = try JSONReader.read(LenientJSON.removingTrailingCommas(Data(lenient.utf8)), rooms)
        #expect(direct == cleaned)
        #expect(direct.map(\.name) == ["A,]", "B"])
        #expect(throws: JSONReader.Unexpected.self) { try JSONReader.read(Data(lenient.utf8), rooms) }
        for refused in ["{,}", "[,]", #"{"a": 1,,}"#, "[1,,]", "[1,", #"{"a": 1,"#] {
            #expect(throws: JSONReader.Unexpected.self, "\(refused)") {
                try JSONReader.read(Data(refused.utf8), allowingTrailingCommas: true) { try $0.skipValue() }
            }
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

    /// Invalid UTF-8 anywhere is refused, in a field that is read and in one that is only skipped: every form
    /// `String(validating:)` refuses (a bad continuation, an overlong encoding, an encoded surrogate, a truncated
    /// sequence, a code point above U+10FFFF), at the end of a string and after eight ASCII bytes.
    @Test(arguments: [[0xC3, 0x28], [0xC0, 0xAF], [0xED, 0xA0, 0x80], [0xE6, 0xB7], [0xF4, 0x90, 0x80, 0x80], [0xFF]] as [[UInt8]])
    func refusesInvalidUTF8ReadOrSkipped(bad: [UInt8]) {
        for field in ["name", "unknown_field"] {
            for prefix in ["", "12345678", "深圳"] {
                let head = field == "name" ? #"{"meetingroom_id": 1, "capacity": 1, ""# : #"{"meetingroom_id": 1, "capacity": 1, "name": "N", ""#
                var bytes = Array(head.utf8) + Array(field.utf8)
                bytes += Array(#"": ""#.utf8) + Array(prefix.utf8) + bad + Array(#""}"#.utf8)
                #expect(throws: JSONReader.Unexpected.self, "\(field) \(prefix) \(bad)") {
                    try JSONReader.read(Data(bytes)) { try MeetingRoom(reading: &$0) }
                }
            }
        }
    }

    /// Field names are matched on their bytes (`readFields`): one written with an escape is left to JSONDecoder,
    /// which reads `"na\u006de"` as `name`; one that is not UTF-8 is refused like a value; other unknown names,
    /// near misses included, are skipped as JSONDecoder skips them.
    @Test func fieldNamesAreMatchedOnTheirBytes() throws {
        let escaped = Data(#"{"meetingroom_id": 1, "na\u006de": "A", "capacity": 1}"#.utf8)
        #expect(throws: JSONReader.Unexpected.self) { try JSONReader.read(escaped) { try MeetingRoom(reading: &$0) } }
        #expect(try JSONDecoder().decode(MeetingRoom.self, from: escaped).name == "A")
        let notUTF8 = Array(#"{"meetingroom_id": 1, "name": "A", "capacity": 1, ""#.utf8) + [0xC3, 0x28] + Array(#"": 2}"#.utf8)
        #expect(throws: JSONReader.Unexpected.self) { try JSONReader.read(Data(notUTF8)) { try MeetingRoom(reading: &$0) } }
        let others = Data(#"{"名字": 1, "nam": 2, "names": 3, "Name": 4, "": 5, "meetingroom_id": 1, "name": "A", "capacity": 1}"#.utf8)
        let fast = try JSONReader.read(others) { try MeetingRoom(reading: &$0) }
        #expect(fast == (try JSONDecoder().decode(MeetingRoom.self, from: others)))
        #expect(fast.name == "A")
    }

    /// Strings of every length around the eight-byte ASCII check, ASCII or not, skipped or read, come out as
    /// JSONDecoder reads them.
    @Test func readsAndSkipsStringsOfEveryShape() throws {
        for length in 0...20 {
            for tail in ["", "é", "深圳", "😀", "\\n", "\\u00e9"] {
                let text = String(repeating: "a", count: length) + tail
                let json = #"{"meetingroom_id": 1, "capacity": 1, "x": ""# + text + #"", "name": ""# + text + #""}"#
                let data = Data(json.utf8)
                let fast = try JSONReader.read(data) { try MeetingRoom(reading: &$0) }
                #expect(fast == (try JSONDecoder().decode(MeetingRoom.self, from: data)))
            }
        }
    }

    /// The word-at-a-time scan removes exactly the commas a byte-by-byte scan removes, on random bodies of the
    /// bytes that matter among ordinary ones.
    @Test func trailingCommasAsAByteByByteScanFindsThem() {
        func reference(_ bytes: [UInt8]) -> [UInt8] {
            var keep: [UInt8] = []
            var inString = false, escaped = false
            for (index, byte) in bytes.enumerated() {
                if inString {
                    if escaped { escaped = false } else if byte == UInt8(ascii: "\\") { escaped = true } else if byte == UInt8(ascii: "\"") { inString = false }
                } else if byte == UInt8(ascii: "\"") {
                    inString = true
                } else if byte == UInt8(ascii: ",") {
                    let rest = bytes[(index + 1)...].drop { [0x20, 0x09, 0x0A, 0x0D].contains($0) }
                    if let next = rest.first, next == UInt8(ascii: "}") || next == UInt8(ascii: "]") { continue }
                }
                keep.append(byte)
            }
            return keep
        }
        let alphabet = Array(#"ab ,,,"""\}]{[1"#.utf8) + [0x0A, 0xE6, 0x88]
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<2000 {
            let bytes = (0..<Int.random(in: 0...60, using: &generator)).map { _ in alphabet.randomElement(using: &generator)! }
            #expect(Array(LenientJSON.removingTrailingCommas(Data(bytes))) == reference(bytes), "\(bytes)")
        }
    }

    @Test func trailingCommasAreRemovedOnlyOutsideStrings() {
        let body = Data(#"{"a": [1, 2, ], "b": "x, }", }"#.utf8)
        #expect(String(decoding: LenientJSON.removingTrailingCommas(body), as: UTF8.self) == #"{"a": [1, 2 ], "b": "x, }" }"#)
        let clean = Data(#"{"a": [1, 2]}"#.utf8)
        #expect(LenientJSON.removingTrailingCommas(clean) == clean)
    }
}

/// The room fields are matched on their bytes; every name is matched and nothing else is.
@Suite struct RoomFieldNameTests {
    @Test func matchesExactlyTheFieldNames() {
        func field(_ text: String) -> RoomField? {
            Array(text.utf8).withUnsafeBufferPointer { RoomField(utf8: $0) }
        }
        for known in RoomField.allCases {
            #expect(field(known.rawValue) == known)
            #expect(field(known.rawValue + "s") == nil)
            #expect(field(String(known.rawValue.dropLast())) == nil)
            #expect(field(known.rawValue.uppercased()) == nil)
        }
        for other in ["", "nam", "cityy", "ignore-changes", "buildinG", "coordinates", "rang", "名字"] {
            #expect(field(other) == nil)
        }
    }

    /// `bit` reads the case's position from its storage: it must be its place in `allCases`, one bit each.
    @Test func eachFieldsBitIsItsPlaceInAllCases() {
        for (position, field) in RoomField.allCases.enumerated() {
            #expect(field.bit == 1 << UInt32(position), "\(field)")
        }
        #expect(RoomField.allCases.count <= 32, "RoomFields.written has 32 bits")
        #expect(MemoryLayout<RoomField>.size == 1)
    }
}

/// Equipment is matched on its bytes for the usual spellings, as `init(name:)` matches them; anything else is left
/// to `init(name:)`.
@Suite struct EquipmentNameTests {
    @Test func theBytesMatchTheUsualSpellingsAsTheNameDoes() {
        func matched(_ text: String) -> Equipment? {
            Array(text.utf8).withUnsafeBufferPointer { Equipment(utf8: $0) }
        }
        for equipment in Equipment.allCases {
            for spelling in [String(equipment.rawValue), equipment.englishName, equipment.chineseName] {
                #expect(matched(spelling) == equipment, "\(spelling)")
                #expect(Equipment(name: spelling) == equipment, "\(spelling)")
            }
        }
        for other in ["TV", "03", "+2", "Video", "0", "6", "", "tvv", "电", "电视机", "投影仪", "phonE"] {
            #expect(matched(other) == nil, "\(other)")
        }
    }
}
