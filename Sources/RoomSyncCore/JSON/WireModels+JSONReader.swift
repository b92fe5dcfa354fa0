// Fast decoding of the wire models for `JSONReader`: the same fields and rules as their `Decodable`
// conformances (required fields, `null` for an absent optional, `range` lists defaulting to empty).

extension MeetingRoom {
    /// Reads one room as `list` returns it and the state records it.
    public init(reading reader: inout JSONReader) throws {
        var id: Int?, name: String?, capacity: Int?
        var room = MeetingRoom(meetingroomID: 0, name: "", capacity: 0)
        try reader.readFields { key, reader in
            switch key {
            case "meetingroom_id": id = try reader.readInt()
            case "name": name = try reader.readString()
            case "capacity": capacity = try reader.readInt()
            case "city": room.city = try reader.readNull() ? nil : reader.readString()
            case "building": room.building = try reader.readNull() ? nil : reader.readString()
            case "floor": room.floor = try reader.readNull() ? nil : reader.readString()
            case "equipment": room.equipment = try reader.readNull() ? nil : reader.readSharedIntArray()
            case "coordinate": room.coordinate = try reader.readNull() ? nil : Coordinate(reading: &reader)
            case "need_approval": room.needApproval = try reader.readNull() ? nil : reader.readInt()
            case "range": room.range = try reader.readNull() ? nil : RoomRange(reading: &reader)
            default: try reader.skipValue()
            }
        }
        guard let id, let name, let capacity else { throw JSONReader.Unexpected() }
        room.meetingroomID = id
        room.name = name
        room.capacity = capacity
        self = room
    }
}

extension AddMeetingRoomRequest {
    public init(reading reader: inout JSONReader) throws {
        var name: String?, capacity: Int?
        var request = AddMeetingRoomRequest(name: "", capacity: 0)
        try reader.readFields { key, reader in
            switch key {
            case "name": name = try reader.readString()
            case "capacity": capacity = try reader.readInt()
            case "city": request.city = try reader.readNull() ? nil : reader.readString()
            case "building": request.building = try reader.readNull() ? nil : reader.readString()
            case "floor": request.floor = try reader.readNull() ? nil : reader.readString()
            case "equipment": request.equipment = try reader.readNull() ? nil : reader.readIntArray()
            case "coordinate": request.coordinate = try reader.readNull() ? nil : Coordinate(reading: &reader)
            case "range": request.range = try reader.readNull() ? nil : RoomRange(reading: &reader)
            default: try reader.skipValue()
            }
        }
        guard let name, let capacity else { throw JSONReader.Unexpected() }
        request.name = name
        request.capacity = capacity
        self = request
    }
}

extension Coordinate {
    public init(reading reader: inout JSONReader) throws {
        var latitude: String?, longitude: String?
        try reader.readFields { key, reader in
            switch key {
            case "latitude": latitude = try reader.readString()
            case "longitude": longitude = try reader.readString()
            default: try reader.skipValue()
            }
        }
        guard let latitude, let longitude else { throw JSONReader.Unexpected() }
        self.init(latitude: latitude, longitude: longitude)
    }
}

extension RoomRange {
    public init(reading reader: inout JSONReader) throws {
        var range = RoomRange()
        try reader.readFields { key, reader in
            switch key {
            case "user_list":
                range.userList = []
                if try !reader.readNull() {
                    try reader.readArray { range.userList.append(try $0.readString()) }
                    if reader.sharesLists { range.userList = reader.sharedStringLists.shareIfASCII(range.userList) }
                }
            case "department_list":
                range.departmentList = try reader.readNull() ? [] : reader.readSharedIntArray()
            default: try reader.skipValue()
            }
        }
        self = range
    }
}

extension JSONReader {
    public mutating func readIntArray() throws -> [Int] {
        var values: [Int] = []
        try readArray { values.append(try $0.readInt()) }
        return values
    }

    /// `readIntArray`, sharing storage with an equal list read before.
    public mutating func readSharedIntArray() throws -> [Int] {
        let values = try readIntArray()
        return sharesLists ? sharedIntLists.share(values) : values
    }
}
