import ArgumentParser
import Foundation
import RoomSyncCore
import RoomSyncEngine
import RoomSyncPostgres

/// Where the state lives and how long to wait for its lock (SPEC 3 and 8). The one place the executable turns
/// `--state` into a `StateStore`.
struct StateOptions: ParsableArguments {
    @Option(help: "The state: a file, or postgres://USER@HOST:PORT/DB (also ROOMSYNC_STATE).")
    var state: String = ProcessInfo.processInfo.environment["ROOMSYNC_STATE"] ?? ".roomsync/state.json"

    @Option(help: "The state's workspace in a postgres database (also ROOMSYNC_WORKSPACE).")
    var workspace: String = ProcessInfo.processInfo.environment["ROOMSYNC_WORKSPACE"] ?? "default"

    @Option(help: "Seconds to wait for the state's lock; 0 fails at once naming the holder.")
    var lockTimeout: Double = 0

    func validate() throws {
        guard lockTimeout >= 0, lockTimeout.isFinite else { throw ValidationError("--lock-timeout must be 0 or more seconds") }
    }

    var isPostgres: Bool { state.hasPrefix("postgres://") || state.hasPrefix("postgresql://") }

    /// `--state` as it may be printed: a database URL's password is never shown.
    var displayName: String {
        guard isPostgres, let at = state.firstIndex(of: "@"),
            let schemeEnd = state.range(of: "://")?.upperBound,
            let colon = state[schemeEnd..<at].firstIndex(of: ":")
        else { return state }
        return String(state[..<colon]) + ":REDACTED" + String(state[at...])
    }

    /// Opens the store for the length of `body`. `lookingOnly` (doctor) opens it without creating anything: a
    /// database roomsync never used stays as it is and reads as an empty state.
    func withStore<T>(lookingOnly: Bool = false, _ body: (any StateStore) async throws -> T) async throws -> T {
        if isPostgres {
            return try await withPostgresStateStore(url: state, workspace: workspace, creatingTables: !lookingOnly) {
                try await body($0)
            }
        }
        return try await body(FileStateStore(path: state))
    }

    /// `HOST:PORT` of the state's database, for messages about it; `nil` for a file (or a URL that does not parse,
    /// which opening the store reports).
    var databaseServer: String? {
        guard isPostgres else { return nil }
        return (try? PostgresStateLocation(url: state, workspace: workspace))?.server
    }

    /// How long to wait for the lock.
    var lockWait: Duration { .milliseconds(Int64(lockTimeout * 1000)) }

    /// Opens the store and holds its lock for the length of `body`: one writer at a time per state.
    func withLockedStore<T: Sendable>(command: String, _ body: (any StateStore) async throws -> T) async throws -> T {
        try await withStore { store in
            try await store.withLock(
                .current(command: command), wait: lockWait,
                onWait: { [displayName, lockTimeout] holder in
                    Console.err("note: state \(displayName) is locked by \(holder); waiting up to \(Int(lockTimeout.rounded(.up))) s for it")
                }
            ) { try await body(store) }
        }
    }

    /// Runs `body` on the state under its lock and stores what `body` leaves as one step. Commands that edit the
    /// state outside apply (import, export, state mv|rm) all go through here.
    /// `repairing`: the command may fix a state that maps one room to two keys (`StateStore.edit`).
    func withLockedState<T: Sendable>(
        command: String, repairing: Bool = false, _ body: (any StateStore, inout RoomSyncState) async throws -> T
    ) async throws -> T {
        try await withLockedStore(command: command) { store in
            try await store.edit(action: command, by: .current(command: command), repairing: repairing) { try await body(store, &$0) }
        }
    }
}
