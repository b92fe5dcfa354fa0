import RoomSyncCore

// The one place that knows a room's fields field by field: what a room should be (`RoomTarget`), the one
// comparison with a live room (`RoomDiff.changes`), and what each difference means for plans, drift and the edit
// request (`RoomFieldChange`). Plans, drift and a saved plan's staleness are readings of that comparison; a new
// managed field is its value on the wire's request, one comparison and a `case` in each switch here.

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
        var managed: ManagedFieldSet = [.name, .capacity]
        if room.location != nil { managed.insert(.location) }
        if room.equipment != nil { managed.insert(.equipment) }
        if room.coordinate != nil { managed.insert(.coordinate) }
        if room.range != nil { managed.insert(.range) }
        if !room.ignoreChanges.isEmpty { managed.subtract(ManagedFieldSet(room.ignoreChanges)) }
        self.init(
            values: AddMeetingRoomRequest(
                name: room.name, capacity: room.capacity, city: room.location?.city, building: room.location?.building,
                floor: room.location?.floor, equipment: room.equipment?.map(\.rawValue), coordinate: room.coordinate,
                range: room.range),
            managed: managed)
    }

    /// The record roomsync last applied, as drift compares it: a field it lacks was empty (no equipment, no
    /// range). Coordinates belong to the building and cannot be edited, so they are never compared.
    public init(applied: MeetingRoom, ignoring ignored: [ManagedField] = []) {
        var managed = ManagedFieldSet.all
        managed.remove(.coordinate)
        managed.subtract(ManagedFieldSet(ignored))
        self.init(
            values: AddMeetingRoomRequest(
                name: applied.name, capacity: applied.capacity, city: applied.city, building: applied.building,
                floor: applied.floor, equipment: applied.equipment ?? [], coordinate: applied.coordinate,
                range: applied.range),
            managed: managed)
    }

    /// The add that creates this room: every field set, managed or ignored.
    public var addRequest: AddMeetingRoomRequest { values }

    /// The fields an add sets, as a plan shows them (from nothing).
    public var addedFields: [FieldChange] {
        let values = values
        var fields = [
            FieldChange(field: "name", before: .none, after: .string(values.name)),
            FieldChange(field: "capacity", before: .none, after: .int(values.capacity)),
        ]
        if let city = values.city, let building = values.building, let floor = values.floor {
            fields += [
                FieldChange(field: "city", before: .none, after: .string(city)),
                FieldChange(field: "building", before: .none, after: .string(building)),
                FieldChange(field: "floor", before: .none, after: .string(floor)),
            ]
        }
        if let equipment = values.equipment { fields.append(FieldChange(field: "equipment", before: .none, after: .equipment(equipment))) }
        if let coordinate = values.coordinate { fields.append(FieldChange(field: "coordinate", before: .none, after: .coordinate(coordinate))) }
        if let range = values.range { fields.append(FieldChange(field: "range", before: .none, after: .range(range))) }
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
        let values = target.values
        switch field {
        case .name: request.name = values.name
        case .capacity: request.capacity = values.capacity
        case .location:
            // WeCom takes city, building and floor together or not at all.
            request.city = values.city
            request.building = values.building
            request.floor = values.floor
        case .equipment: request.equipment = values.equipment
        case .coordinate: request.coordinate = values.coordinate
        case .range: request.range = values.range
        }
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
        let managed = target.managed, wanted = target.values
        if managed.contains(.name), live.name != wanted.name {
            changes.append(RoomFieldChange(field: .name, name: "name", wanted: .string(wanted.name), live: .string(live.name)))
        }
        if managed.contains(.capacity), live.capacity != wanted.capacity {
            changes.append(RoomFieldChange(field: .capacity, name: "capacity", wanted: .int(wanted.capacity), live: .int(live.capacity)))
        }
        if managed.contains(.location), live.city != wanted.city || live.building != wanted.building || live.floor != wanted.floor {
            for (name, value, seen) in [
                ("city", wanted.city, live.city), ("building", wanted.building, live.building), ("floor", wanted.floor, live.floor),
            ] where value != seen {
                changes.append(RoomFieldChange(field: .location, name: name, wanted: .optional(value), live: .optional(seen)))
            }
        }
        if managed.contains(.equipment), !sameSet(wanted.equipment ?? [], live.equipment ?? []) {
            changes.append(RoomFieldChange(
                field: .equipment, name: "equipment", wanted: .equipment(wanted.equipment ?? []), live: .equipment(live.equipment ?? [])))
        }
        if managed.contains(.range) {
            let seen = live.range ?? appliedRange()
            let differs: Bool
            if let seen {
                // Identical lists need no normalizing; only lists that differ may still be the same sets. A target
                // without a range (a record) had none.
                let range = wanted.range ?? RoomRange()
                differs = seen != range && seen.normalized != range.normalized
            } else {
                differs = wanted.range != nil
            }
            if differs {
                changes.append(RoomFieldChange(
                    field: .range, name: "range", wanted: wanted.range.map(FieldValue.range) ?? .none,
                    live: seen.map(FieldValue.range) ?? .none))
            }
        }
        if managed.contains(.coordinate), let coordinate = wanted.coordinate, let city = wanted.city,
            let building = wanted.building, let floor = wanted.floor,
            live.city != city || live.building != building || live.floor != floor, isNewBuilding(city, building)
        {
            changes.append(RoomFieldChange(
                field: .coordinate, name: "coordinate", wanted: .coordinate(coordinate),
                live: live.coordinate.map(FieldValue.coordinate) ?? .none))
        }
        return changes
    }

    /// Equipment is compared as a set; lists in the same order (the usual case) need no sets built.
    private static func sameSet(_ a: [Int], _ b: [Int]) -> Bool {
        a == b || Set(a) == Set(b)
    }
}

extension MeetingRoom {
    /// This room with `request` laid over it: what the room is after the edit, as the last-applied record keeps
    /// it (`appliedRecord(afterEditing:with:previous:)`).
    func laying(_ request: EditMeetingRoomRequest) -> MeetingRoom {
        var room = self
        if let name = request.name { room.name = name }
        if let capacity = request.capacity { room.capacity = capacity }
        if let city = request.city, let building = request.building, let floor = request.floor {
            room.city = city
            room.building = building
            room.floor = floor
        }
        if let equipment = request.equipment { room.equipment = Array(Set(equipment)).sorted() }
        if let coordinate = request.coordinate { room.coordinate = coordinate }
        if let range = request.range { room.range = range }
        return room
    }
}

/// A set of `ManagedField`s in one word: which fields a target manages, built for every room of a plan.
public struct ManagedFieldSet: OptionSet, Sendable, Hashable {
    public let rawValue: UInt8

    public init(rawValue: UInt8) { self.rawValue = rawValue }

    public init(_ field: ManagedField) {
        // A switch, not `allCases.firstIndex`: this runs for every room.
        switch field {
        case .name: rawValue = 1 << 0
        case .capacity: rawValue = 1 << 1
        case .location: rawValue = 1 << 2
        case .equipment: rawValue = 1 << 3
        case .coordinate: rawValue = 1 << 4
        case .range: rawValue = 1 << 5
        }
    }

    public init(_ fields: some Sequence<ManagedField>) {
        self.init(rawValue: fields.reduce(0) { $0 | ManagedFieldSet($1).rawValue })
    }

    public static let name = ManagedFieldSet(ManagedField.name)
    public static let capacity = ManagedFieldSet(ManagedField.capacity)
    public static let location = ManagedFieldSet(ManagedField.location)
    public static let equipment = ManagedFieldSet(ManagedField.equipment)
    public static let coordinate = ManagedFieldSet(ManagedField.coordinate)
    public static let range = ManagedFieldSet(ManagedField.range)
    public static let all = ManagedFieldSet(ManagedField.allCases)
}

extension FieldValue {
    /// A string that may be absent.
    static func optional(_ value: String?) -> FieldValue { value.map(FieldValue.string) ?? .none }
}
