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

    /// `plan` over live rooms already indexed, `roomsPerSlice` rooms settled per task.
    static func plan(
        desired declared: [DesiredRoom], index: LiveIndex, state stored: RoomSyncState, options: PlanOptions = PlanOptions(),
        operations: ManifestOperations = ManifestOperations(), roomsPerSlice: Int = Self.roomsPerSlice
    ) throws -> Plan {
        var changes: [PlannedChange] = []
        var state = stored
        changes += try planMoves(operations.moves, state: &state)
        // Every id the state manages, in the subset or not: a room another key manages is never adopted or pruned.
        let managedIDs = state.managedIDs
        let scope = SubsetScope(options.subset, declared: declared, state: state, index: index)
        let desired = scope.map { scope in declared.filter { scope.covers($0) } } ?? declared
        if let scope {
            // A move follows its key: its entry now sits under the new key, which the subset covers or not.
            changes.removeAll { $0.action == .move && !scope.coversManaged($0.key) }
        }
        let imports = try importedRooms(
            scope.map { scope in operations.imports.filter { scope.coversImport($0) } } ?? operations.imports, state: state, index: index)
        var warnings: [String] = []
        var unchanged = 0
        var protectUpdates: [String: Bool] = [:]
        var ignoreChangesUpdates: [String: [ManagedField]] = [:]
        var recordUpdates: [String: MeetingRoom] = [:]
        // Unmanaged rooms that a key adopts or imports in this plan; each can be taken once.
        var claimed = Set(imports.values.map(\.meetingroomID))
        // A room an `import:` entry outside the subset names belongs to that key: never pruned or adopted here.
        if scope != nil { claimed.formUnion(operations.imports.map(\.meetingroomID)) }

        // What each room needs that depends on no other room (its import, or the diff of the room its state entry
        // manages) is worked out on every core; adoption, where rooms compete for unmanaged twins, and everything
        // order matters to stay in one pass in manifest order.
        // Each task makes its building check once and reads the rooms through buffers (see `settle`): a closure made
        // for every room copied the index into it, and with it a count on each of its arrays and dictionaries, which
        // both cores wrote at once (LiveIndex is a class for the same reason).
        let moved = state
        let settled = Parallel.map(desired.indices.slices(of: roomsPerSlice)) { positions in
            desired.withUnsafeBufferPointer { desired in
                index.rooms.withUnsafeBufferPointer { live in
                    let isNewBuilding = { (city: String, building: String) in index.buildingCoordinate(city: city, building: building) == nil }
                    return positions.map { position in
                        let room = desired.baseAddress! + position
                        var outcome = settle(room, imports: imports, state: moved, index: index, live: live, isNewBuilding: isNewBuilding)
                        outcome.contradictsBuilding = index.contradictsBuilding(room.pointee)
                        return outcome
                    }
                }
            }
        }
        /// A room neither imported nor managed with its room still live: an unmanaged twin is adopted, or it is added.
        func addOrAdopt(_ room: DesiredRoom) throws {
            let ignored = room.ignoreChanges.sorted()
            let target = RoomTarget(room)
            // No state entry, or its room was deleted outside roomsync: an unmanaged twin is adopted rather than a
            // second room added (a lost state, or an earlier add whose answer never came).
            let gone = state.rooms[room.key].map { "meetingroom_id \($0.meetingroomID) was deleted outside roomsync" }
            let candidates = index.byName[room.name, default: []].filter {
                !managedIDs.contains($0.meetingroomID) && !claimed.contains($0.meetingroomID) && matchesIdentity(room, $0)
            }
            switch candidates.count {
            case 0:
                changes.append(addChange(room, target: target, reason: gone))
                ignoreChangesUpdates[room.key] = nil
            case 1:
                let current = candidates[0]
                claimed.insert(current.meetingroomID)
                let found = diff(target, against: current, applied: nil, index: index)
                changes.append(
                    PlannedChange(
                        key: room.key, action: .adopt, meetingroomID: current.meetingroomID, fields: found.map(\.planned),
                        seen: current, editRequest: edit(target, current: current, found),
                        protect: room.protect, reason: gone, ignoreChanges: ignored))
                ignoreChangesUpdates[room.key] = nil
            default:
                let ids = candidates.map { String($0.meetingroomID) }.joined(separator: ", ")
                throw EngineError(
                    "\(room.origin): error: room '\(room.key)' matches \(candidates.count) unmanaged live rooms "
                        + "(meetingroom_id \(ids)); choose one with `roomsync import \(room.key) ID`")
            }
        }
        // In manifest order, the rooms read in place as in `settle`; only one to add or adopt is copied.
        var managedKeys = 0
        var warnedBuildings: Set<LiveIndex.BuildingKey> = []
        try desired.withUnsafeBufferPointer { desired in
            for (position, outcome) in settled.joined().enumerated() {
                let room = desired.baseAddress! + position
                if outcome.contradictsBuilding, let warning = index.coordinateWarning(for: room.pointee, warned: &warnedBuildings) {
                    warnings.append(warning)
                }
                if outcome.managed { managedKeys += 1 }
                if outcome.protectChanged { protectUpdates[room.pointee.key] = room.pointee.protect }
                if let ignored = outcome.ignoreChangesChanged { ignoreChangesUpdates[room.pointee.key] = ignored }
                if let record = outcome.recordUpdate { recordUpdates[room.pointee.key] = record }
                switch outcome.result {
                case .change(let change): changes.append(change)
                case .unchanged: unchanged += 1
                case .unsettled: try addOrAdopt(room.pointee)
                }
            }
        }

        var forgottenKeys: [String] = []
        // Only the keys no manifest has are sorted: usually few of many.
        var undeclared: [(key: String, entry: ManagedRoom)] = []
        // When the keys are unique and as many rooms found their state entry as the state has, none is
        // undeclared: the usual plan skips a set of every key. Unique is checked, not assumed (`plan` is public;
        // the manifest reader gives keys sorted and once each, which one pass of comparisons confirms).
        if let scope {
            // Only keys the subset covers may be deleted or forgotten; a key no manifest declares any more but
            // outside the subset is simply not planned. Declared keys are every manifest's, not the subset's.
            let desiredKeys = Set(declared.map(\.key))
            for (key, entry) in state.rooms where !desiredKeys.contains(key) && scope.coversManaged(key) {
                undeclared.append((key, entry))
            }
        } else if managedKeys < state.rooms.count || !Self.keysIncrease(desired) {
            let desiredKeys = Set(desired.map(\.key))
            for (key, entry) in state.rooms where !desiredKeys.contains(key) { undeclared.append((key, entry)) }
        }
        for (key, entry) in undeclared.sorted(by: { $0.key < $1.key }) {
            guard let current = index.byID[entry.meetingroomID] else {
                forgottenKeys.append(key)
                continue
            }
            if entry.protect {
                warnings.append(
                    "room '\(key)' (meetingroom_id \(entry.meetingroomID)) is protected and was not deleted; "
                        + "to stop managing it run `roomsync state rm \(key)`")
                continue
            }
            changes.append(
                PlannedChange(
                    key: key, action: .delete, meetingroomID: current.meetingroomID,
                    fields: [FieldChange(field: "name", before: .string(current.name), after: .none)], seen: current))
        }

        var unmanaged = index.rooms.filter { !managedIDs.contains($0.meetingroomID) && !claimed.contains($0.meetingroomID) }
        // Unmanaged rooms have no key: only a location filter reaches them (`Subset.containsUnmanaged`).
        if let scope { unmanaged.removeAll { !scope.subset.containsUnmanaged($0) } }
        if options.prune {
            // prune.exclude keeps rooms another team runs: reported, never deleted.
            unmanaged.removeAll { room in
                guard let exclusion = operations.exclusion(keeping: room.name) else { return false }
                warnings.append(
                    "live room '\(room.name)' (meetingroom_id \(room.meetingroomID)) is not managed and was kept: it matches "
                        + "prune.exclude '\(exclusion.pattern)' (\(exclusion.origin))")
                return true
            }
            for room in unmanaged {
                changes.append(.pruning(room))
            }
        } else if !unmanaged.isEmpty {
            warnings.append("\(unmanaged.count) live room(s) are not managed by roomsync and were left alone (--prune deletes them)")
        }

        // Within a subset the guards count what the subset could delete or re-add, so a subset is no way round them.
        let managedInScope = scope?.managedRooms ?? state.rooms.count
        try checkMassDelete(
            changes: changes, managed: managedInScope, live: scope?.liveRooms(managedIDs: managedIDs) ?? index.rooms.count,
            options: options)
        try checkMassReadd(changes: changes, state: state, managed: managedInScope, options: options)
        // Moves keep the manifests' order (a chain applies step by step); the rest go by key within their phase.
        let order = Dictionary(changes.enumerated().filter { $0.element.action == .move }.map { ($0.element.key, $0.offset) }) { a, _ in a }
        changes.sort { a, b in
            guard a.phase == b.phase else { return a.phase < b.phase }
            if a.action == .move, b.action == .move { return order[a.key]! < order[b.key]! }
            return a.key < b.key
        }
        return Plan(
            changes: changes, warnings: warnings, unchanged: unchanged, protectUpdates: protectUpdates,
            ignoreChangesUpdates: ignoreChangesUpdates, forgottenKeys: forgottenKeys, recordUpdates: recordUpdates,
            subset: scope.map { SubsetCoverage(subset: $0.subset, rooms: $0.managedRooms, managedRooms: state.rooms.count) })
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
        let name = managed.contains(.name) && applied.name != live.name
        let capacity = managed.contains(.capacity) && applied.capacity != live.capacity
        let location = managed.contains(.location)
            && (applied.city != live.city || applied.building != live.building || applied.floor != live.floor)
        // Compared as a set, so an order WeCom changed is no lag.
        let equipment = managed.contains(.equipment) && (applied.equipment ?? []) != (live.equipment ?? [])
            && Set(applied.equipment ?? []) != Set(live.equipment ?? [])
        // `list` shows the range only to the meeting-room app; a hidden one says nothing about the record.
        let range = managed.contains(.range) && live.range != nil && applied.range != live.range
        // Most records lag in nothing: they are not copied.
        guard name || capacity || location || equipment || range else { return nil }
        var record = applied
        if name { record.name = live.name }
        if capacity { record.capacity = live.capacity }
        if location {
            record.city = live.city
            record.building = live.building
            record.floor = live.floor
        }
        if equipment { record.equipment = live.equipment }
        if range { record.range = live.range }
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
                    throw EngineError(
                        "\(move.origin): error: moved: both '\(move.from)' and '\(move.to)' are in the state; "
                            + "remove the one that is wrong with `roomsync state rm KEY`")
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
                throw EngineError(
                    "\(entry.origin): error: import: '\(entry.key)' already manages meetingroom_id \(mapped.meetingroomID); "
                        + "drop this entry, or run `roomsync state rm \(entry.key)` to import \(entry.meetingroomID) instead")
            }
            guard let live = index.byID[entry.meetingroomID] else {
                throw EngineError("\(entry.origin): error: import: no live room has meetingroom_id \(entry.meetingroomID)")
            }
            if let holder = managers[entry.meetingroomID] {
                throw EngineError(
                    "\(entry.origin): error: import: meetingroom_id \(entry.meetingroomID) is already managed by '\(holder)'")
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
        throw EngineError(
            refusing: MassChangeRefusal(kind: .delete, rooms: rooms, base: deletable, counted: what, percent: options.massDeletePercent))
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
        throw EngineError(refusing: MassChangeRefusal(kind: .readd, rooms: readds, base: managed, counted: "managed"))
    }

    /// More than `massDeleteFraction` of `base`, when `base` is at least `massDeleteMinimumManaged`.
    static func exceedsMassShare(_ count: Int, of base: Int, percent: Int = Int(PlanOptions.massDeleteFraction * 100)) -> Bool {
        base >= PlanOptions.massDeleteMinimumManaged && count * 100 > percent * base
    }

    /// Adoption identity: same name and, when the manifest manages it, same location.
    static func matchesIdentity(_ room: DesiredRoom, _ live: MeetingRoom) -> Bool {
        guard live.name == room.name else { return false }
        guard let location = room.location else { return true }
        return live.location == location
    }

    static func addChange(_ room: DesiredRoom, target: RoomTarget, reason: String?) -> PlannedChange {
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
