#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The fields a room or a file's `defaults` may set. `name` is the only one `defaults` may not set: a default
/// name would give every room the same one.
enum RoomField: String, CaseIterable {
    case name, capacity, city, building, floor, equipment, coordinate, range, protect
    case ignoreChanges = "ignore_changes"

    /// A switch, not `allCases.firstIndex`: this runs for every field of every room.
    var bit: UInt16 {
        switch self {
        case .name: 1 << 0
        case .capacity: 1 << 1
        case .city: 1 << 2
        case .building: 1 << 3
        case .floor: 1 << 4
        case .equipment: 1 << 5
        case .coordinate: 1 << 6
        case .range: 1 << 7
        case .protect: 1 << 8
        case .ignoreChanges: 1 << 9
        }
    }

    /// The field whose name is exactly these bytes. Chosen by length, then compared with `memcmp`: walking every
    /// case's `rawValue` (a String made each time) byte by byte cost more than the rest of matching a room's keys.
    init?(utf8 name: UnsafeBufferPointer<UInt8>) {
        func matches(_ literal: StaticString) -> Bool {
            memcmp(literal.utf8Start, name.baseAddress!, name.count) == 0
        }
        switch name.count {
        case 4:
            if matches("name") { self = .name } else if matches("city") { self = .city } else { return nil }
        case 5:
            if matches("floor") { self = .floor } else if matches("range") { self = .range } else { return nil }
        case 7:
            if matches("protect") { self = .protect } else { return nil }
        case 8:
            if matches("capacity") { self = .capacity } else if matches("building") { self = .building } else { return nil }
        case 9:
            if matches("equipment") { self = .equipment } else { return nil }
        case 10:
            if matches("coordinate") { self = .coordinate } else { return nil }
        case 14:
            if matches("ignore_changes") { self = .ignoreChanges } else { return nil }
        default:
            return nil
        }
    }

    static let roomNames = allCases.map(\.rawValue)
    static let defaultNames = allCases.filter { $0 != .name }.map(\.rawValue)
}

/// The fields written for one room (or in `defaults`), before they are merged and checked as a whole.
/// `written` remembers every field that was present, valid or not, so an invalid value is reported once and
/// not again as "missing".
struct RoomFields {
    var written: UInt16 = 0
    var name: String?
    var capacity: Int?
    var city: String?
    var building: String?
    var floor: String?
    var equipment: [Equipment]?
    var coordinate: Coordinate?
    var range: RoomRange?
    var protect: Bool?
    var ignoreChanges: [ManagedField]?

    func has(_ field: RoomField) -> Bool { written & field.bit != 0 }

    /// Takes every field these leave out from `defaults` (whole values: a room's `range` or `equipment` replaces
    /// the default one, it is not combined with it). In place: a merged copy cost every room's strings a retain
    /// and a release more.
    mutating func merge(under defaults: RoomFields) {
        if !has(.capacity) { capacity = defaults.capacity }
        if !has(.city) { city = defaults.city }
        if !has(.building) { building = defaults.building }
        if !has(.floor) { floor = defaults.floor }
        if !has(.equipment) { equipment = defaults.equipment }
        if !has(.coordinate) { coordinate = defaults.coordinate }
        if !has(.range) { range = defaults.range }
        if !has(.protect) { protect = defaults.protect }
        if !has(.ignoreChanges) { ignoreChanges = defaults.ignoreChanges }
        written |= defaults.written
    }
}
