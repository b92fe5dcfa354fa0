// The JSON bodies of WeCom's meeting-room API, field for field as the seed document names them.
// Optional fields are left out of the encoded JSON when nil, which is what "not changed" means to `edit`.

/// One room as `oa/meetingroom/list` returns it.
public struct MeetingRoom: Sendable, Hashable, Codable {
    public var meetingroomID: Int
    public var name: String
    public var capacity: Int
    public var city: String?
    public var building: String?
    public var floor: String?
    /// Ids as WeCom sends them; kept as integers so an id this version does not know never breaks a list.
    public var equipment: [Int]?
    public var coordinate: Coordinate?
    public var needApproval: Int?
    /// Only returned to WeCom's meeting-room system app (and by the sandbox with `--show-range`).
    public var range: RoomRange?

    public init(
        meetingroomID: Int, name: String, capacity: Int, city: String? = nil, building: String? = nil,
        floor: String? = nil, equipment: [Int]? = nil, coordinate: Coordinate? = nil, needApproval: Int? = nil,
        range: RoomRange? = nil
    ) {
        self.meetingroomID = meetingroomID
        self.name = name
        self.capacity = capacity
        self.city = city
        self.building = building
        self.floor = floor
        self.equipment = equipment
        self.coordinate = coordinate
        self.needApproval = needApproval
        self.range = range
    }

    enum CodingKeys: String, CodingKey {
        case meetingroomID = "meetingroom_id"
        case name, capacity, city, building, floor, equipment, coordinate
        case needApproval = "need_approval"
        case range
    }

    /// The location when all three parts are set, as WeCom requires.
    public var location: RoomLocation? {
        guard let city, let building, let floor else { return nil }
        return RoomLocation(city: city, building: building, floor: floor)
    }
}

/// The body of `oa/meetingroom/add`.
public struct AddMeetingRoomRequest: Sendable, Hashable, Codable {
    public var name: String
    public var capacity: Int
    public var city: String?
    public var building: String?
    public var floor: String?
    public var equipment: [Int]?
    public var coordinate: Coordinate?
    public var range: RoomRange?

    public init(
        name: String, capacity: Int, city: String? = nil, building: String? = nil, floor: String? = nil,
        equipment: [Int]? = nil, coordinate: Coordinate? = nil, range: RoomRange? = nil
    ) {
        self.name = name
        self.capacity = capacity
        self.city = city
        self.building = building
        self.floor = floor
        self.equipment = equipment
        self.coordinate = coordinate
        self.range = range
    }
}

/// The body of `oa/meetingroom/edit`: every field but the id is optional and left unchanged when absent.
public struct EditMeetingRoomRequest: Sendable, Hashable, Codable {
    public var meetingroomID: Int
    public var name: String?
    public var capacity: Int?
    public var city: String?
    public var building: String?
    public var floor: String?
    public var equipment: [Int]?
    public var coordinate: Coordinate?
    public var range: RoomRange?

    public init(
        meetingroomID: Int, name: String? = nil, capacity: Int? = nil, city: String? = nil,
        building: String? = nil, floor: String? = nil, equipment: [Int]? = nil, coordinate: Coordinate? = nil,
        range: RoomRange? = nil
    ) {
        self.meetingroomID = meetingroomID
        self.name = name
        self.capacity = capacity
        self.city = city
        self.building = building
        self.floor = floor
        self.equipment = equipment
        self.coordinate = coordinate
        self.range = range
    }

    enum CodingKeys: String, CodingKey {
        case meetingroomID = "meetingroom_id"
        case name, capacity, city, building, floor, equipment, coordinate, range
    }
}

/// The body of `oa/meetingroom/list`. Filters are hierarchical: building needs city, floor needs building.
public struct ListMeetingRoomsRequest: Sendable, Hashable, Codable {
    public var city: String?
    public var building: String?
    public var floor: String?
    public var equipment: [Int]?

    public init(city: String? = nil, building: String? = nil, floor: String? = nil, equipment: [Int]? = nil) {
        self.city = city
        self.building = building
        self.floor = floor
        self.equipment = equipment
    }
}

/// The body of `oa/meetingroom/del`.
public struct DeleteMeetingRoomRequest: Sendable, Hashable, Codable {
    public var meetingroomID: Int

    public init(meetingroomID: Int) {
        self.meetingroomID = meetingroomID
    }

    enum CodingKeys: String, CodingKey {
        case meetingroomID = "meetingroom_id"
    }
}
