import RoomSyncCore

/// Writes `list`'s answer by hand. JSONEncoder builds a tree of the whole answer first and takes most of a
/// `list` of 100,000 rooms; this writes the same JSON (compact, keys sorted, `nil` fields left out, slashes
/// unescaped) straight into one buffer.
enum ListAnswerWriter {
    static func write(_ rooms: [MeetingRoom]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(64 + rooms.count * 256)
        out.append(contentsOf: #"{"errcode":0,"errmsg":"ok","meetingroom_list":["#.utf8)
        for (index, room) in rooms.enumerated() {
            if index > 0 { out.append(UInt8(ascii: ",")) }
            write(room, to: &out)
        }
        out.append(contentsOf: "]}".utf8)
        return out
    }

    /// One room, keys in sorted order as JSONEncoder's `.sortedKeys` writes them.
    private static func write(_ room: MeetingRoom, to out: inout [UInt8]) {
        var first = true
        func key(_ name: StaticString) {
            out.append(first ? UInt8(ascii: "{") : UInt8(ascii: ","))
            first = false
            out.append(UInt8(ascii: "\""))
            out.append(contentsOf: UnsafeBufferPointer(start: name.utf8Start, count: name.utf8CodeUnitCount))
            out.append(contentsOf: "\":".utf8)
        }
        if let building = room.building { key("building"); string(building, to: &out) }
        key("capacity"); integer(room.capacity, to: &out)
        if let city = room.city { key("city"); string(city, to: &out) }
        if let coordinate = room.coordinate {
            key("coordinate")
            out.append(contentsOf: #"{"latitude":"#.utf8)
            string(coordinate.latitude, to: &out)
            out.append(contentsOf: #","longitude":"#.utf8)
            string(coordinate.longitude, to: &out)
            out.append(UInt8(ascii: "}"))
        }
        if let equipment = room.equipment { key("equipment"); integers(equipment, to: &out) }
        if let floor = room.floor { key("floor"); string(floor, to: &out) }
        key("meetingroom_id"); integer(room.meetingroomID, to: &out)
        key("name"); string(room.name, to: &out)
        if let needApproval = room.needApproval { key("need_approval"); integer(needApproval, to: &out) }
        if let range = room.range {
            key("range")
            out.append(contentsOf: #"{"department_list":"#.utf8)
            integers(range.departmentList, to: &out)
            out.append(contentsOf: #","user_list":["#.utf8)
            for (index, user) in range.userList.enumerated() {
                if index > 0 { out.append(UInt8(ascii: ",")) }
                string(user, to: &out)
            }
            out.append(contentsOf: "]}".utf8)
        }
        out.append(UInt8(ascii: "}"))
    }

    private static func integer(_ value: Int, to out: inout [UInt8]) {
        out.append(contentsOf: String(value).utf8)
    }

    private static func integers(_ values: [Int], to out: inout [UInt8]) {
        out.append(UInt8(ascii: "["))
        for (index, value) in values.enumerated() {
            if index > 0 { out.append(UInt8(ascii: ",")) }
            integer(value, to: &out)
        }
        out.append(UInt8(ascii: "]"))
    }

    /// A JSON string: quotes, backslashes and control characters escaped, everything else as UTF-8.
    static func string(_ value: String, to out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        for byte in value.utf8 {
            switch byte {
            case UInt8(ascii: "\""): out.append(contentsOf: #"\""#.utf8)
            case UInt8(ascii: "\\"): out.append(contentsOf: #"\\"#.utf8)
            case 0x0A: out.append(contentsOf: #"\n"#.utf8)
            case 0x0D: out.append(contentsOf: #"\r"#.utf8)
            case 0x09: out.append(contentsOf: #"\t"#.utf8)
            case 0x08: out.append(contentsOf: #"\b"#.utf8)
            case 0x0C: out.append(contentsOf: #"\f"#.utf8)
            case 0..<0x20:
                let hex = Array("0123456789abcdef".utf8)
                out.append(contentsOf: #"\u00"#.utf8)
                out.append(hex[Int(byte >> 4)])
                out.append(hex[Int(byte & 0x0F)])
            default: out.append(byte)
            }
        }
        out.append(UInt8(ascii: "\""))
    }
}
