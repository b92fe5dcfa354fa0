import RoomSyncCore
import RoomSyncEngine

/// Small builders so each test says only what matters to it.
enum Fixture {
    static let origin = SourceLocation(file: "rooms.yaml", line: 3, column: 3)
    static let tower = RoomLocation(city: "深圳", building: "腾讯大厦", floor: "18F")
    static let towerCoordinate = Coordinate(latitude: "22.540503", longitude: "113.934528")

    static func desired(
        _ key: String, name: String? = nil, capacity: Int = 10, location: RoomLocation? = tower,
        equipment: [Equipment]? = nil, coordinate: Coordinate? = nil, range: RoomRange? = nil, protect: Bool = false
    ) -> DesiredRoom {
        DesiredRoom(
            key: key, name: name ?? "\(key)-room", capacity: capacity, location: location, equipment: equipment,
            coordinate: coordinate, range: range, protect: protect, origin: origin)
    }

    static func live(
        _ id: Int, name: String, capacity: Int = 10, location: RoomLocation? = tower, equipment: [Int]? = nil,
        coordinate: Coordinate? = towerCoordinate, range: RoomRange? = nil
    ) -> MeetingRoom {
        MeetingRoom(
            meetingroomID: id, name: name, capacity: capacity, city: location?.city, building: location?.building,
            floor: location?.floor, equipment: equipment, coordinate: location == nil ? nil : coordinate, needApproval: 0,
            range: range)
    }

    /// A state that manages `rooms` (key, live record) as last applied.
    static func state(_ rooms: [(String, MeetingRoom)], protect: Set<String> = []) -> RoomSyncState {
        var state = RoomSyncState(target: StateTarget(endpoint: "sandbox:test", corpID: nil))
        for (key, room) in rooms {
            state.rooms[key] = ManagedRoom(meetingroomID: room.meetingroomID, protect: protect.contains(key), applied: room)
        }
        return state
    }
}
