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
        let fix = Catalogue.text(.doctorDatabaseFix)
        if location.isPostgres {
            do {
                _ = try PostgresStateLocation(url: location.state, workspace: location.workspaceName)
            } catch {
                report.fail(Catalogue.text(.doctorStateError, ["message": message(error)]))
                report.warn(Catalogue.text(.doctorStateNotChecked))
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
            report.fail(Catalogue.text(.doctorStateErrorFix, ["message": message(error), "fix": fix]))
            report.warn(Catalogue.text(.doctorStateNotChecked))
            return
        }
        guard let look else {
            let what = location.databaseServer.map { Catalogue.text(.doctorStateDatabase, ["server": $0]) }
                ?? Catalogue.text(.doctorStateNamed, ["name": location.displayName])
            report.fail(Catalogue.text(.doctorStateTimeout, [
                "what": what, "seconds": secondsText(seconds), "fix": location.isPostgres ? fix : Catalogue.text(.doctorFileSystemFix),
            ]))
            report.warn(Catalogue.text(.doctorStateNotChecked))
            return
        }
        switch look.state {
        case .success(var state):
            if state == RoomSyncState() {
                report.ok(Catalogue.text(.doctorStateNone, ["name": look.name]))
            } else {
                report.ok(Catalogue.text(.doctorStateReadable, ["name": look.name, "count": state.rooms.count]))
                if let target {
                    do {
                        try StateFile.bind(&state, to: target, path: look.name)
                        report.ok(Catalogue.text(.doctorStateTarget, ["target": state.target.map(\.description) ?? target.description]))
                    } catch {
                        report.fail(Catalogue.text(.doctorStateTargetFailed, ["message": message(error)]))
                    }
                }
            }
        case .failure(let error):
            report.fail(
                location.isPostgres
                    ? Catalogue.text(.doctorStateErrorFix, ["message": message(error), "fix": fix])
                    : Catalogue.text(.doctorStateError, ["message": message(error)]))
        }
        switch look.tables {
        case .success(let check)?:
            let line = Catalogue.text(.doctorTables, ["message": check.message])
            if check.ok { report.ok(line) } else { report.fail(line) }
        case .failure(let error)?:
            report.fail(Catalogue.text(.doctorTablesUnknown, ["message": message(error)]))
        case nil:
            break
        }
        switch look.holder {
        case .success(let holder?):
            report.fail(Catalogue.text(.doctorLocked, ["name": look.name, "holder": "\(holder)"]))
        case .success(nil):
            report.ok(Catalogue.text(.doctorNotLocked))
        case .failure(let error):
            report.fail(Catalogue.text(.doctorLockUnknown, ["name": look.name, "message": message(error)]))
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
