import RoomSyncCore

/// Live rooms indexed for the planner.
///
/// The indexes hold positions in `rooms`, not copies of the rooms: at 100,000 rooms a dictionary of rooms by id
/// and one of arrays of rooms by name (an array for nearly every name) took some 80 MB next to the list itself,
/// the largest share of a plan's peak memory.
final class LiveIndex: Sendable {
    /// In id order. A list already in id order (WeCom's and the sandbox's are) is kept as it is, not copied.
    let rooms: [MeetingRoom]
    let byID: ByID
    /// Rooms by name, each list in id order: adoption looks for a room of the same name, and scanning every live
    /// room for each new key would make a plan of many adds quadratic.
    let byName: ByName
    private let coordinates: [BuildingKey: Coordinate]

    struct BuildingKey: Hashable {
        var city: String
        var building: String
    }

    /// The room of each id (the last in `rooms` when WeCom listed an id twice).
    struct ByID {
        let rooms: [MeetingRoom]
        let positions: [Int: Int32]

        subscript(id: Int) -> MeetingRoom? {
            position(of: id).map { rooms[Int($0)] }
        }

        /// Where the room of `id` is in `rooms`.
        func position(of id: Int) -> Int32? { positions[id] }
    }

    /// The rooms of each name, in id order: the first position of a name, then each room's next of the same name.
    struct ByName {
        let rooms: [MeetingRoom]
        /// The first and the last position of each name.
        let ends: [String: (first: Int32, last: Int32)]
        let next: [Int32]

        subscript(name: String, default fallback: [MeetingRoom]) -> [MeetingRoom] {
            guard var position = ends[name]?.first else { return fallback }
            var found: [MeetingRoom] = []
            while position >= 0 {
                found.append(rooms[Int(position)])
                position = next[Int(position)]
            }
            return found
        }
    }

    init(_ rooms: [MeetingRoom]) {
        var inOrder = true
        for position in rooms.indices.dropFirst() where rooms[position - 1].meetingroomID > rooms[position].meetingroomID {
            inOrder = false
            break
        }
        let sorted = inOrder ? rooms : rooms.sorted { $0.meetingroomID < $1.meetingroomID }
        self.rooms = sorted
        var byID: [Int: Int32] = [:]
        byID.reserveCapacity(sorted.count)
        // The first and the last position of each name, found with one lookup per room; sized once, as nearly
        // every room has a name of its own.
        var ends: [String: (first: Int32, last: Int32)] = [:]
        ends.reserveCapacity(sorted.count)
        var next = [Int32](repeating: -1, count: sorted.count)
        var coordinates: [BuildingKey: Coordinate] = [:]
        // Through the buffer: iterating the array copied every room, a count on each of its strings.
        sorted.withUnsafeBufferPointer { sorted in
            for position in sorted.indices {
                let at = Int32(position)
                byID[sorted[position].meetingroomID] = at
                let previous = Self.replaceLast(&ends[sorted[position].name, default: (first: at, last: -1)], with: at)
                if previous >= 0 { next[Int(previous)] = at }
                if let city = sorted[position].city, let building = sorted[position].building,
                    let coordinate = sorted[position].coordinate
                {
                    let key = BuildingKey(city: city, building: building)
                    if coordinates[key] == nil { coordinates[key] = coordinate }
                }
            }
        }
        self.byID = ByID(rooms: sorted, positions: byID)
        self.byName = ByName(rooms: sorted, ends: ends, next: next)
        self.coordinates = coordinates
    }

    /// Sets `ends.last` to `position` and returns what it was: a function taking the dictionary's entry `inout`
    /// looks it up once, to read it and to write it.
    private static func replaceLast(_ ends: inout (first: Int32, last: Int32), with position: Int32) -> Int32 {
        defer { ends.last = position }
        return ends.last
    }

    func buildingCoordinate(city: String, building: String) -> Coordinate? {
        coordinates[BuildingKey(city: city, building: building)]
    }

    /// Whether `room` gives its building coordinates other than its live rooms have: worked out for every room on
    /// every core, so that the pass in order looks up only those rooms' buildings.
    func contradictsBuilding(_ room: DesiredRoom) -> Bool {
        guard let coordinate = room.coordinate, let location = room.location,
            let existing = coordinates[BuildingKey(city: location.city, building: location.building)]
        else { return false }
        return existing != coordinate
    }

    /// WeCom fixes a building's coordinates when it is first created; a manifest that says otherwise is told so
    /// once per building and run (`warned`) rather than planning an edit that can never take.
    func coordinateWarning(for room: DesiredRoom, warned: inout Set<BuildingKey>) -> LocalizedText? {
        guard let coordinate = room.coordinate, let location = room.location else { return nil }
        let building = BuildingKey(city: location.city, building: location.building)
        guard let existing = coordinates[building], existing != coordinate, warned.insert(building).inserted else { return nil }
        return LocalizedText(.warnBuildingCoordinates, [
            "origin": "\(room.origin)", "city": location.city, "building": location.building,
            "latitude": existing.latitude, "longitude": existing.longitude,
            "newLatitude": coordinate.latitude, "newLongitude": coordinate.longitude,
        ])
    }
}
