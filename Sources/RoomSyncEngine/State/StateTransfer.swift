import Foundation
import RoomSyncCore

/// `state pull`, `state push` and `state history` over any `StateStore` (SPEC 8): how a team moves its state from
/// the file to a database, backs it up, and asks who changed a room.
public enum StateTransfer {
    /// The state as a state file: the bytes `StateFile.save` would write, whatever keeps it.
    /// A state that was never written (a file or workspace that does not exist: a typo in `--state` or
    /// `--workspace`) is an error, not an empty backup.
    public static func pull(from store: any StateStore) async throws -> Data {
        let state = try await store.load()
        guard state != RoomSyncState() else {
            throw RoomSyncError(.stateNeverWritten, ["state": store.displayName])
        }
        return try StateFile.encode(state)
    }

    /// The state as it was at `serial`, as a state file: the bytes `pull` printed then.
    public static func pull(from store: any StateStore, serial: Int) async throws -> Data {
        try StateFile.encode(try await store.load(serial: serial))
    }

    /// Loads the state file at `path` into `store`, under its lock, as one step.
    ///
    /// Refused, writing nothing, unless `force`: when the store already holds a state of another lineage (another
    /// corp's, or one started separately), and when it holds a newer state of the same lineage (a higher serial:
    /// the file is an old copy, and loading it would forget what was done since, so the next apply adds again the
    /// rooms added meanwhile). A file written before `serial` and `lineage` existed is upgraded: it gets a lineage.
    /// The file's serial is kept, so the store's serial goes on telling which state of a lineage is newer; when that
    /// would not move the store's serial on (a forced push of an older state, a file pushed back as it was pulled),
    /// the store's next serial is taken instead, so no serial ever names two states. A file pulled from a store and
    /// pushed into an empty one reads back byte for byte.
    @discardableResult
    public static func push(
        file path: String, into store: any StateStore, force: Bool, by writer: StateWriter, wait: Duration = .zero,
        onWait: @escaping @Sendable (String) -> Void = { _ in }
    ) async throws -> RoomSyncState {
        guard FileManager.default.fileExists(atPath: path) else {
            throw RoomSyncError(.stateFileMissing, ["path": path])
        }
        let pushed = try StateFile.load(path)
        try pushed.checkOneKeyPerRoom(in: "file \(path)")
        return try await store.withLock(writer, wait: wait, onWait: onWait) {
            let current = try await store.load()
            let isEmpty = current.serial == 0 && current.rooms.isEmpty && current.pendingAdds.isEmpty
            if !isEmpty, current.lineage != pushed.lineage || pushed.lineage == nil, !force {
                throw RoomSyncError(
                    .statePushOverOtherLineage,
                    ["state": store.displayName, "lineage": current.lineage ?? "none", "serial": current.serial, "rooms": current.rooms.count])
            }
            if !isEmpty, current.lineage == pushed.lineage, pushed.serial < current.serial, !force {
                throw RoomSyncError(
                    .statePushOlder, ["path": path, "state": store.displayName, "pushed": pushed.serial, "serial": current.serial])
            }
            var next = pushed
            next.serial = max(pushed.serial, current.serial + 1)
            next.lineage = pushed.lineage ?? UUID().uuidString.lowercased()
            var changes = StateChange.between(current, next, action: "push")
            if !changes.contains(where: { $0.kind == .document }) {
                changes.append(StateChange(key: "", kind: .document, action: "push"))
            }
            try await store.commit(next, changes: changes, by: writer, replacingSerial: current.serial)
            return next
        }
    }

    /// `state history`: one line per change, newest first.
    ///
    ///     7  2026-11-25T03:14:15Z  delete  sz-18f-large  4711 → -  bob@ci-runner-3 pid 42 (apply)
    public static func render(_ entries: [StateHistoryEntry]) -> String {
        guard !entries.isEmpty else { return "No recorded changes.\n" }
        let formatter = ISO8601DateFormatter()
        let rows = entries.map { entry -> [String] in
            let before = entry.meetingroomIDBefore.map(String.init) ?? "-"
            let after = entry.meetingroomIDAfter.map(String.init) ?? "-"
            return [
                "\(entry.serial)", formatter.string(from: entry.at), entry.action, entry.key, "\(before) → \(after)",
                "\(entry.writer.user)@\(entry.writer.host) pid \(entry.writer.pid) (\(entry.writer.command))",
            ]
        }
        let header = ["SERIAL", "WHEN", "ACTION", "KEY", "ID", "BY"]
        let all = [header] + rows
        let widths = (0..<header.count).map { column in all.map { $0[column].count }.max() ?? 0 }
        var text = ""
        for row in all {
            let cells = row.enumerated().map { column, cell in
                column == row.count - 1 ? cell : cell.padding(toLength: widths[column], withPad: " ", startingAt: 0)
            }
            text += cells.joined(separator: "  ") + "\n"
        }
        return text
    }
}
