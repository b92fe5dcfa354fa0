import Foundation
import RoomSyncCore
import RoomSyncEngine
import RoomSyncPostgres

/// Where the state lives and how long to wait for its lock (SPEC 3 and 8): the one place `--state` becomes a
/// `StateStore`.
public struct StateLocation: Sendable, Hashable {
    /// A file, or `postgres://USER@HOST:PORT/DB`.
    public var state: String
    /// The workspace in a postgres database; `nil` when none was named.
    public var workspace: String?
    /// Seconds to wait for the lock; 0 fails at once naming the holder.
    public var lockTimeout: Double

    public init(state: String, workspace: String? = nil, lockTimeout: Double = 0) {
        self.state = state
        self.workspace = workspace
        self.lockTimeout = lockTimeout
    }

    /// What parsing cannot see: an empty state and a workspace for a file are errors, one line each, when the
    /// store is opened.
    public func checkNaming() throws {
        let environment = ProcessInfo.processInfo.environment
        // An empty ROOMSYNC_STATE is a CI secret that is missing: planning on an empty state would show every
        // room as new, and the pull request's comment would be wrong.
        guard !state.isEmpty else {
            if environment["ROOMSYNC_STATE"] == "" {
                throw RoomSyncError(.stateVariableEmpty)
            }
            throw RoomSyncError(.stateFlagEmpty)
        }
        if !isPostgres, let workspace {
            let named = environment["ROOMSYNC_WORKSPACE"] == workspace ? "ROOMSYNC_WORKSPACE" : "--workspace"
            throw RoomSyncError(.workspaceWithFileState, ["option": named, "workspace": workspace, "state": state])
        }
    }

    public var isPostgres: Bool { PostgresStateLocation.isPostgresURL(state) }

    /// The workspace of a postgres state.
    public var workspaceName: String { workspace ?? "default" }

    /// The state as it may be printed: a database URL's password is never shown.
    public var displayName: String { isPostgres ? PostgresStateLocation.redacted(state) : state }

    /// `HOST:PORT` of the state's database, for messages about it; `nil` for a file (or a URL that does not parse,
    /// which opening the store reports).
    public var databaseServer: String? {
        guard isPostgres else { return nil }
        return (try? PostgresStateLocation(url: state, workspace: workspaceName))?.server
    }

    /// How long to wait for the lock.
    public var lockWait: Duration { .milliseconds(Int64(lockTimeout * 1000)) }

    /// Opens the store for the length of `body`. `lookingOnly` (doctor, state pull, plan, drift) opens it without
    /// creating anything: a database roomsync never used stays as it is and reads as an empty state.
    public func withStore<T>(lookingOnly: Bool = false, _ body: (any StateStore) async throws -> T) async throws -> T {
        try checkNaming()
        if isPostgres {
            return try await withPostgresStateStore(url: state, workspace: workspaceName, creatingTables: !lookingOnly) {
                try await body($0)
            }
        }
        return try await body(FileStateStore(path: state))
    }

    /// Opens the store and holds its lock for the length of `body`: one writer at a time per state. Readers
    /// (plan, drift) take it too, `lookingOnly`, so an apply in progress is never read half done. A lock held by
    /// another run is a note while waiting for it.
    public func withLockedStore<T: Sendable>(
        command: String, lookingOnly: Bool = false, notes: any NoteReporter, _ body: (any StateStore) async throws -> T
    ) async throws -> T {
        try await withStore(lookingOnly: lookingOnly) { store in
            // A reader of a state file whose folder does not exist (nothing was ever applied) or cannot be written
            // (a read-only checkout) reads without the lock rather than create the folder or fail.
            if lookingOnly, !isPostgres, !FileManager.default.fileExists(atPath: state + ".lock"),
                !FileManager.default.isWritableFile(atPath: URL(fileURLWithPath: state).deletingLastPathComponent().path)
            {
                return try await body(store)
            }
            return try await store.withLock(
                .current(command: command), wait: lockWait,
                onWait: { [displayName, lockTimeout] holder in
                    notes.note(Catalogue.text(
                        .noteStateLockedWaiting, ["state": displayName, "holder": holder, "seconds": Int(lockTimeout.rounded(.up))]))
                }
            ) { try await body(store) }
        }
    }

    /// Runs `body` on the state under its lock and stores what `body` leaves as one step. Commands that edit the
    /// state outside apply (import, export, state mv|rm) all go through here.
    /// `repairing`: the command may fix a state that maps one room to two keys (`StateStore.edit`).
    public func withLockedState<T: Sendable>(
        command: String, repairing: Bool = false, notes: any NoteReporter,
        _ body: (any StateStore, inout RoomSyncState) async throws -> T
    ) async throws -> T {
        try await withLockedStore(command: command, notes: notes) { store in
            try await store.edit(action: command, by: .current(command: command), repairing: repairing) { try await body(store, &$0) }
        }
    }
}
