import RoomSyncCore

/// The state during an apply. Every successful operation is recorded and the file rewritten atomically before the
/// next one is reported, so a process killed at any moment leaves a state that matches what WeCom did, up to
/// the adds journaled but not yet answered.
///
/// Writes are shared ("group commit"): a change made while a write is under way waits for it, then one write
/// carries every change made in the meantime. Each caller still returns only once a file holding its change is on
/// disk, but parallel operations no longer queue behind one full rewrite each.
public actor StateRecorder {
    public private(set) var state: RoomSyncState
    public let path: String
    /// Changes made in memory so far, and how many of them the file on disk holds.
    private var changes = 0
    private var saved = 0
    /// The write under way, if any; at most one at a time, so the file never goes back to an older state.
    private var writing: Task<Void, any Error>?
    /// Keeps each room's encoded text between writes: most writes change one room.
    private let encoder = StateFileEncoder()

    public init(state: RoomSyncState, path: String) {
        self.state = state
        self.path = path
    }

    /// Returns once the file holds every change made so far, writing it unless a write already under way will.
    private func save() async throws {
        changes += 1
        let mine = changes
        while saved < mine {
            if let writing {
                // That write may predate this change: wait for it, then look again. Its failure is reported to
                // whoever started it; if this change is still not on disk, the loop starts another write.
                _ = try? await writing.value
                continue
            }
            try await write().value
        }
    }

    /// Starts writing the current state. The task itself records what it saved and clears `writing`, in the step
    /// that finishes it, so that no waiter ever sees a finished write still under way.
    private func write() -> Task<Void, any Error> {
        let snapshot = state, upTo = changes, path = path, encoder = encoder
        let task = Task {
            defer { self.writing = nil }
            // Encoding and writing happen off the actor, so operations can record more changes meanwhile.
            try await Task.detached { try StateFile.save(snapshot, to: path, encoder: encoder) }.value
            self.saved = max(self.saved, upTo)
        }
        writing = task
        return task
    }

    /// Written down before the add is sent.
    public func journal(_ pending: PendingAdd) async throws {
        state.pendingAdds.removeAll { $0.key == pending.key }
        state.pendingAdds.append(pending)
        try await save()
    }

    /// The add was answered with an error, so it was not applied.
    public func clearJournal(key: String) async throws {
        state.pendingAdds.removeAll { $0.key == key }
        try await save()
    }

    public func record(key: String, meetingroomID: Int, protect: Bool, applied: MeetingRoom) async throws {
        state.rooms[key] = ManagedRoom(meetingroomID: meetingroomID, protect: protect, applied: applied)
        state.pendingAdds.removeAll { $0.key == key }
        state.clearAcceptedDrift(key: key, meetingroomID: meetingroomID)
        try await save()
    }

    public func forget(key: String) async throws {
        try await forget(key: key, meetingroomID: nil)
    }

    /// The room was deleted: its key leaves the state, with whatever drift was accepted about the key or the room.
    public func forget(key: String, meetingroomID: Int?) async throws {
        let accepted = state.acceptedDrift
        state.clearAcceptedDrift(key: key, meetingroomID: meetingroomID)
        guard state.rooms.removeValue(forKey: key) != nil || accepted != state.acceptedDrift else { return }
        try await save()
    }

    public func isManaged(_ meetingroomID: Int) -> Bool {
        state.rooms.values.contains { $0.meetingroomID == meetingroomID }
    }

    /// Applies the plan's state-only updates (protect flags, keys whose room is gone).
    public func applyStateUpdates(of plan: Plan) async throws {
        guard plan.hasStateUpdates else { return }
        for (key, protect) in plan.protectUpdates { state.rooms[key]?.protect = protect }
        for key in plan.forgottenKeys { state.rooms.removeValue(forKey: key) }
        try await save()
    }
}
