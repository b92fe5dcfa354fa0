import ArgumentParser
import Foundation
import RoomSyncCore
import RoomSyncEngine
import RoomSyncUseCases

/// `--state`, `--workspace` and `--lock-timeout` (SPEC 3 and 8), handed to the use cases as a `StateLocation`.
struct StateOptions: ParsableArguments {
    @Option(help: "The state: a file, or postgres://USER@HOST:PORT/DB (also ROOMSYNC_STATE).")
    var state: String = ProcessInfo.processInfo.environment["ROOMSYNC_STATE"] ?? ".roomsync/state.json"

    /// Optional so that naming a workspace for a file state is an error rather than silently ignored.
    @Option(help: "The state's workspace in a postgres database (also ROOMSYNC_WORKSPACE; default: default).")
    var workspace: String? = ProcessInfo.processInfo.environment["ROOMSYNC_WORKSPACE"]

    @Option(help: "Seconds to wait for the state's lock; 0 fails at once naming the holder.")
    var lockTimeout: Double = 0

    func validate() throws {
        guard lockTimeout >= 0, lockTimeout.isFinite else { throw ValidationError("--lock-timeout must be 0 or more seconds") }
    }

    /// The options as the use cases take them.
    var location: StateLocation { StateLocation(state: state, workspace: workspace, lockTimeout: lockTimeout) }

    var isPostgres: Bool { location.isPostgres }

    /// `--state` as it may be printed: a database URL's password is never shown.
    var displayName: String { location.displayName }
}
