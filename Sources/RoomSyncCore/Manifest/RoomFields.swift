#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The fields a room or a file's `defaults` may set, named as a manifest writes them. `name` is the only one
/// `defaults` may not set: a default name would give every room the same one.
///
/// A field is a case here, its arm in `ManifestDecoder.fields` (which checks it and writes it into the room's
/// values) and its arm in `ManifestSchema.schema(of:)`; the compiler asks for both. Its bit and its spelling are
/// derived from the case.
enum RoomField: String, CaseIterable {
    case name, capacity, city, building, floor, equipment, coordinate, range, protect
    case ignoreChanges = "ignore_changes"

    /// `1 << ` the case's position. A case of an enum without payloads is stored as its position in declaration
    /// order (the Swift ABI's rule for such enums), so this needs neither a switch to keep in step nor a search
    /// of `allCases`: it runs for every field of every room. `RoomFieldNameTests` checks it against `allCases`.
    @inline(__always)
    var bit: UInt32 {
        1 << UInt32(unsafeBitCast(self, to: UInt8.self))
    }

    /// The field whose name is exactly these bytes: the spellings are compared by length, then with `memcmp`.
    /// Walking every case's `rawValue` (a String made each time) byte by byte cost more than the rest of matching a
    /// room's keys.
    init?(utf8 name: UnsafeBufferPointer<UInt8>) {
        for spelling in Self.spellings where spelling.bytes.count == name.count {
            if memcmp(spelling.bytes.baseAddress!, name.baseAddress!, name.count) == 0 {
                self = spelling.field
                return
            }
        }
        return nil
    }

    /// Every case's name in bytes of their own, made once and never freed: read on every core for every field,
    /// and a buffer, unlike an array, counts no references on the way.
    nonisolated(unsafe) private static let spellings: UnsafeBufferPointer<(bytes: UnsafeBufferPointer<UInt8>, field: RoomField)> = {
        let table = UnsafeMutableBufferPointer<(bytes: UnsafeBufferPointer<UInt8>, field: RoomField)>.allocate(capacity: allCases.count)
        for (index, field) in allCases.enumerated() {
            let bytes = UnsafeMutableBufferPointer<UInt8>.allocate(capacity: field.rawValue.utf8.count)
            _ = bytes.initialize(from: field.rawValue.utf8)
            table.initializeElement(at: index, to: (UnsafeBufferPointer(bytes), field))
        }
        return UnsafeBufferPointer(table)
    }()

    static let roomNames = allCases.map(\.rawValue)
    static let defaultNames = allCases.filter { $0 != .name }.map(\.rawValue)
}

/// The fields written for one room (or in `defaults`), before they are checked as a whole. A room starts as a
/// copy of its file's `defaults`, and each field it writes replaces the default value whole (a room's `range` or
/// `equipment` is not combined with the default one). `written` remembers every field that was present, in the
/// room or its defaults, valid or not, so an invalid value is reported once and not again as "missing".
struct RoomFields {
    var written: UInt32 = 0
    /// The required fields (`name`, `capacity`) holding a value written without an error: a room without both is
    /// never made, as the value it would send is a placeholder. Any other field whose value had an error is `nil`
    /// in `values`, unmanaged in the rooms that take it from `defaults` (the room's own error drops the room).
    var held: UInt32 = 0
    /// What the room sends on add; `name` and `capacity` mean something only when `held` has them.
    var values = AddMeetingRoomRequest(name: "", capacity: 0)
    var protect: Bool?
    var ignoreChanges: [ManagedField]?

    func has(_ field: RoomField) -> Bool { written & field.bit != 0 }
}
