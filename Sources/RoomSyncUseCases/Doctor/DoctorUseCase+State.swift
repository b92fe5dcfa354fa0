import Foundation
import RoomSyncCore
import RoomSyncEngine
import RoomSyncPostgres

extension DoctorUseCase {
    /// What doctor reads of the state: its name, the state, and who holds its lock, each read apart so a bad
    /// state file still has its lock checked.
    struct StateLook: Sendable {
        var name: String
        var state: Result<RoomSyncState, any Error>
        var holder: Result<String?, any Error>
        /// A database's tables: there and writable, or creatable by this user.
        var tables: Result<(ok: Bool, message: String), any Error>?
    }

    /// The state through the `StateStore` seam, whichever backend keeps it: readable, bound to this target, and
    /// not locked (or who holds it). Opened only to look, it creates nothing, takes no lock and writes nothing;
    /// bounded by `--timeout` and at most 10 s, since a database that never answers must not hang doctor.
    static func checkState(
        _ location: StateLocation, timeoutSeconds: Double, target: StateTarget?, _ report: inout DoctorReport
    ) async {
        let seconds = min(10, timeoutSeconds)
        let fix = "check that the database server is running and accepts connections from here, and the host, "
            + "port, database and user in --state (or ROOMSYNC_STATE) and its password (PGPASSWORD or the URL)"
        if location.isPostgres {
            do {
                _ = try PostgresStateLocation(url: location.state, workspace: location.workspaceName)
            } catch {
                report.fail("state: \(message(error))")
                report.warn("state target and lock: not checked without the state")
                return
            }
        }
        let look: StateLook?
        do {
            look = try await withTimeLimit(.milliseconds(Int64(seconds * 1000))) {
                try await location.withStore(lookingOnly: true) { store in
                    StateLook(
                        name: store.displayName, state: await result {
                            let state = try await store.load()
                            try state.checkOneKeyPerRoom(in: store.displayName)
                            return state
                        },
                        holder: await result { try await store.lockHolder() },
                        tables: await (store as? PostgresStateStore).asyncMap { database in
                            await result { try await database.checkTables() }
                        })
                }
            }
        } catch {
            // Only a database fails to open: a file store is opened by reading it.
            report.fail("state: \(message(error)); \(fix)")
            report.warn("state target and lock: not checked without the state")
            return
        }
        guard let look else {
            let what = location.databaseServer.map { "state database \($0)" } ?? "state \(location.displayName)"
            report.fail("state: \(what) did not answer within \(secondsText(seconds)) s; \(location.isPostgres ? fix : "check the file system it is on")")
            report.warn("state target and lock: not checked without the state")
            return
        }
        switch look.state {
        case .success(var state):
            if state == RoomSyncState() {
                report.ok("state: none yet at \(look.name); the first apply (or export) creates it")
            } else {
                report.ok("state: \(look.name) is readable, \(state.rooms.count) managed room(s)")
                if let target {
                    do {
                        try StateFile.bind(&state, to: target, path: look.name)
                        report.ok("state target: \(state.target.map(\.description) ?? target.description)")
                    } catch {
                        report.fail("state target: \(message(error))")
                    }
                }
            }
        case .failure(let error):
            report.fail("state: \(message(error))" + (location.isPostgres ? "; \(fix)" : ""))
        }
        switch look.tables {
        case .success(let check)?:
            if check.ok { report.ok("state tables: \(check.message)") } else { report.fail("state tables: \(check.message)") }
        case .failure(let error)?:
            report.fail("state tables: cannot tell whether user may create or write them: \(message(error))")
        case nil:
            break
        }
        switch look.holder {
        case .success(let holder?):
            report.fail("state lock: \(look.name) is locked by \(holder); wait for that run to finish")
        case .success(nil):
            report.ok("state lock: not locked")
        case .failure(let error):
            report.fail("state lock: cannot tell whether \(look.name) is locked: \(message(error))")
        }
    }

    /// What `body` returned or threw, for a check that reports a failure and goes on.
    static func result<T>(_ body: () async throws -> T) async -> Result<T, any Error> {
        do { return .success(try await body()) } catch { return .failure(error) }
    }

    /// `2` for 2 seconds, `0.5` for half of one.
    static func secondsText(_ value: Double) -> String {
        value == value.rounded() ? String(Int(value)) : String(format: "%.1f", value)
    }
}

extension Optional {
    /// `map` with an async transform.
    func asyncMap<U>(_ transform: (Wrapped) async throws -> U) async rethrows -> U? {
        guard let value = self else { return nil }
        return try await transform(value)
    }
}
