import RoomSyncCore

// The one table of managed fields: a row per field holds everything the engine does with it, and the table lists
// the rows in the order plans and drift list a room's differences. The comparison (`RoomDiff.changes`), the add's
// fields (`RoomTarget.addedFields`), the edit request (`RoomTarget.editRequest`) and what a saved plan's edit sends
// (`SavedPlanChecks`), what `export` writes (`ManifestExporter`), the record an edit or an add leaves (`MeetingRoom.laying`, `appliedRecord(afterAdding:)`),
// the record that lags a lost edit (`Planner.laggingRecord`), the identity rules (`AddMeetingRoomRequest.wouldCreate`,
// `couldCreateTheSameRoom`, `Planner.matchesIdentity`) and drift's target (`RoomTarget(applied:)`) all walk it.
//
// A row is a type with static requirements and the table a function that hands each row to a closure, not an array:
// the comparison runs for every room on every core, and walking a shared array would count references on its
// storage from both cores at once. The rows read the room value as an add sends it (`AddMeetingRoomRequest`,
// what `RoomTarget.values` and a journaled add hold) and the live room as `list` returns it (`MeetingRoom`).

/// Everything the engine does with one managed field.
protocol ManagedFieldRow {
    /// How `ignore_changes` names it.
    static var field: ManagedField { get }
    /// Its bit in a `ManagedFieldSet`.
    static var bit: ManagedFieldSet { get }
    /// Whether adoption matches a manifest's room with an unmanaged live room on it (when the manifest sets it).
    static var identifies: Bool { get }
    /// Whether drift compares the last-applied record with the live room on it.
    static var drifts: Bool { get }

    /// Whether `values` set it: a manifest's room manages the fields it sets (less those it ignores).
    static func isSet(in values: AddMeetingRoomRequest) -> Bool
    /// Its value from the last-applied record, as drift's target holds it (a record without equipment had none).
    static func take(applied: MeetingRoom, into values: inout AddMeetingRoomRequest)
    /// What differs between the wanted value and the live room's, appended to `changes`. `appliedRange` stands for
    /// a range `list` hides; `isNewBuilding(city, building)` says whether WeCom has no room in that building yet.
    static func compare(
        _ wanted: AddMeetingRoomRequest, with live: MeetingRoom, appliedRange: () -> RoomRange?,
        isNewBuilding: (String, String) -> Bool, into changes: inout [RoomFieldChange])
    /// The field as an add shows it (from nothing), when the add sets it.
    static func added(_ values: AddMeetingRoomRequest, into fields: inout [FieldChange])
    /// Sets it in an edit from the wanted values.
    static func send(_ values: AddMeetingRoomRequest, in request: inout EditMeetingRoomRequest)
    /// What `request` sends of it, as a plan shows it (field, after, before; a `nil` before is not checked).
    static func sent(_ request: EditMeetingRoomRequest, seen: MeetingRoom, into sent: inout [(String, FieldValue, FieldValue?)])
    /// `room` as the edit leaves it, for the last-applied record.
    static func lay(_ request: EditMeetingRoomRequest, on room: inout MeetingRoom)
    /// The record an add leaves: what was sent, or what WeCom shows where it decides (`live`, when listed).
    static func record(added request: AddMeetingRoomRequest, live: MeetingRoom?, into record: inout MeetingRoom)
    /// Whether the record differs from the live room on it in a way a lost edit explains (`Planner.laggingRecord`).
    static func lags(_ record: MeetingRoom, behind live: MeetingRoom) -> Bool
    static func catchUp(_ record: inout MeetingRoom, to live: MeetingRoom)
    /// Whether `live`, as `list` shows it, has what an add of `sent` gives it.
    static func created(by sent: AddMeetingRoomRequest, _ live: MeetingRoom) -> Bool
    /// The field as `export` writes it into a room of a manifest, from the room as it is live with its last-applied
    /// range. A value a manifest cannot hold is left out: `leftOut(field, reason)` warns and gives the comment line.
    static func export(_ room: MeetingRoom, into lines: inout [String], leftOut: (String, String) -> String)
}

extension ManagedFieldRow {
    static var identifies: Bool { false }
    static var drifts: Bool { true }
}

/// The table: every managed field's row, in the order plans and drift list differences.
enum ManagedFieldTable {
    /// Whether `body` holds for every row, asked in order and no further than the first that fails.
    @inline(__always)
    static func allRows(_ body: (any ManagedFieldRow.Type) -> Bool) -> Bool {
        body(NameRow.self) && body(CapacityRow.self) && body(LocationRow.self) && body(EquipmentRow.self)
            && body(RangeRow.self) && body(CoordinateRow.self)
    }

    @inline(__always)
    static func forEachRow(_ body: (any ManagedFieldRow.Type) -> Void) {
        _ = allRows { row in
            body(row)
            return true
        }
    }

    /// The row of `field`.
    static func row(of field: ManagedField) -> any ManagedFieldRow.Type {
        var found: (any ManagedFieldRow.Type)?
        _ = allRows { row in
            if row.field == field { found = row }
            return found == nil
        }
        return found!
    }
}

// MARK: - The rows

enum NameRow: ManagedFieldRow {
    static var field: ManagedField { .name }
    static var bit: ManagedFieldSet { ManagedFieldSet(rawValue: 1 << 0) }
    static var identifies: Bool { true }
    static func isSet(in values: AddMeetingRoomRequest) -> Bool { true }
    static func take(applied: MeetingRoom, into values: inout AddMeetingRoomRequest) { values.name = applied.name }
    static func compare(
        _ wanted: AddMeetingRoomRequest, with live: MeetingRoom, appliedRange: () -> RoomRange?,
        isNewBuilding: (String, String) -> Bool, into changes: inout [RoomFieldChange]
    ) {
        guard live.name != wanted.name else { return }
        changes.append(RoomFieldChange(field: .name, name: "name", wanted: .string(wanted.name), live: .string(live.name)))
    }
    static func added(_ values: AddMeetingRoomRequest, into fields: inout [FieldChange]) {
        fields.append(FieldChange(field: "name", before: .none, after: .string(values.name)))
    }
    static func send(_ values: AddMeetingRoomRequest, in request: inout EditMeetingRoomRequest) { request.name = values.name }
    static func sent(_ request: EditMeetingRoomRequest, seen: MeetingRoom, into sent: inout [(String, FieldValue, FieldValue?)]) {
        if let name = request.name { sent.append(("name", .string(name), .string(seen.name))) }
    }
    static func lay(_ request: EditMeetingRoomRequest, on room: inout MeetingRoom) {
        if let name = request.name { room.name = name }
    }
    static func record(added request: AddMeetingRoomRequest, live: MeetingRoom?, into record: inout MeetingRoom) {
        record.name = request.name
    }
    static func lags(_ record: MeetingRoom, behind live: MeetingRoom) -> Bool { record.name != live.name }
    static func catchUp(_ record: inout MeetingRoom, to live: MeetingRoom) { record.name = live.name }
    static func created(by sent: AddMeetingRoomRequest, _ live: MeetingRoom) -> Bool { live.name == sent.name }
    static func export(_ room: MeetingRoom, into lines: inout [String], leftOut: (String, String) -> String) {
        lines.append("name: \(ManifestExporter.quoted(room.name))")
    }
}

enum CapacityRow: ManagedFieldRow {
    static var field: ManagedField { .capacity }
    static var bit: ManagedFieldSet { ManagedFieldSet(rawValue: 1 << 1) }
    static func isSet(in values: AddMeetingRoomRequest) -> Bool { true }
    static func take(applied: MeetingRoom, into values: inout AddMeetingRoomRequest) { values.capacity = applied.capacity }
    static func compare(
        _ wanted: AddMeetingRoomRequest, with live: MeetingRoom, appliedRange: () -> RoomRange?,
        isNewBuilding: (String, String) -> Bool, into changes: inout [RoomFieldChange]
    ) {
        guard live.capacity != wanted.capacity else { return }
        changes.append(RoomFieldChange(field: .capacity, name: "capacity", wanted: .int(wanted.capacity), live: .int(live.capacity)))
    }
    static func added(_ values: AddMeetingRoomRequest, into fields: inout [FieldChange]) {
        fields.append(FieldChange(field: "capacity", before: .none, after: .int(values.capacity)))
    }
    static func send(_ values: AddMeetingRoomRequest, in request: inout EditMeetingRoomRequest) { request.capacity = values.capacity }
    static func sent(_ request: EditMeetingRoomRequest, seen: MeetingRoom, into sent: inout [(String, FieldValue, FieldValue?)]) {
        if let capacity = request.capacity { sent.append(("capacity", .int(capacity), .int(seen.capacity))) }
    }
    static func lay(_ request: EditMeetingRoomRequest, on room: inout MeetingRoom) {
        if let capacity = request.capacity { room.capacity = capacity }
    }
    static func record(added request: AddMeetingRoomRequest, live: MeetingRoom?, into record: inout MeetingRoom) {
        record.capacity = request.capacity
    }
    static func lags(_ record: MeetingRoom, behind live: MeetingRoom) -> Bool { record.capacity != live.capacity }
    static func catchUp(_ record: inout MeetingRoom, to live: MeetingRoom) { record.capacity = live.capacity }
    static func created(by sent: AddMeetingRoomRequest, _ live: MeetingRoom) -> Bool { live.capacity == sent.capacity }
    static func export(_ room: MeetingRoom, into lines: inout [String], leftOut: (String, String) -> String) {
        lines.append("capacity: \(room.capacity)")
    }
}

/// City, building and floor: one field to `ignore_changes` and to an edit (WeCom takes them together or not at all),
/// three values to plans and drift.
enum LocationRow: ManagedFieldRow {
    static var field: ManagedField { .location }
    static var bit: ManagedFieldSet { ManagedFieldSet(rawValue: 1 << 2) }
    static var identifies: Bool { true }
    /// A manifest sets city, building and floor together or not at all; a record may have any of them.
    static func isSet(in values: AddMeetingRoomRequest) -> Bool { values.city != nil }
    static func take(applied: MeetingRoom, into values: inout AddMeetingRoomRequest) {
        values.city = applied.city
        values.building = applied.building
        values.floor = applied.floor
    }
    static func compare(
        _ wanted: AddMeetingRoomRequest, with live: MeetingRoom, appliedRange: () -> RoomRange?,
        isNewBuilding: (String, String) -> Bool, into changes: inout [RoomFieldChange]
    ) {
        guard live.city != wanted.city || live.building != wanted.building || live.floor != wanted.floor else { return }
        for (name, value, seen) in [
            ("city", wanted.city, live.city), ("building", wanted.building, live.building), ("floor", wanted.floor, live.floor),
        ] where value != seen {
            changes.append(RoomFieldChange(field: .location, name: name, wanted: .optional(value), live: .optional(seen)))
        }
    }
    static func added(_ values: AddMeetingRoomRequest, into fields: inout [FieldChange]) {
        guard let city = values.city, let building = values.building, let floor = values.floor else { return }
        fields += [
            FieldChange(field: "city", before: .none, after: .string(city)),
            FieldChange(field: "building", before: .none, after: .string(building)),
            FieldChange(field: "floor", before: .none, after: .string(floor)),
        ]
    }
    static func send(_ values: AddMeetingRoomRequest, in request: inout EditMeetingRoomRequest) {
        request.city = values.city
        request.building = values.building
        request.floor = values.floor
    }
    /// A part that stays as it is is sent with the others, unshown.
    static func sent(_ request: EditMeetingRoomRequest, seen: MeetingRoom, into sent: inout [(String, FieldValue, FieldValue?)]) {
        guard request.city != nil || request.building != nil || request.floor != nil else { return }
        for (field, value, live) in [
            ("city", request.city, seen.city), ("building", request.building, seen.building), ("floor", request.floor, seen.floor),
        ] where value != live {
            sent.append((field, .optional(value), .optional(live)))
        }
    }
    static func lay(_ request: EditMeetingRoomRequest, on room: inout MeetingRoom) {
        guard let city = request.city, let building = request.building, let floor = request.floor else { return }
        room.city = city
        room.building = building
        room.floor = floor
    }
    static func record(added request: AddMeetingRoomRequest, live: MeetingRoom?, into record: inout MeetingRoom) {
        record.city = request.city
        record.building = request.building
        record.floor = request.floor
    }
    static func lags(_ record: MeetingRoom, behind live: MeetingRoom) -> Bool {
        record.city != live.city || record.building != live.building || record.floor != live.floor
    }
    static func catchUp(_ record: inout MeetingRoom, to live: MeetingRoom) {
        record.city = live.city
        record.building = live.building
        record.floor = live.floor
    }
    static func created(by sent: AddMeetingRoomRequest, _ live: MeetingRoom) -> Bool {
        live.city == sent.city && live.building == sent.building && live.floor == sent.floor
    }
    /// With the building's coordinate (`CoordinateRow.exportInBuilding`), which a manifest takes only with a location.
    static func export(_ room: MeetingRoom, into lines: inout [String], leftOut: (String, String) -> String) {
        switch ManifestExporter.location(of: room) {
        case .none:
            break
        case .invalid(let reason):
            lines.append(leftOut(room.coordinate == nil ? "location" : "location (and coordinate)", reason))
        case .valid(let location):
            lines.append("city: \(ManifestExporter.quoted(location.city))")
            lines.append("building: \(ManifestExporter.quoted(location.building))")
            lines.append("floor: \(ManifestExporter.quoted(location.floor))")
            CoordinateRow.exportInBuilding(room, into: &lines, leftOut: leftOut)
        }
    }
}

/// Compared as a set, wherever it is compared: WeCom keeps the ids in an order of its own.
enum EquipmentRow: ManagedFieldRow {
    static var field: ManagedField { .equipment }
    static var bit: ManagedFieldSet { ManagedFieldSet(rawValue: 1 << 3) }
    static func isSet(in values: AddMeetingRoomRequest) -> Bool { values.equipment != nil }
    static func take(applied: MeetingRoom, into values: inout AddMeetingRoomRequest) { values.equipment = applied.equipment ?? [] }
    static func compare(
        _ wanted: AddMeetingRoomRequest, with live: MeetingRoom, appliedRange: () -> RoomRange?,
        isNewBuilding: (String, String) -> Bool, into changes: inout [RoomFieldChange]
    ) {
        guard !sameSet(wanted.equipment ?? [], live.equipment ?? []) else { return }
        changes.append(RoomFieldChange(
            field: .equipment, name: "equipment", wanted: .equipment(wanted.equipment ?? []), live: .equipment(live.equipment ?? [])))
    }
    static func added(_ values: AddMeetingRoomRequest, into fields: inout [FieldChange]) {
        if let equipment = values.equipment { fields.append(FieldChange(field: "equipment", before: .none, after: .equipment(equipment))) }
    }
    static func send(_ values: AddMeetingRoomRequest, in request: inout EditMeetingRoomRequest) { request.equipment = values.equipment }
    static func sent(_ request: EditMeetingRoomRequest, seen: MeetingRoom, into sent: inout [(String, FieldValue, FieldValue?)]) {
        if let equipment = request.equipment { sent.append(("equipment", .equipment(equipment), .equipment(seen.equipment ?? []))) }
    }
    static func lay(_ request: EditMeetingRoomRequest, on room: inout MeetingRoom) {
        if let equipment = request.equipment { room.equipment = Array(Set(equipment)).sorted() }
    }
    static func record(added request: AddMeetingRoomRequest, live: MeetingRoom?, into record: inout MeetingRoom) {
        record.equipment = request.equipment.map { Array(Set($0)).sorted() } ?? live?.equipment
    }
    /// Compared as a set, so an order WeCom changed is no lag.
    static func lags(_ record: MeetingRoom, behind live: MeetingRoom) -> Bool {
        (record.equipment ?? []) != (live.equipment ?? []) && Set(record.equipment ?? []) != Set(live.equipment ?? [])
    }
    static func catchUp(_ record: inout MeetingRoom, to live: MeetingRoom) { record.equipment = live.equipment }
    static func created(by sent: AddMeetingRoomRequest, _ live: MeetingRoom) -> Bool {
        Set(live.equipment ?? []) == Set(sent.equipment ?? [])
    }
    /// By name; an id this version does not know leaves the field out (so roomsync leaves it alone).
    static func export(_ room: MeetingRoom, into lines: inout [String], leftOut: (String, String) -> String) {
        guard let equipment = room.equipment else { return }
        let unknown = Array(Set(equipment.filter { Equipment(rawValue: $0) == nil })).sorted()
        if unknown.isEmpty {
            let names = Array(Set(equipment)).sorted().compactMap { Equipment(rawValue: $0)?.englishName }
            lines.append("equipment: [\(names.joined(separator: ", "))]")
        } else {
            let ids = unknown.map(String.init).joined(separator: ", ")
            lines.append(leftOut("equipment", "\(unknown.count == 1 ? "id" : "ids") \(ids) \(unknown.count == 1 ? "is" : "are") unknown to this roomsync"))
        }
    }

    /// Lists in the same order (the usual case) need no sets built.
    private static func sameSet(_ a: [Int], _ b: [Int]) -> Bool {
        a == b || Set(a) == Set(b)
    }
}

/// Who may use the room. `list` shows it only to WeCom's meeting-room app: where it hides it, the last-applied
/// record's stands for it.
enum RangeRow: ManagedFieldRow {
    static var field: ManagedField { .range }
    static var bit: ManagedFieldSet { ManagedFieldSet(rawValue: 1 << 5) }
    static func isSet(in values: AddMeetingRoomRequest) -> Bool { values.range != nil }
    static func take(applied: MeetingRoom, into values: inout AddMeetingRoomRequest) { values.range = applied.range }
    static func compare(
        _ wanted: AddMeetingRoomRequest, with live: MeetingRoom, appliedRange: () -> RoomRange?,
        isNewBuilding: (String, String) -> Bool, into changes: inout [RoomFieldChange]
    ) {
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
        guard differs else { return }
        changes.append(RoomFieldChange(
            field: .range, name: "range", wanted: wanted.range.map(FieldValue.range) ?? .none,
            live: seen.map(FieldValue.range) ?? .none))
    }
    static func added(_ values: AddMeetingRoomRequest, into fields: inout [FieldChange]) {
        if let range = values.range { fields.append(FieldChange(field: "range", before: .none, after: .range(range))) }
    }
    static func send(_ values: AddMeetingRoomRequest, in request: inout EditMeetingRoomRequest) { request.range = values.range }
    /// A hidden range's "before" is the last applied one, which the live record does not hold.
    static func sent(_ request: EditMeetingRoomRequest, seen: MeetingRoom, into sent: inout [(String, FieldValue, FieldValue?)]) {
        if let range = request.range { sent.append(("range", .range(range), seen.range.map(FieldValue.range))) }
    }
    static func lay(_ request: EditMeetingRoomRequest, on room: inout MeetingRoom) {
        if let range = request.range { room.range = range }
    }
    /// For a room found by listing, the range is what WeCom shows when it shows one; the request's only when it hides it.
    static func record(added request: AddMeetingRoomRequest, live: MeetingRoom?, into record: inout MeetingRoom) {
        record.range = live?.range ?? request.range
    }
    /// A hidden range says nothing about the record.
    static func lags(_ record: MeetingRoom, behind live: MeetingRoom) -> Bool { live.range != nil && record.range != live.range }
    static func catchUp(_ record: inout MeetingRoom, to live: MeetingRoom) { record.range = live.range }
    /// Compared only when the add sent one and `list` shows one: what WeCom gives a room added without a range is
    /// its own business.
    static func created(by sent: AddMeetingRoomRequest, _ live: MeetingRoom) -> Bool {
        guard let sent = sent.range, let shown = live.range else { return true }
        return shown.normalized == sent.normalized
    }
    static func export(_ room: MeetingRoom, into lines: inout [String], leftOut: (String, String) -> String) {
        guard let range = room.range else { return }
        if let reason = ManifestExporter.invalidRange(range) {
            lines.append(leftOut("range", reason))
        } else {
            lines.append("range:")
            lines.append("  user_list: [\(range.userList.map(ManifestExporter.quoted).joined(separator: ", "))]")
            lines.append("  department_list: [\(range.departmentList.map(String.init).joined(separator: ", "))]")
        }
    }
}

/// The building's coordinates: WeCom fixes them when the building's first room is created, and keeps them
/// whatever an add or edit sends later.
enum CoordinateRow: ManagedFieldRow {
    static var field: ManagedField { .coordinate }
    static var bit: ManagedFieldSet { ManagedFieldSet(rawValue: 1 << 4) }
    /// They belong to the building and cannot be edited: drift never compares them.
    static var drifts: Bool { false }
    static func isSet(in values: AddMeetingRoomRequest) -> Bool { values.coordinate != nil }
    static func take(applied: MeetingRoom, into values: inout AddMeetingRoomRequest) { values.coordinate = applied.coordinate }
    /// Compared only for a room moving into a building WeCom has no room in yet: an existing building keeps its
    /// coordinates whatever is sent, so anything else would be an edit every run.
    static func compare(
        _ wanted: AddMeetingRoomRequest, with live: MeetingRoom, appliedRange: () -> RoomRange?,
        isNewBuilding: (String, String) -> Bool, into changes: inout [RoomFieldChange]
    ) {
        guard let coordinate = wanted.coordinate, let city = wanted.city, let building = wanted.building,
            let floor = wanted.floor, live.city != city || live.building != building || live.floor != floor,
            isNewBuilding(city, building)
        else { return }
        changes.append(RoomFieldChange(
            field: .coordinate, name: "coordinate", wanted: .coordinate(coordinate),
            live: live.coordinate.map(FieldValue.coordinate) ?? .none))
    }
    static func added(_ values: AddMeetingRoomRequest, into fields: inout [FieldChange]) {
        if let coordinate = values.coordinate { fields.append(FieldChange(field: "coordinate", before: .none, after: .coordinate(coordinate))) }
    }
    static func send(_ values: AddMeetingRoomRequest, in request: inout EditMeetingRoomRequest) { request.coordinate = values.coordinate }
    static func sent(_ request: EditMeetingRoomRequest, seen: MeetingRoom, into sent: inout [(String, FieldValue, FieldValue?)]) {
        if let coordinate = request.coordinate {
            sent.append(("coordinate", .coordinate(coordinate), seen.coordinate.map(FieldValue.coordinate) ?? FieldValue.none))
        }
    }
    static func lay(_ request: EditMeetingRoomRequest, on room: inout MeetingRoom) {
        if let coordinate = request.coordinate { room.coordinate = coordinate }
    }
    /// The coordinates WeCom kept for the building.
    static func record(added request: AddMeetingRoomRequest, live: MeetingRoom?, into record: inout MeetingRoom) {
        record.coordinate = live?.coordinate ?? request.coordinate
    }
    /// A building's coordinates are no lost edit's: an edit never changes them.
    static func lags(_ record: MeetingRoom, behind live: MeetingRoom) -> Bool { false }
    static func catchUp(_ record: inout MeetingRoom, to live: MeetingRoom) {}
    /// An existing building keeps its own.
    static func created(by sent: AddMeetingRoomRequest, _ live: MeetingRoom) -> Bool { true }
    /// Written with the location it belongs to (`LocationRow.export`): a manifest takes a coordinate only with one.
    static func export(_ room: MeetingRoom, into lines: inout [String], leftOut: (String, String) -> String) {}
    static func exportInBuilding(_ room: MeetingRoom, into lines: inout [String], leftOut: (String, String) -> String) {
        guard let coordinate = room.coordinate else { return }
        if let reason = ManifestExporter.invalidCoordinate(coordinate) {
            lines.append(leftOut("coordinate", reason))
        } else {
            lines.append(
                "coordinate: {latitude: \(ManifestExporter.quoted(coordinate.latitude)), longitude: \(ManifestExporter.quoted(coordinate.longitude))}")
        }
    }
}
