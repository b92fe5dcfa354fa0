import RoomSyncCore

/// The state during an apply. Every successful operation is recorded and the file rewritten atomically before the
/// next one is reported, so a process killed at any moment leaves a state that matches what WeCom did, up to
/// the adds journaled but not yet answered.
public actor StateRecorder {
    public private(set) var state: RoomSyncState
    public let path: String

    public init(state: RoomSyncState, path: String) {
        self.state = state
        self.path = path
    }

    private func save() throws {
        try StateFile.save(state, to: path)
    }

    /// Written down before the add is sent.
    public func journal(_ pending: PendingAdd) throws {
        state.pendingAdds.removeAll { $0.key == pending.key }
        state.pendingAdds.append(pending)
        try save()
    }

    /// The add was answered with an error, so it was not applied.
    public func clearJournal(key: String) throws {
        state.pendingAdds.removeAll { $0.key == key }
        try save()
    }

    public func record(key: String, meetingroomID: Int, protect: Bool, applied: MeetingRoom) throws {
        state.rooms[key] = ManagedRoom(meetingroomID: meetingroomID, protect: protect, applied: applied)
        state.pendingAdds.removeAll { $0.key == key }
        try save()
    }

    public func forget(key: String) throws {
        guard state.rooms.removeValue(forKey: key) != nil else { return }
        try save()
    }

    public func isManaged(_ meetingroomID: Int) -> Bool {
        state.rooms.values.contains { $0.meetingroomID == meetingroomID }
    }

    /// Applies the plan's state-only updates (protect flags, keys whose room is gone).
    public func applyStateUpdates(of plan: Plan) throws {
        guard plan.hasStateUpdates else { return }
        for (key, protect) in plan.protectUpdates { state.rooms[key]?.protect = protect }
        for key in plan.forgottenKeys { state.rooms.removeValue(forKey: key) }
        try save()
    }
}
