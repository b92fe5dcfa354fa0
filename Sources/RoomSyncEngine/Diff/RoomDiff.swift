import RoomSyncCore

// What a room should be (`RoomTarget`), the one comparison with a live room (`RoomDiff.changes`), and what each
// difference means for plans, drift and the edit request (`RoomFieldChange`). Plans, drift and a saved plan's
// staleness are readings of that comparison. Field by field, all of it walks the table of managed fields
// (`ManagedFieldTable.swift`): a new managed field is its value on the wire's request and a row there.

/// What a room should be, as `RoomDiff` compares it: a manifest's room (`init(_:)`: a field it leaves out or names
/// in `ignore_changes` is not managed), or the record roomsync last applied (`init(applied:ignoring:)`, drift's
/// side: every field but the building's coordinates).
public struct RoomTarget: Sendable, Hashable {
    /// The values, in the shape an add sends them: what the room is when WeCom creates it from this target. A
    /// manifest sets city, building and floor together or not at all; a record may have any of them. Equipment
    /// is compared as a set.
    public var values: AddMeetingRoomRequest
    /// The fields compared; any other is left as it is live.
    public var managed: ManagedFieldSet

    public init(values: AddMeetingRoomRequest, managed: ManagedFieldSet) {
        self.values = values
        self.managed = managed
    }

    /// A manifest's room: the fields it sets, less those it names in `ignore_changes` (still sent on add).
    public init(_ room: borrowing DesiredRoom) {
        let values = room.values
        var managed = ManagedFieldSet()
        ManagedFieldTable.forEachRow { row in
            if row.isSet(in: values) { managed.formUnion(row.bit) }
        }
        if !room.ignoreChanges.isEmpty { managed.subtract(ManagedFieldSet(room.ignoreChanges)) }
        self.init(values: values, managed: managed)
    }

    /// The record roomsync last applied, as drift compares it: a field it lacks was empty (no equipment, no
    /// range). Coordinates belong to the building and cannot be edited, so they are never compared.
    public init(applied: MeetingRoom, ignoring ignored: [ManagedField] = []) {
        var values = AddMeetingRoomRequest(name: "", capacity: 0)
        var managed = ManagedFieldSet()
        ManagedFieldTable.forEachRow { row in
            row.take(applied: applied, into: &values)
            if row.drifts { managed.formUnion(row.bit) }
        }
        managed.subtract(ManagedFieldSet(ignored))
        self.init(values: values, managed: managed)
    }

    /// The add that creates this room: every field set, managed or ignored.
    public var addRequest: AddMeetingRoomRequest { values }

    /// The fields an add sets, as a plan shows them (from nothing), in `ManagedField`'s order (which puts the
    /// coordinate before the range, where a comparison lists it after).
    public var addedFields: [FieldChange] {
        var fields: [FieldChange] = []
        for field in ManagedField.allCases { ManagedFieldTable.row(of: field).added(values, into: &fields) }
        return fields
    }

    /// The edit that sets exactly the fields `changes` found different, one `ManagedField` at a time.
    public func editRequest(meetingroomID: Int, changes: [RoomFieldChange]) -> EditMeetingRoomRequest {
        var request = EditMeetingRoomRequest(meetingroomID: meetingroomID)
        for change in changes { change.contribute(to: &request, from: self) }
        return request
    }
}

/// One value that differs between what a room should be and the live room: a managed field, or for `location`
/// one of its parts. Rendered only once found different.
public struct RoomFieldChange: Sendable, Hashable {
    /// The field `ignore_changes` names and an edit sets.
    public var field: ManagedField
    /// How plans and drift name the value: the field's name, or `city`, `building` or `floor`.
    public var name: String
    /// The target's value: the manifest's, or what was last applied.
    public var wanted: FieldValue
    /// The live room's value.
    public var live: FieldValue

    public init(field: ManagedField, name: String, wanted: FieldValue, live: FieldValue) {
        self.field = field
        self.name = name
        self.wanted = wanted
        self.live = live
    }

    /// As a plan shows it: from the live value to the manifest's.
    public var planned: FieldChange { FieldChange(field: name, before: live, after: wanted) }

    /// As drift shows it: from what was applied to what is live.
    public var drifted: FieldChange { FieldChange(field: name, before: wanted, after: live) }

    /// Sets what this change needs in `request`, from `target`.
    public func contribute(to request: inout EditMeetingRoomRequest, from target: RoomTarget) {
        ManagedFieldTable.row(of: field).send(target.values, in: &request)
    }
}

/// The one comparison of a room with its live record.
public enum RoomDiff {
    /// The managed fields of `target` that differ from `live`, in the order plans and drift list them (name,
    /// capacity, city, building, floor, equipment, range, coordinate). Compares first and renders only what
    /// differs: an unchanged room allocates nothing here.
    ///
    /// - `applied`: the record roomsync last applied; its `range` stands for a live one `list` does not return, so
    ///   a hidden range never makes an edit every run.
    /// - `isNewBuilding(city, building)`: whether WeCom has no room in that building yet. A coordinate is only
    ///   compared for a room moving into such a building: an existing building keeps its coordinates whatever is
    ///   sent, so anything else would be an edit every run.
    public static func changes(
        from target: RoomTarget, to live: MeetingRoom, applied: MeetingRoom?,
        isNewBuilding: (String, String) -> Bool = { _, _ in false }
    ) -> [RoomFieldChange] {
        changes(from: target, to: live, appliedRange: applied?.range, isNewBuilding: isNewBuilding)
    }

    /// `changes(from:to:applied:isNewBuilding:)` given only the applied record's range, all it reads of it, and
    /// only when `list` hid the live one: the planner then need not copy each room's whole record out of the
    /// state (a count on each of its strings and lists, which two cores planning at once contended for).
    public static func changes(
        from target: RoomTarget, to live: MeetingRoom, appliedRange: @autoclosure () -> RoomRange?,
        isNewBuilding: (String, String) -> Bool = { _, _ in false }
    ) -> [RoomFieldChange] {
        var changes: [RoomFieldChange] = []
        let managed = target.managed
        ManagedFieldTable.forEachRow { row in
            guard managed.contains(row.bit) else { return }
            row.compare(target.values, with: live, appliedRange: appliedRange, isNewBuilding: isNewBuilding, into: &changes)
        }
        return changes
    }
}

extension MeetingRoom {
    /// This room with `request` laid over it: what the room is after the edit, as the last-applied record keeps
    /// it (`appliedRecord(afterEditing:with:previous:)`).
    func laying(_ request: EditMeetingRoomRequest) -> MeetingRoom {
        var room = self
        ManagedFieldTable.forEachRow { row in row.lay(request, on: &room) }
        return room
    }
}

/// A set of `ManagedField`s in one word: which fields a target manages, built for every room of a plan.
public struct ManagedFieldSet: OptionSet, Sendable, Hashable {
    public let rawValue: UInt8

    public init(rawValue: UInt8) { self.rawValue = rawValue }

    /// The bit of `field`'s row in the table.
    public init(_ field: ManagedField) {
        self = ManagedFieldTable.row(of: field).bit
    }

    public init(_ fields: some Sequence<ManagedField>) {
        self.init(rawValue: fields.reduce(0) { $0 | ManagedFieldSet($1).rawValue })
    }

    /// Every row's bit.
    public static let all: ManagedFieldSet = {
        var all = ManagedFieldSet()
        ManagedFieldTable.forEachRow { row in all.formUnion(row.bit) }
        return all
    }()
}

extension FieldValue {
    /// A string that may be absent.
    static func optional(_ value: String?) -> FieldValue { value.map(FieldValue.string) ?? .none }
}
