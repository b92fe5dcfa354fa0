import RoomSyncCore

/// What one step of a state replaced, key by key, and what it wrote there: enough to take the state back to the
/// serial before the step (`state pull --serial N`) without a snapshot per write. A step that changes one room
/// records one room, whatever the number of rooms; the after values let a rewind check that the state it starts
/// from is the one the steps were recorded on.
public struct StateStep: Sendable, Hashable, Codable {
    /// A room the step wrote or removed.
    public struct Room: Sendable, Hashable, Codable {
        public var key: String
        public var before: ManagedRoom?
        public var after: ManagedRoom?

        public init(key: String, before: ManagedRoom?, after: ManagedRoom?) {
            self.key = key
            self.before = before
            self.after = after
        }
    }

    /// A journaled add the step wrote, replaced or settled. `position` is where the key stood in the journal
    /// before the step (absent when it was not there): the journal is a list, and its order is part of the state.
    public struct Journaled: Sendable, Hashable, Codable {
        public var key: String
        public var position: Int?
        public var before: PendingAdd?
        public var after: PendingAdd?

        public init(key: String, position: Int?, before: PendingAdd?, after: PendingAdd?) {
            self.key = key
            self.position = position
            self.before = before
            self.after = after
        }
    }

    /// The document (target, accepted drift, lineage) before and after the step, when the step changed it. A
    /// `before` of nil: the step was the state's first, and before it there was nothing.
    public struct Document: Sendable, Hashable, Codable {
        public var before: RoomSyncState?
        public var after: RoomSyncState

        public init(before: RoomSyncState?, after: RoomSyncState) {
            self.before = before?.document
            self.after = after.document
        }
    }

    /// The serial the step wrote; undoing it gives the state at `serial - 1`.
    public var serial: Int
    public var rooms: [Room]
    public var journal: [Journaled]
    public var document: Document?

    public init(serial: Int, rooms: [Room] = [], journal: [Journaled] = [], document: Document? = nil) {
        self.serial = serial
        self.rooms = rooms
        self.journal = journal
        self.document = document
    }

    /// The step that turns `before` into `after`, for the keys `changes` name. The journal's keys are also found
    /// by comparing the two journals, and when the keys left alone changed order (nothing roomsync does), every
    /// journaled add is recorded, so undoing the step always restores the journal's order exactly.
    public static func between(_ before: RoomSyncState, _ after: RoomSyncState, changes: [StateChange]) -> StateStep {
        var step = StateStep(serial: after.serial)
        var roomKeys: Set<String> = []
        var journalKeys: Set<String> = []
        for change in changes {
            switch change.kind {
            case .room, .removed: roomKeys.insert(change.key)
            case .journaled, .unjournaled: journalKeys.insert(change.key)
            case .document: break
            }
        }
        step.rooms = roomKeys.sorted().map { Room(key: $0, before: before.rooms[$0], after: after.rooms[$0]) }

        let beforeJournal = Dictionary(before.pendingAdds.enumerated().map { ($1.key, ($0, $1)) }, uniquingKeysWith: { first, _ in first })
        let afterJournal = Dictionary(after.pendingAdds.map { ($0.key, $0) }, uniquingKeysWith: { first, _ in first })
        for key in Set(beforeJournal.keys).union(afterJournal.keys) where beforeJournal[key]?.1 != afterJournal[key] {
            journalKeys.insert(key)
        }
        let untouchedBefore = before.pendingAdds.map(\.key).filter { !journalKeys.contains($0) }
        let untouchedAfter = after.pendingAdds.map(\.key).filter { !journalKeys.contains($0) }
        if untouchedBefore != untouchedAfter || beforeJournal.count != before.pendingAdds.count {
            journalKeys.formUnion(beforeJournal.keys)
            journalKeys.formUnion(afterJournal.keys)
        }
        step.journal = journalKeys.sorted().map {
            Journaled(key: $0, position: beforeJournal[$0]?.0, before: beforeJournal[$0]?.1, after: afterJournal[$0])
        }

        if before.document != after.document || changes.contains(where: { $0.kind == .document }) {
            step.document = Document(before: before, after: after)
        }
        return step
    }
}

extension RoomSyncState {
    /// The state as it was before `step`, the step that made this one. Fails, naming the store, when this state
    /// is not what the step left (a file edited by hand, or restored from git behind its history's back).
    public func undoing(_ step: StateStep, in store: String) throws -> RoomSyncState {
        func mismatch(_ what: MessageKey, _ values: KeyValuePairs<String, any CustomStringConvertible> = [:]) -> RoomSyncError {
            RoomSyncError(.stateUndoMismatch, ["state": store, "serial": step.serial, "what": Catalogue.text(what, values)])
        }
        guard serial == step.serial else { throw mismatch(.stateUndoSerial, ["serial": serial]) }
        var state = self
        for room in step.rooms {
            guard state.rooms[room.key] == room.after else { throw mismatch(.stateUndoRoom, ["key": room.key]) }
            state.rooms[room.key] = room.before
        }
        if !step.journal.isEmpty {
            let current = Dictionary(state.pendingAdds.map { ($0.key, $0) }, uniquingKeysWith: { first, _ in first })
            for entry in step.journal where current[entry.key] != entry.after {
                throw mismatch(.stateUndoJournal, ["key": entry.key])
            }
            let touched = Set(step.journal.map(\.key))
            var journal = state.pendingAdds.filter { !touched.contains($0.key) }
            // Put back in the order they stood: each position counts the ones before it, already put back.
            let restored = step.journal.compactMap { entry in entry.before.map { (entry.position ?? .max, $0) } }
            for (position, pending) in restored.sorted(by: { $0.0 < $1.0 }) {
                journal.insert(pending, at: min(position, journal.count))
            }
            state.pendingAdds = journal
        }
        if let document = step.document {
            guard state.document == document.after else { throw mismatch(.stateUndoDocument) }
            let before = document.before ?? RoomSyncState()
            state.formatVersion = before.formatVersion
            state.target = before.target
            state.acceptedDrift = before.acceptedDrift
            state.lineage = before.lineage
        }
        state.serial = step.serial - 1
        return state
    }

    /// This state taken back to `target` by undoing `steps` (any order; for a serial recorded twice, the last one
    /// given wins, as a state restored from an older copy writes its serials again). One clear line when
    /// `target` is not a serial this state had, or a step on the way back was not recorded.
    public func rewound(to target: Int, steps: [StateStep], in store: String) throws -> RoomSyncState {
        guard target <= serial, target >= 0 else {
            throw RoomSyncError(.stateNoSuchSerial, ["state": store, "target": target, "serial": serial, "range": Self.range(steps, serial)])
        }
        var bySerial: [Int: StateStep] = [:]
        for step in steps where step.serial > target && step.serial <= serial { bySerial[step.serial] = step }
        var state = self
        while state.serial > target {
            guard let step = bySerial[state.serial] else {
                throw RoomSyncError(
                    .stateStepNotRecorded, ["state": store, "target": target, "step": state.serial, "range": Self.range(steps, serial)])
            }
            state = try state.undoing(step, in: store)
        }
        return state
    }

    /// `; serials A to B can be pulled`, from the unbroken run of recorded steps that ends at `serial`.
    private static func range(_ steps: [StateStep], _ serial: Int) -> String {
        let recorded = Set(steps.map(\.serial))
        var earliest = serial
        while earliest > 0, recorded.contains(earliest) { earliest -= 1 }
        return earliest == serial
            ? Catalogue.text(.stateOnlySerialPullable, ["serial": serial])
            : Catalogue.text(.stateSerialsPullable, ["earliest": earliest, "serial": serial])
    }
}
