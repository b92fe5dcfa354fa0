/// Equal values decoded over and over — the equipment of a building's rooms, the users and departments a floor's
/// rooms admit — kept once. Every room's own copy of such a list is an allocation of its own: at 100,000 rooms,
/// with three models of them (manifest, state, list) alive at once, that is tens of megabytes for what is, in the
/// common case, a few hundred distinct lists. Arrays are values: sharing the storage of two equal ones changes
/// nothing but memory (and comparing two that share it is instant) — as long as equal means the same bytes, which
/// for strings it does not (see `shareIfASCII`).
///
/// One per decoder, used by one thread.
public struct SharedValues<Value: Hashable> {
    private var values: Set<Value> = []

    /// Past this many distinct values new ones are no longer kept: such lists are mostly unique, and keeping them
    /// all would cost more than it spares.
    public static var limit: Int { 1 << 16 }

    public init() {}

    /// The value kept equal to `value`, or `value` itself, kept from now on.
    public mutating func share(_ value: Value) -> Value {
        if values.count < Self.limit { return values.insert(value).memberAfterInsert }
        return values.firstIndex(of: value).map { values[$0] } ?? value
    }
}

extension SharedValues where Value == [String] {
    /// Strings are equal when canonically equivalent (`é` written as one scalar, or as `e` and an accent), and
    /// sharing would then put the bytes of one in place of the other's, which is what is sent to WeCom. Only lists
    /// of ASCII strings, whose equality is their bytes', are shared; WeCom's user ids are ASCII.
    public mutating func shareIfASCII(_ list: [String]) -> [String] {
        list.allSatisfy({ $0.utf8.allSatisfy { $0 < 0x80 } }) ? share(list) : list
    }
}
