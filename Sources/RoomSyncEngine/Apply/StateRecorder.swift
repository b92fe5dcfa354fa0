import RoomSyncCore

/// The state during an apply. Every successful operation is recorded and stored before the next one is reported,
/// so a process killed at any moment leaves a state that matches what WeCom did, up to the adds journaled but not
/// yet answered.
///
/// Writes are shared ("group commit"): a change made while a write is under way waits for it, then one write
/// carries every change made in the meantime, as one step (one serial) of the store. Each caller still returns
/// only once a stored state holds its change, but parallel operations no longer queue behind one write each.
public actor StateRecorder {
    public private(set) var state: RoomSyncState
    public let store: any StateStore
    public let writer: StateWriter
    /// Changes made in memory so far, and how many of them the store holds.
    private var changes = 0
    private var saved = 0
    /// What changed since the last write began, for the store's rows and history.
    private var unsaved: [StateChange] = []
    /// The write under way, if any; at most one at a time, so the store never goes back to an older state.
    private var writing: Task<Void, any Error>?
    /// Which key manages each live room: the index every mapping write checks, so one room never gets two keys.
    private var managers: [Int: String]
    /// Adds sent and not answered yet, by key. An add whose answer was lost is matched to a live room only once no
    /// add that could have made the same room is still waiting for its answer: the room it would find may be that
    /// add's, created but not yet recorded.
    private var unanswered: [String: AddMeetingRoomRequest] = [:]
    private var answerWaiters: [CheckedContinuation<Void, Never>] = []

    public init(state: RoomSyncState, store: any StateStore, writer: StateWriter) {
        self.state = state
        self.store = store
        self.writer = writer
        var managers: [Int: String] = [:]
        managers.reserveCapacity(state.rooms.count)
        for (key, room) in state.rooms { managers[room.meetingroomID] = key }
        self.managers = managers
    }

    /// A recorder over the state file at `path`.
    public init(state: RoomSyncState, path: String) {
        self.init(state: state, store: FileStateStore(path: path), writer: .current(command: "apply"))
    }

    /// Returns once the store holds every change made so far, writing unless a write already under way will.
    private func save(_ change: StateChange) async throws {
        unsaved.append(change)
        changes += 1
        let mine = changes
        while saved < mine {
            if let writing {
                // That write may predate this change: wait for it, then look again. Its failure is reported to
                // whoever started it; if this change is still not stored, the loop starts another write.
                _ = try? await writing.value
                continue
            }
            try await write().value
        }
    }

    /// Starts storing the current state as the next step. The task itself records what it saved and clears
    /// `writing`, in the step that finishes it, so that no waiter ever sees a finished write still under way. A
    /// failed write gives its changes and its serial back, so the next write carries them.
    private func write() -> Task<Void, any Error> {
        state = state.nextStep()
        let snapshot = state, upTo = changes, store = store, writer = writer
        let carried = unsaved
        unsaved = []
        let task = Task {
            defer { self.writing = nil }
            do {
                // Encoding and writing happen off the actor, so operations can record more changes meanwhile.
                try await Task.detached { try await store.commit(snapshot, changes: carried, by: writer) }.value
            } catch {
                self.state.serial -= 1
                self.unsaved = carried + self.unsaved
                throw error
            }
            self.saved = max(self.saved, upTo)
        }
        writing = task
        return task
    }

    /// Written down before the add is sent.
    public func journal(_ pending: PendingAdd) async throws {
        state.pendingAdds.removeAll { $0.key == pending.key }
        state.pendingAdds.append(pending)
        try await save(StateChange(key: pending.key, kind: .journaled(pending), action: "add"))
    }

    /// The add of `key` is being sent (again): until it is answered (`record`, `clearJournal` or `waitForTwins`),
    /// lost adds that could have made the same room wait for it.
    public func sending(key: String, request: AddMeetingRoomRequest) {
        unanswered[key] = request
    }

    /// The add was answered with an error, so it was not applied.
    public func clearJournal(key: String) async throws {
        answered(key)
        state.pendingAdds.removeAll { $0.key == key }
        try await save(StateChange(key: key, kind: .unjournaled, action: "add"))
    }

    /// Maps `key` to a live room. The claim is checked here, where every mapping is written: a room another key
    /// manages is refused, whatever path the caller came by.
    /// `action` is what apply did (add, change, adopt), for the history.
    public func record(
        key: String, meetingroomID: Int, protect: Bool, applied: MeetingRoom, action: String = "add",
        ignoreChanges: [ManagedField] = []
    ) async throws {
        // Answered even if the claim is refused, so no lost add waits for this one for ever.
        answered(key)
        try claim(meetingroomID, for: key)
        let before = state.rooms[key]?.meetingroomID
        let room = ManagedRoom(meetingroomID: meetingroomID, protect: protect, applied: applied, ignoreChanges: ignoreChanges)
        state.rooms[key] = room
        let wasJournaled = state.pendingAdds.contains { $0.key == key }
        state.pendingAdds.removeAll { $0.key == key }
        if wasJournaled { unsaved.append(StateChange(key: key, kind: .unjournaled, action: action)) }
        // roomsync has just set the room to what the manifest says: what was accepted about it no longer holds.
        if clearAcceptedDrift(key: key, meetingroomID: meetingroomID) {
            unsaved.append(StateChange(key: "", kind: .document, action: action))
        }
        try await save(StateChange(key: key, kind: .room(room), action: action, meetingroomIDBefore: before))
    }

    /// Maps `key` to the first of `candidates` (in order) that no key manages yet, in one step of this actor, so
    /// two lost adds never take the same room. Returns the room taken, or `nil` when every candidate is managed.
    public func recordFirstUnmanaged(
        key: String, candidates: [MeetingRoom], protect: Bool, ignoreChanges: [ManagedField] = [],
        applied: @Sendable (MeetingRoom) -> MeetingRoom
    ) async throws -> MeetingRoom? {
        guard let room = candidates.first(where: { managers[$0.meetingroomID] == nil || managers[$0.meetingroomID] == key })
        else { return nil }
        try await record(
            key: key, meetingroomID: room.meetingroomID, protect: protect, applied: applied(room), action: "add",
            ignoreChanges: ignoreChanges)
        return room
    }

    /// The add of `key` got no usable answer: it no longer holds back the others, and waits itself until every
    /// other unanswered add that could have made the same room has been answered.
    public func waitForTwins(of key: String, request: AddMeetingRoomRequest) async {
        answered(key)
        while unanswered.contains(where: { $0.key != key && $0.value.couldCreateTheSameRoom(as: request) }) {
            await withCheckedContinuation { answerWaiters.append($0) }
        }
    }

    /// A manifest's `moved`: the key `from` becomes `to`, same room, no API call.
    public func move(from: String, to: String) async throws {
        guard let entry = state.rooms[from] else { throw StateEdits.noSuchKey(from) }
        guard state.rooms[to] == nil else { throw RoomSyncError(.moveTargetInState, ["key": to]) }
        state.rooms[from] = nil
        state.rooms[to] = entry
        managers[entry.meetingroomID] = to
        unsaved.append(StateChange(key: from, kind: .removed, action: "move", meetingroomIDBefore: entry.meetingroomID))
        // What was accepted about the room still holds under its new key.
        if let accepted = state.acceptedDrift, accepted.contains(where: { $0.key == from }) {
            state.acceptedDrift = accepted.map { item in
                var item = item
                if item.key == from { item.key = to }
                return item
            }
            unsaved.append(StateChange(key: "", kind: .document, action: "move"))
        }
        try await save(StateChange(key: to, kind: .room(entry), action: "move"))
    }

    /// The key's room was deleted: the key leaves the state, with whatever drift was accepted about the key or
    /// the room.
    /// `key` is nil for a room no key managed (`--prune`).
    public func forget(key: String?, meetingroomID: Int? = nil, action: String = "delete") async throws {
        let clearedAccepted = clearAcceptedDrift(key: key, meetingroomID: meetingroomID)
        guard let key, let removed = state.rooms.removeValue(forKey: key) else {
            if clearedAccepted { try await save(StateChange(key: "", kind: .document, action: action)) }
            return
        }
        if managers[removed.meetingroomID] == key { managers[removed.meetingroomID] = nil }
        if clearedAccepted { unsaved.append(StateChange(key: "", kind: .document, action: action)) }
        try await save(StateChange(key: key, kind: .removed, action: action, meetingroomIDBefore: removed.meetingroomID))
    }

    /// Whether anything accepted about the key or the room was dropped.
    private func clearAcceptedDrift(key: String?, meetingroomID: Int?) -> Bool {
        let accepted = state.acceptedDrift
        state.clearAcceptedDrift(key: key, meetingroomID: meetingroomID)
        return accepted != state.acceptedDrift
    }

    public func isManaged(_ meetingroomID: Int) -> Bool {
        managers[meetingroomID] != nil
    }

    /// Applies the plan's state-only updates (protect flags, keys whose room is gone), as one step.
    public func applyStateUpdates(of plan: Plan) async throws {
        guard plan.hasStateUpdates else { return }
        var steps: [StateChange] = []
        for key in Set(plan.protectUpdates.keys).union(plan.ignoreChangesUpdates.keys).union(plan.recordUpdates.keys).sorted() {
            guard var room = state.rooms[key] else { continue }
            var action = "settings"
            if let protect = plan.protectUpdates[key] { room.protect = protect }
            if let ignored = plan.ignoreChangesUpdates[key] { room.ignoreChanges = ignored }
            // The live room already was what the manifest asks: only the record catches up, and the history says
            // so. Drift accepted about the room was about the record that is gone.
            if let record = plan.recordUpdates[key], record.meetingroomID == room.meetingroomID {
                room.applied = record
                action = "refresh"
                if clearAcceptedDrift(key: key, meetingroomID: room.meetingroomID) {
                    steps.append(StateChange(key: "", kind: .document, action: action))
                }
            }
            state.rooms[key] = room
            steps.append(StateChange(key: key, kind: .room(room), action: action, meetingroomIDBefore: room.meetingroomID))
        }
        for key in plan.forgottenKeys {
            guard let removed = state.rooms.removeValue(forKey: key) else { continue }
            if managers[removed.meetingroomID] == key { managers[removed.meetingroomID] = nil }
            if clearAcceptedDrift(key: key, meetingroomID: removed.meetingroomID) {
                steps.append(StateChange(key: "", kind: .document, action: "forget"))
            }
            steps.append(StateChange(key: key, kind: .removed, action: "forget", meetingroomIDBefore: removed.meetingroomID))
        }
        guard let last = steps.popLast() else { return }
        unsaved += steps
        try await save(last)
    }

    /// Stores the state as it is (settled journaled adds, a new target binding) in one step: `changes` computed
    /// by comparing it with what the store holds.
    public func saveSettled(from stored: RoomSyncState, action: String) async throws {
        let steps = StateChange.between(stored, state, action: action)
        guard let last = steps.last else { return }
        unsaved += steps.dropLast()
        try await save(last)
    }

    private func claim(_ meetingroomID: Int, for key: String) throws {
        if let holder = managers[meetingroomID], holder != key {
            throw RoomSyncError(.roomManagedByOtherKey, ["id": meetingroomID, "holder": holder, "key": key])
        }
        if let previous = state.rooms[key]?.meetingroomID, previous != meetingroomID, managers[previous] == key {
            managers[previous] = nil
        }
        managers[meetingroomID] = key
    }

    private func answered(_ key: String) {
        guard unanswered.removeValue(forKey: key) != nil else { return }
        let waiters = answerWaiters
        answerWaiters = []
        for waiter in waiters { waiter.resume() }
    }
}

extension AddMeetingRoomRequest {
    /// Whether two adds would make rooms that listing cannot tell apart: whether `wouldCreate` takes the room
    /// `other` creates as a list that hides ranges shows it.
    func couldCreateTheSameRoom(as other: AddMeetingRoomRequest) -> Bool {
        var listed = appliedRecord(afterAdding: other, id: 0, live: nil)
        listed.range = nil
        return wouldCreate(listed)
    }

    /// Whether `live` is the room this add would create: everything the add sent that `list` shows as sent
    /// (`ManagedFieldRow.created`: the coordinate belongs to the building, a range counts only when both have one).
    func wouldCreate(_ live: MeetingRoom) -> Bool {
        ManagedFieldTable.allRows { row in row.created(by: self, live) }
    }
}
