/// A building's coordinates. WeCom keeps them as strings (`"22.540503"`), and so do we, so that a value
/// round-trips byte for byte and never makes a perpetual diff through float formatting.
public struct Coordinate: Sendable, Hashable, Codable {
    public var latitude: String
    public var longitude: String

    public init(latitude: String, longitude: String) {
        self.latitude = latitude
        self.longitude = longitude
    }
}

/// Who may use a room. WeCom replaces the whole range on edit; a list left out means an empty list.
public struct RoomRange: Sendable, Hashable, Codable {
    public var userList: [String]
    public var departmentList: [Int]

    public init(userList: [String] = [], departmentList: [Int] = []) {
        self.userList = userList
        self.departmentList = departmentList
    }

    enum CodingKeys: String, CodingKey {
        case userList = "user_list"
        case departmentList = "department_list"
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        userList = try container.decodeIfPresent([String].self, forKey: .userList) ?? []
        departmentList = try container.decodeIfPresent([Int].self, forKey: .departmentList) ?? []
    }

    /// Order does not matter to WeCom, so comparisons use this form.
    public var normalized: RoomRange {
        RoomRange(userList: Array(Set(userList)).sorted(), departmentList: Array(Set(departmentList)).sorted())
    }
}

/// City, building and floor: WeCom takes all three or none.
public struct RoomLocation: Sendable, Hashable, Codable {
    public var city: String
    public var building: String
    public var floor: String

    public init(city: String, building: String, floor: String) {
        self.city = city
        self.building = building
        self.floor = floor
    }
}

/// A room as a manifest declares it: its values in the shape an add sends them (`AddMeetingRoomRequest`, the wire
/// model), so a field the wire model gains is a field of every room without a property here, and the engine takes
/// them as they are (`RoomTarget(_:)`). A value left `nil` is "not managed": roomsync leaves the live value alone.
public struct DesiredRoom: Sendable, Hashable {
    /// The manifest key, the room's stable identity (`[a-z0-9][a-z0-9._-]{0,63}`).
    public var key: String
    /// City, building and floor are set together or not at all; equipment ids are sorted and without duplicates
    /// (equipment is compared as a set).
    public var values: AddMeetingRoomRequest
    public var protect: Bool
    /// Fields sent on add and never planned or reported as drift afterwards (`ignore_changes`).
    public var ignoreChanges: Set<ManagedField>
    /// Where the key is written, for messages that point back at the manifest.
    public var origin: SourceLocation

    /// `values` as a manifest gives them: city, building and floor all set or all `nil`, equipment ids sorted and
    /// without duplicates (the other `init` and the setters make them so).
    public init(
        key: String, values: AddMeetingRoomRequest, protect: Bool = false, ignoreChanges: Set<ManagedField> = [],
        origin: SourceLocation
    ) {
        self.key = key
        self.values = values
        self.protect = protect
        self.ignoreChanges = ignoreChanges
        self.origin = origin
    }

    /// A room from its values one by one, as tests and fixtures write it.
    public init(
        key: String,
        name: String,
        capacity: Int,
        location: RoomLocation? = nil,
        equipment: [Equipment]? = nil,
        coordinate: Coordinate? = nil,
        range: RoomRange? = nil,
        protect: Bool = false,
        ignoreChanges: Set<ManagedField> = [],
        origin: SourceLocation
    ) {
        self.init(
            key: key,
            values: AddMeetingRoomRequest(
                name: name, capacity: capacity, city: location?.city, building: location?.building, floor: location?.floor,
                equipment: equipment.map { Equipment.sortedSet(ids: $0.map(\.rawValue)) }, coordinate: coordinate, range: range),
            protect: protect, ignoreChanges: ignoreChanges, origin: origin)
    }

    public var name: String {
        get { values.name }
        set { values.name = newValue }
    }

    public var capacity: Int {
        get { values.capacity }
        set { values.capacity = newValue }
    }

    public var location: RoomLocation? {
        get {
            guard let city = values.city, let building = values.building, let floor = values.floor else { return nil }
            return RoomLocation(city: city, building: building, floor: floor)
        }
        set {
            values.city = newValue?.city
            values.building = newValue?.building
            values.floor = newValue?.floor
        }
    }

    /// By kind; an id no `Equipment` has (which a manifest cannot write) is left out.
    public var equipment: [Equipment]? {
        get { values.equipment.map { $0.compactMap(Equipment.init(rawValue:)) } }
        set { values.equipment = newValue.map { Equipment.sortedSet(ids: $0.map(\.rawValue)) } }
    }

    public var coordinate: Coordinate? {
        get { values.coordinate }
        set { values.coordinate = newValue }
    }

    public var range: RoomRange? {
        get { values.range }
        set { values.range = newValue }
    }
}
