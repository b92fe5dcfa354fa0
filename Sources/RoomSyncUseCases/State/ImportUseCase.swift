import RoomSyncCore
import RoomSyncEngine

/// What `import` is given, once its arguments are parsed.
public struct ImportInput: Sendable {
    public var key: String
    public var meetingroomID: Int
    /// The manifests read: one of them must declare `key`.
    public var manifests: ManifestReadResult

    public init(key: String, meetingroomID: Int, manifests: ManifestReadResult) {
        self.key = key
        self.meetingroomID = meetingroomID
        self.manifests = manifests
    }
}

/// `roomsync import`: records in the state that a manifest key manages a live room, as one step under the lock.
public enum ImportUseCase {
    public static func run(
        _ input: ImportInput, state: StateLocation, api: any MeetingRoomAPIProvider, notes: any NoteReporter
    ) async throws {
        // A key no manifest declares would be deleted by the next plan.
        try StateEdits.checkDeclared(input.key, in: input.manifests)
        try await state.withLockedState(command: "import", notes: notes) { store, state in
            try await api.withAPI { api, target in
                try await StateEdits.importRoom(
                    key: input.key, meetingroomID: input.meetingroomID, api: api, target: target, state: &state,
                    path: store.displayName)
            }
        }
    }
}
