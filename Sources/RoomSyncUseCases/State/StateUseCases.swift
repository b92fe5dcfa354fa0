import Foundation
import RoomSyncCore
import RoomSyncEngine

/// `roomsync state …`: reading and editing the state outside apply, over any backend. Edits are one step each
/// under the state's lock; reads create nothing.
public enum StateUseCases {
    /// `state list` and `state show`: the state as stored.
    public static func load(_ location: StateLocation) async throws -> RoomSyncState {
        try await location.withStore(lookingOnly: true) { try await $0.load() }
    }

    /// `state show KEY`: the managed room, or a one-line error naming the key.
    public static func show(_ key: String, in location: StateLocation) async throws -> ManagedRoom {
        guard let entry = try await load(location).rooms[key] else { throw StateEdits.noSuchKey(key) }
        return entry
    }

    /// `state mv OLD NEW`.
    public static func move(_ old: String, to new: String, in location: StateLocation, notes: any NoteReporter) async throws {
        try await location.withLockedState(command: "move", notes: notes) { try StateEdits.move(old, to: new, in: &$1) }
    }

    /// `state rm KEY`: stops managing the key; the live room is left alone. May repair a state that maps one room
    /// to two keys.
    public static func remove(_ key: String, from location: StateLocation, notes: any NoteReporter) async throws {
        try await location.withLockedState(command: "rm", repairing: true, notes: notes) { try StateEdits.remove(key, from: &$1) }
    }

    /// `state history`: who changed which room when, newest first.
    public static func history(key: String?, limit: Int, in location: StateLocation) async throws -> [StateHistoryEntry] {
        try await location.withStore { try await $0.history(key: key, limit: limit) }
    }

    /// `state pull`: the state as a state file, or as it was at `serial`.
    public static func pull(serial: Int?, from location: StateLocation) async throws -> Data {
        try await location.withStore(lookingOnly: true) { store in
            if let serial { try await StateTransfer.pull(from: store, serial: serial) } else {
                try await StateTransfer.pull(from: store)
            }
        }
    }

    /// `state push FILE`: loads a state file into the backend; returns the state stored.
    public static func push(
        file: String, force: Bool, into location: StateLocation, notes: any NoteReporter
    ) async throws -> RoomSyncState {
        try await location.withStore { store in
            try await StateTransfer.push(
                file: file, into: store, force: force, by: .current(command: "state push"), wait: location.lockWait,
                onWait: { [displayName = location.displayName] holder in
                    notes.note(Catalogue.text(.noteStateLocked, ["state": displayName, "holder": holder]))
                })
        }
    }
}
