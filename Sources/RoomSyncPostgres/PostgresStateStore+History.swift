import Foundation
import PostgresNIO
import RoomSyncCore
import RoomSyncEngine

/// The append-only history, newest first.
extension PostgresStateStore {
    public func history(key: String?, limit: Int) async throws -> [StateHistoryEntry] {
        let s = schema
        let ws = workspace
        let limit = max(0, limit)
        let query: PostgresQuery =
            if let key {
                """
                SELECT serial, at, host, pid, os_user, command, key, action, id_before, id_after
                FROM \(unescaped: s).history WHERE workspace = \(ws) AND key = \(key) ORDER BY id DESC LIMIT \(limit)
                """
            } else {
                """
                SELECT serial, at, host, pid, os_user, command, key, action, id_before, id_after
                FROM \(unescaped: s).history WHERE workspace = \(ws) ORDER BY id DESC LIMIT \(limit)
                """
            }
        return try await withConnection { connection in
            var entries: [StateHistoryEntry] = []
            for try await row in try await connection.send(query, logger: logger).decode(
                (Int, Date, String, Int, String, String, String, String, Int?, Int?).self)
            {
                entries.append(
                    StateHistoryEntry(
                        serial: row.0, at: row.1,
                        writer: StateWriter(host: row.2, pid: row.3, user: row.4, command: row.5, since: row.1),
                        key: row.6, action: row.7, meetingroomIDBefore: row.8, meetingroomIDAfter: row.9))
            }
            return entries
        }
    }
}
