import RoomSyncCore

extension Planner {
    /// One plan being made: its inputs once the moves are planned, and what the steps of `Planner.plan` have
    /// decided so far, which `finished` turns into the `Plan`.
    struct Planning {
        let index: LiveIndex
        /// The state as the moves leave it.
        let state: RoomSyncState
        let options: PlanOptions
        let operations: ManifestOperations
        /// Every manifest's rooms; `desired` is those the subset covers (all of them without one).
        let declared: [DesiredRoom]
        let desired: [DesiredRoom]
        let scope: SubsetScope?
        /// Every id the state manages, in the subset or not: a room another key manages is never adopted or pruned.
        let managedIDs: Set<Int>
        /// The live room each `import:` entry not yet done adopts, by key.
        let imports: [String: MeetingRoom]

        var changes: [PlannedChange]
        var warnings: [LocalizedText] = []
        var unchanged = 0
        var protectUpdates: [String: Bool] = [:]
        var ignoreChangesUpdates: [String: [ManagedField]] = [:]
        var recordUpdates: [String: MeetingRoom] = [:]
        var forgottenKeys: [String] = []
        /// Unmanaged rooms that a key adopts or imports in this plan; each can be taken once.
        var claimed: Set<Int>
        /// The desired rooms that have a state entry (whether or not its room is still live).
        var managedKeys = 0

        init(
            declared: [DesiredRoom], moves: [PlannedChange], state: RoomSyncState, index: LiveIndex, options: PlanOptions,
            operations: ManifestOperations
        ) throws {
            self.index = index
            self.state = state
            self.options = options
            self.operations = operations
            self.declared = declared
            managedIDs = state.managedIDs
            let scope = SubsetScope(options.subset, declared: declared, state: state, index: index)
            self.scope = scope
            desired = scope.map { scope in declared.filter { scope.covers($0) } } ?? declared
            changes = moves
            if let scope {
                // A move follows its key: its entry now sits under the new key, which the subset covers or not.
                changes.removeAll { $0.action == .move && !scope.coversManaged($0.key) }
            }
            imports = try importedRooms(
                scope.map { scope in operations.imports.filter { scope.coversImport($0) } } ?? operations.imports,
                state: state, index: index)
            claimed = Set(imports.values.map(\.meetingroomID))
            // A room an `import:` entry outside the subset names belongs to that key: never pruned or adopted here.
            if scope != nil { claimed.formUnion(operations.imports.map(\.meetingroomID)) }
        }

        /// The outcomes of `settleAll`, in manifest order, the rooms read in place as in `settle`; only one to add
        /// or adopt is copied.
        mutating func takeOutcomes(_ settled: [[Outcome]]) throws {
            var warnedBuildings: Set<LiveIndex.BuildingKey> = []
            let desired = desired
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
        }

        /// A room neither imported nor managed with its room still live: an unmanaged twin is adopted, or it is added.
        mutating func addOrAdopt(_ room: DesiredRoom) throws {
            let ignored = room.ignoreChanges.sorted()
            let target = RoomTarget(room)
            // No state entry, or its room was deleted outside roomsync: an unmanaged twin is adopted rather than a
            // second room added (a lost state, or an earlier add whose answer never came).
            let gone = state.rooms[room.key].map { LocalizedText(.planReaddReason, ["id": String($0.meetingroomID)]) }
            let candidates = index.byName[room.name, default: []].filter {
                !managedIDs.contains($0.meetingroomID) && !claimed.contains($0.meetingroomID) && matchesIdentity(target.values, $0)
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
                throw RoomSyncError(.ambiguousAdoption, ["key": room.key, "count": candidates.count, "ids": ids], at: room.origin)
            }
        }

        /// The state's keys no manifest declares: each is deleted, kept when protected, or forgotten when its room
        /// is gone.
        mutating func planUndeclared() {
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
            } else if managedKeys < state.rooms.count || !keysIncrease(desired) {
                let desiredKeys = Set(desired.map(\.key))
                for (key, entry) in state.rooms where !desiredKeys.contains(key) { undeclared.append((key, entry)) }
            }
            for (key, entry) in undeclared.sorted(by: { $0.key < $1.key }) {
                guard let current = index.byID[entry.meetingroomID] else {
                    forgottenKeys.append(key)
                    continue
                }
                if entry.protect {
                    warnings.append(LocalizedText(.warnProtected, ["key": key, "id": String(entry.meetingroomID)]))
                    continue
                }
                changes.append(
                    PlannedChange(
                        key: key, action: .delete, meetingroomID: current.meetingroomID,
                        fields: [FieldChange(field: "name", before: .string(current.name), after: .none)], seen: current))
            }
        }

        /// Live rooms no key manages or takes: pruned with `--prune` (but those `prune.exclude` keeps), else counted
        /// in a warning.
        mutating func planUnmanaged() {
            var unmanaged = index.rooms.filter { !managedIDs.contains($0.meetingroomID) && !claimed.contains($0.meetingroomID) }
            // Unmanaged rooms have no key: only a location filter reaches them (`Subset.containsUnmanaged`).
            if let scope { unmanaged.removeAll { !scope.subset.containsUnmanaged($0) } }
            if options.prune {
                // prune.exclude keeps rooms another team runs: reported, never deleted.
                unmanaged.removeAll { room in
                    guard let exclusion = operations.exclusion(keeping: room.name) else { return false }
                    warnings.append(
                        LocalizedText(.warnPruneExcluded, [
                            "name": room.name, "id": String(room.meetingroomID), "pattern": exclusion.pattern,
                            "origin": "\(exclusion.origin)",
                        ]))
                    return true
                }
                for room in unmanaged {
                    changes.append(.pruning(room))
                }
            } else if !unmanaged.isEmpty {
                warnings.append(LocalizedText(.warnUnmanaged, ["count": String(unmanaged.count)]))
            }
        }

        /// The mass-delete and mass re-add guards. Within a subset they count what the subset could delete or
        /// re-add, so a subset is no way round them.
        func checkGuards() throws {
            let managedInScope = scope?.managedRooms ?? state.rooms.count
            try checkMassDelete(
                changes: changes, managed: managedInScope, live: scope?.liveRooms(managedIDs: managedIDs) ?? index.rooms.count,
                options: options)
            try checkMassReadd(changes: changes, state: state, managed: managedInScope, options: options)
        }

        /// The plan, its changes in the order they are shown and applied: moves keep the manifests' order (a chain
        /// applies step by step); the rest go by key within their phase.
        consuming func finished() -> Plan {
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
    }
}
