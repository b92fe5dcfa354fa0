import RoomSyncCore

/// Diffs desired rooms (manifests) against live rooms (`list`) and the state into a plan (SPEC section 4).
public enum Planner {
    /// `operations` are the manifests' `moved`, `import` and `prune.exclude` (SPEC 2): moves are planned first and
    /// everything after sees the state as they leave it.
    public static func plan(
        desired: [DesiredRoom], live: [MeetingRoom], state stored: RoomSyncState, options: PlanOptions = PlanOptions(),
        operations: ManifestOperations = ManifestOperations()
    ) throws -> Plan {
        try plan(desired: desired, index: LiveIndex(live), state: stored, options: options, operations: operations)
    }

    /// `plan` over live rooms already indexed, `roomsPerSlice` rooms settled per task. The steps, in order: moves,
    /// the subset and imports (`Planning.init`), each room on its own on every core (`settleAll`), adds and
    /// adoptions in manifest order (`takeOutcomes`), the keys no manifest declares (`planUndeclared`), the
    /// unmanaged rooms (`planUnmanaged`), the guards, and the order a plan is shown and applied in.
    static func plan(
        desired declared: [DesiredRoom], index: LiveIndex, state stored: RoomSyncState, options: PlanOptions = PlanOptions(),
        operations: ManifestOperations = ManifestOperations(), roomsPerSlice: Int = Self.roomsPerSlice
    ) throws -> Plan {
        var state = stored
        let moves = try planMoves(operations.moves, state: &state)
        var planning = try Planning(
            declared: declared, moves: moves, state: state, index: index, options: options, operations: operations)
        let settled = settleAll(planning.desired, imports: planning.imports, state: state, index: index, roomsPerSlice: roomsPerSlice)
        try planning.takeOutcomes(settled)
        planning.planUndeclared()
        planning.planUnmanaged()
        try planning.checkGuards()
        return planning.finished()
    }

    /// What each room needs that depends on no other room (its import, or the diff of the room its state entry
    /// manages), worked out on every core; adoption, where rooms compete for unmanaged twins, and everything order
    /// matters to stay in one pass in manifest order (`Planning.takeOutcomes`).
    /// Each task makes its building check once and reads the rooms through buffers (see `settle`): a closure made
    /// for every room copied the index into it, and with it a count on each of its arrays and dictionaries, which
    /// both cores wrote at once (LiveIndex is a class for the same reason).
    static func settleAll(
        _ desired: [DesiredRoom], imports: [String: MeetingRoom], state: RoomSyncState, index: LiveIndex, roomsPerSlice: Int
    ) -> [[Outcome]] {
        Parallel.map(desired.indices.slices(of: roomsPerSlice)) { positions in
            desired.withUnsafeBufferPointer { desired in
                index.rooms.withUnsafeBufferPointer { live in
                    let isNewBuilding = { (city: String, building: String) in index.buildingCoordinate(city: city, building: building) == nil }
                    return positions.map { position in
                        let room = desired.baseAddress! + position
                        var outcome = settle(room, imports: imports, state: state, index: index, live: live, isNewBuilding: isNewBuilding)
                        outcome.contradictsBuilding = index.contradictsBuilding(room.pointee)
                        return outcome
                    }
                }
            }
        }
    }

    /// Whether each room's key sorts after the one before: so no key is there twice.
    static func keysIncrease(_ rooms: [DesiredRoom]) -> Bool {
        rooms.indices.dropFirst().allSatisfy { rooms[$0 - 1].key < rooms[$0].key }
    }

    /// Rooms planned per task: enough that starting one is negligible, few enough to keep both cores busy.
    static let roomsPerSlice = 2_000

    /// What `settle` decided for one room.
    struct Outcome: Sendable {
        enum Result: Sendable {
            /// Boxed: a PlannedChange is hundreds of bytes, and there is an outcome for every room (50 MB at
            /// 100,000 rooms held inline) of which few change.
            indirect case change(PlannedChange)
            case unchanged
            /// Neither imported nor managed with its room still live: an add or an adoption, decided in order.
            case unsettled
        }

        var result: Result
        /// The room has a state entry (whether or not its room is still live).
        var managed = false
        /// Its coordinates differ from those of its building's live rooms (`coordinateWarning` says so once).
        var contradictsBuilding = false
        var protectChanged = false
        var ignoreChangesChanged: [ManagedField]?
        /// The live room already is what the manifest asks, but the last-applied record says otherwise: the record
        /// to keep instead (SPEC 4).
        var recordUpdate: MeetingRoom?
    }

    /// One room's import, or its change against the live room its state entry manages. `live` is `index.rooms`,
    /// `isNewBuilding` whether no live room is in a building (both made once for many rooms). The rooms come as
    /// pointers so that their fields are read where they are: bound to a name, a room was copied whole, a count on
    /// each of its strings and lists, many of which (shared lists, the file's name) every room holds; two cores
    /// counting on the same ones slowed each other down.
    static func settle(
        _ room: UnsafePointer<DesiredRoom>, imports: [String: MeetingRoom], state: RoomSyncState, index: LiveIndex,
        live: UnsafeBufferPointer<MeetingRoom>, isNewBuilding: (String, String) -> Bool
    ) -> Outcome {
        assert(live.count == index.rooms.count, "live is index.rooms, where index.byID's positions point")
        let ignored = room.pointee.ignoreChanges.sorted()
        if let current = imports[room.pointee.key] {
            let target = RoomTarget(room.pointee)
            let found = RoomDiff.changes(from: target, to: current, applied: nil, isNewBuilding: isNewBuilding)
            return Outcome(result: .change(
                PlannedChange(
                    key: room.pointee.key, action: .import, meetingroomID: current.meetingroomID, fields: found.map(\.planned),
                    seen: current, editRequest: edit(target, current: current, found),
                    protect: room.pointee.protect, ignoreChanges: ignored)))
        }
        guard let entry = state.rooms[room.pointee.key] else { return Outcome(result: .unsettled) }
        var outcome = Outcome(
            result: .unsettled, managed: true, protectChanged: entry.protect != room.pointee.protect,
            ignoreChangesChanged: entry.ignoreChanges != ignored ? ignored : nil)
        if let position = index.byID.position(of: entry.meetingroomID) {
            let current = live.baseAddress! + Int(position)
            let target = RoomTarget(room.pointee)
            let found = RoomDiff.changes(
                from: target, to: current.pointee, appliedRange: entry.appliedRange, isNewBuilding: isNewBuilding)
            if found.isEmpty { outcome.recordUpdate = laggingRecord(entry, live: current.pointee, managing: target.managed) }
            outcome.result = found.isEmpty
                ? .unchanged
                : .change(PlannedChange(
                    key: room.pointee.key, action: .change, meetingroomID: current.pointee.meetingroomID,
                    fields: found.map(\.planned), seen: current.pointee, editRequest: edit(target, current: current.pointee, found),
                    protect: room.pointee.protect, ignoreChanges: ignored))
        }
        return outcome
    }

    /// When an edit reached WeCom but its state write was lost (a kill, the database gone), the live room already
    /// is what the manifest asks while the record still holds what it replaced: drift would report it for ever.
    /// The record the state should keep then, as the edit would have left it: the fields the manifest manages
    /// (`managed`) as they are live, every other one as it was. A console change to a field the manifest leaves
    /// alone is drift, not a lost write, and stays in the report. `nil` when no managed field lags.
    static func laggingRecord(_ entry: ManagedRoom, live: MeetingRoom, managing managed: ManagedFieldSet) -> MeetingRoom? {
        let applied = entry.applied
        var lagging = ManagedFieldSet()
        ManagedFieldTable.forEachRow { row in
            if managed.contains(row.bit), row.lags(applied, behind: live) { lagging.formUnion(row.bit) }
        }
        // Most records lag in nothing: they are not copied.
        guard !lagging.isEmpty else { return nil }
        var record = applied
        ManagedFieldTable.forEachRow { row in
            if lagging.contains(row.bit) { row.catchUp(&record, to: live) }
        }
        return record
    }

    /// SPEC 2 `moved`: in order, each entry whose `from` is in the state (and `to` is not) renames the key in
    /// `state`; one whose `to` is already there is done and stays a no-op for ever.
    static func planMoves(_ moves: [ManifestOperations.Move], state: inout RoomSyncState) throws -> [PlannedChange] {
        var changes: [PlannedChange] = []
        for move in moves {
            let hasFrom = state.rooms[move.from] != nil
            guard state.rooms[move.to] == nil else {
                if hasFrom {
                    throw RoomSyncError(.movedBothInState, ["from": move.from, "to": move.to], at: move.origin)
                }
                continue
            }
            guard let entry = state.rooms.removeValue(forKey: move.from) else { continue }
            state.rooms[move.to] = entry
            changes.append(
                PlannedChange(key: move.to, action: .move, meetingroomID: entry.meetingroomID, protect: entry.protect, from: move.from))
        }
        return changes
    }

    /// SPEC 2 `import`: the live room each entry adopts, by key; entries already done are left out.
    static func importedRooms(
        _ imports: [ManifestOperations.Import], state: RoomSyncState, index: LiveIndex
    ) throws -> [String: MeetingRoom] {
        guard !imports.isEmpty else { return [:] }
        let managers = state.managersByID(imports.map(\.meetingroomID))
        var rooms: [String: MeetingRoom] = [:]
        for entry in imports {
            if let mapped = state.rooms[entry.key] {
                if mapped.meetingroomID == entry.meetingroomID { continue }
                throw RoomSyncError(
                    .importKeyManages, ["key": entry.key, "managed": mapped.meetingroomID, "id": entry.meetingroomID], at: entry.origin)
            }
            guard let live = index.byID[entry.meetingroomID] else {
                throw RoomSyncError(.importNoLiveRoom, ["id": entry.meetingroomID], at: entry.origin)
            }
            if let holder = managers[entry.meetingroomID] {
                throw RoomSyncError(.importRoomManaged, ["id": entry.meetingroomID, "holder": holder], at: entry.origin)
            }
            rooms[entry.key] = live
        }
        return rooms
    }

    /// SPEC 4: the share of what could be deleted. Without `--prune` only managed rooms can be: counting the live
    /// rooms too let unmanaged rooms, which nothing deletes, dilute the share (9 of 10 managed rooms went unguarded
    /// in a corp of 40). With it, the larger of the managed and the live rooms: counting only managed rooms let a
    /// lost state with `--prune` delete every live room unguarded.
    static func checkMassDelete(changes: [PlannedChange], managed: Int, live: Int, options: PlanOptions) throws {
        guard !options.allowMassDelete else { return }
        let deletes = changes.filter { $0.action == .delete }
        let deletable = options.prune ? max(managed, live) : managed
        guard exceedsMassShare(deletes.count, of: deletable, percent: options.massDeletePercent) else { return }
        let what = options.prune && live > managed ? "live" : "managed"
        let rooms = deletes.map { MassChangeRefusal.Room(key: $0.key, meetingroomID: $0.meetingroomID ?? 0, name: $0.seen?.name ?? "") }
        throw MassChangeRefusal(kind: .delete, rooms: rooms, base: deletable, counted: what, percent: options.massDeletePercent)
    }

    /// SPEC 4: rooms re-added because they vanished from `list`, as a share of the managed rooms. A list that
    /// suddenly misses many rooms (an app whose visibility changed, a partial answer) is more likely wrong than the
    /// rooms gone, and re-adding them would make duplicates.
    /// `managed` is the managed rooms the plan covers (a subset's, or all).
    static func checkMassReadd(changes: [PlannedChange], state: RoomSyncState, managed: Int, options: PlanOptions) throws {
        guard !options.allowMassReadd else { return }
        let readds = changes.compactMap { change -> MassChangeRefusal.Room? in
            guard change.action == .add, let vanished = state.rooms[change.key] else { return nil }
            return MassChangeRefusal.Room(key: change.key, meetingroomID: vanished.meetingroomID, name: vanished.applied.name)
        }
        guard exceedsMassShare(readds.count, of: managed) else { return }
        throw MassChangeRefusal(kind: .readd, rooms: readds, base: managed, counted: "managed")
    }

    /// More than `massDeleteFraction` of `base`, when `base` is at least `massDeleteMinimumManaged`.
    static func exceedsMassShare(_ count: Int, of base: Int, percent: Int = Int(PlanOptions.massDeleteFraction * 100)) -> Bool {
        base >= PlanOptions.massDeleteMinimumManaged && count * 100 > percent * base
    }

    /// Adoption identity: the fields that identify a room (`ManagedFieldRow.identifies`: name and location) as the
    /// manifest sets them, as an add of the room would give them.
    static func matchesIdentity(_ room: DesiredRoom, _ live: MeetingRoom) -> Bool {
        matchesIdentity(RoomTarget(room).values, live)
    }

    static func matchesIdentity(_ values: AddMeetingRoomRequest, _ live: MeetingRoom) -> Bool {
        ManagedFieldTable.allRows { row in !row.identifies || !row.isSet(in: values) || row.created(by: values, live) }
    }

    static func addChange(_ room: DesiredRoom, target: RoomTarget, reason: LocalizedText?) -> PlannedChange {
        PlannedChange(
            key: room.key, action: .add, fields: target.addedFields, addRequest: target.addRequest, protect: room.protect,
            reason: reason, ignoreChanges: room.ignoreChanges.sorted())
    }

    /// The managed fields that differ from the live room (`RoomDiff`, the one comparison). `applied` is the state's
    /// record, whose `range` stands for one `list` does not return.
    static func diff(_ target: RoomTarget, against live: MeetingRoom, applied: MeetingRoom?, index: LiveIndex) -> [RoomFieldChange] {
        RoomDiff.changes(from: target, to: live, applied: applied) { city, building in
            index.buildingCoordinate(city: city, building: building) == nil
        }
    }

    /// The edit the differences need, or `nil` when there are none.
    static func edit(_ target: RoomTarget, current: MeetingRoom, _ found: [RoomFieldChange]) -> EditMeetingRoomRequest? {
        found.isEmpty ? nil : target.editRequest(meetingroomID: current.meetingroomID, changes: found)
    }
}
