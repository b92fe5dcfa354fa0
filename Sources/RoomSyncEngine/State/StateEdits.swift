import RoomSyncCore

/// The edits `roomsync import` and `roomsync state …` make to a state.
public enum StateEdits {
    /// Refuses a key the manifest reader would refuse, by its own rule (`ManifestRules.isValidKey`).
    static func checkKey(_ key: String) throws {
        guard ManifestRules.isValidKey(key) else {
            throw RoomSyncError(.invalidKey, ["key": key, "pattern": ManifestRules.keyPattern])
        }
    }

    /// `roomsync import`: binds `state` to the target, lists, and adopts the live room `meetingroomID` under `key`.
    public static func importRoom(
        key: String, meetingroomID: Int, api: any MeetingRoomAPI, target: StateTarget, state: inout RoomSyncState, path: String
    ) async throws {
        try StateFile.bind(&state, to: target, path: path)
        let live = try await api.listMeetingRooms(ListMeetingRoomsRequest())
        try importRoom(key: key, meetingroomID: meetingroomID, live: live, state: &state)
    }

    /// Adopts the live room `meetingroomID` under `key`.
    public static func importRoom(key: String, meetingroomID: Int, live: [MeetingRoom], state: inout RoomSyncState) throws {
        try checkKey(key)
        if let entry = state.rooms[key] {
            throw RoomSyncError(.keyAlreadyManages, ["key": key, "id": entry.meetingroomID])
        }
        if let holder = state.key(managing: meetingroomID) {
            throw RoomSyncError(.roomAlreadyManagedAs, ["id": meetingroomID, "holder": holder, "key": key])
        }
        guard let room = live.first(where: { $0.meetingroomID == meetingroomID }) else {
            throw RoomSyncError(.noLiveRoom, ["id": meetingroomID])
        }
        state.rooms[key] = ManagedRoom(meetingroomID: meetingroomID, protect: false, applied: room)
    }

    /// `import KEY`'s key must be a room of the manifests, as the manifest's `import:` entry's must (SPEC 3): a key
    /// no manifest declares would be imported, then deleted by the next plan.
    public static func checkDeclared(_ key: String, in manifests: ManifestReadResult) throws {
        try checkKey(key)
        guard manifests.rooms.contains(where: { $0.key == key }) else {
            throw RoomSyncError(.keyNotInManifests, ["key": key, "files": manifests.files.joined(separator: ", ")])
        }
    }

    /// The error for a key the state does not have, with where to look.
    public static func noSuchKey(_ key: String) -> RoomSyncError {
        RoomSyncError(.noSuchKey, ["key": key])
    }

    public static func move(_ old: String, to new: String, in state: inout RoomSyncState) throws {
        try checkKey(new)
        guard let entry = state.rooms[old] else { throw noSuchKey(old) }
        guard state.rooms[new] == nil else { throw RoomSyncError(.keyAlreadyInState, ["key": new]) }
        state.rooms[old] = nil
        state.rooms[new] = entry
    }

    public static func remove(_ key: String, from state: inout RoomSyncState) throws {
        guard state.rooms.removeValue(forKey: key) != nil else { throw noSuchKey(key) }
    }
}
