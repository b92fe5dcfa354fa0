import Foundation
import Logging
import NIOCore
import PostgresNIO
import RoomSyncCore
import RoomSyncEngine

/// Writing one step: the compare-and-set on the serial, then only the rows its changes name, in one transaction.
extension PostgresStateStore {
    /// The rows one room change writes, as `json_to_recordset` reads them.
    struct RoomRow: Encodable {
        var key: String
        var meetingroom_id: Int
        var room: ManagedRoom
    }

    struct PendingRow: Encodable {
        var key: String
        var request: PendingAdd
    }

    struct HistoryRow: Encodable {
        var ord: Int
        var key: String
        var action: String
        var id_before: Int?
        var id_after: Int?
    }

    public func commit(_ state: RoomSyncState, changes: [StateChange], by writer: StateWriter) async throws {
        try await commit(state, changes: changes, by: writer, replacingSerial: state.serial - 1)
    }

    public func commit(
        _ state: RoomSyncState, changes: [StateChange], by writer: StateWriter, replacingSerial previous: Int
    ) async throws {
        // The last change of a key wins, as it would applied one by one: one row statement per table.
        var roomUpserts: [String: ManagedRoom] = [:]
        var roomDeletes: Set<String> = []
        var pendingUpserts: [String: PendingAdd] = [:]
        var pendingDeletes: Set<String> = []
        var documentChanged = false
        var history: [HistoryRow] = []
        for change in changes {
            switch change.kind {
            case .room(let room):
                roomUpserts[change.key] = room
                roomDeletes.remove(change.key)
            case .removed:
                roomUpserts[change.key] = nil
                roomDeletes.insert(change.key)
            case .journaled(let pending):
                pendingUpserts[change.key] = pending
                pendingDeletes.remove(change.key)
            case .unjournaled:
                pendingUpserts[change.key] = nil
                pendingDeletes.insert(change.key)
            case .document:
                documentChanged = true
            }
            if change.isHistory {
                history.append(
                    HistoryRow(
                        ord: history.count, key: change.key, action: change.action,
                        id_before: change.meetingroomIDBefore, id_after: change.meetingroomIDAfter))
            }
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.withoutEscapingSlashes]
        let roomsJSON = roomUpserts.isEmpty
            ? nil
            : String(
                decoding: try encoder.encode(
                    roomUpserts.sorted { $0.key < $1.key }.map {
                        RoomRow(key: $0.key, meetingroom_id: $0.value.meetingroomID, room: $0.value)
                    }), as: UTF8.self)
        // Journaled adds keep the order of the state's journal, which `load` reads back by insertion order.
        let journalOrder = Dictionary(
            state.pendingAdds.enumerated().map { ($0.element.key, $0.offset) }, uniquingKeysWith: { first, _ in first })
        let pendingJSON = pendingUpserts.isEmpty
            ? nil
            : String(
                decoding: try encoder.encode(
                    pendingUpserts.sorted { (journalOrder[$0.key] ?? .max, $0.key) < (journalOrder[$1.key] ?? .max, $1.key) }
                        .map { PendingRow(key: $0.key, request: $0.value) }), as: UTF8.self)
        let historyJSON = history.isEmpty ? nil : String(decoding: try encoder.encode(history), as: UTF8.self)
        let isFirst = previous == 0
        let documentJSON = (documentChanged || isFirst) ? String(decoding: try encoder.encode(state.document), as: UTF8.self) : nil

        let s = schema
        let ws = workspace
        let newSerial = state.serial
        let lineage = state.lineage
        let roomDeleteKeys = roomDeletes.sorted()
        let pendingDeleteKeys = pendingDeletes.sorted()

        try await withConnection { connection in
            try await connection.transaction(logger: logger) { connection in
                // The document this step replaces, for its step row; the row stays locked until the commit.
                var documentBefore: String?
                if documentJSON != nil, !isFirst {
                    for try await (text,) in try await connection.send(
                        "SELECT document::text FROM \(unescaped: s).workspaces WHERE name = \(ws) FOR UPDATE", logger: logger
                    ).decode((String,).self) {
                        documentBefore = text
                    }
                }
                // Under the lock, the step lands only while the lock's session still holds it: one that was
                // lost (its connection dropped, the session ended) may already be another run's.
                let lockPid = lockSession.withLock { $0 }
                if let lockPid {
                    var held = false
                    for try await (value,) in try await connection.send(lockHeld(by: lockPid), logger: logger).decode((Bool,).self) {
                        held = value
                    }
                    guard held else { throw lostLock() }
                }
                var moved = false
                if isFirst {
                    for try await _ in try await connection.send(
                        """
                        INSERT INTO \(unescaped: s).workspaces (name, serial, lineage, document)
                        VALUES (\(ws), \(newSerial), \(lineage), \(documentJSON ?? "{}")::json)
                        ON CONFLICT (name) DO NOTHING RETURNING serial
                        """, logger: logger)
                    {
                        moved = true
                    }
                } else if let documentJSON {
                    for try await _ in try await connection.send(
                        """
                        UPDATE \(unescaped: s).workspaces SET serial = \(newSerial), lineage = \(lineage),
                            document = \(documentJSON)::json
                        WHERE name = \(ws) AND serial = \(previous) RETURNING serial
                        """, logger: logger)
                    {
                        moved = true
                    }
                } else {
                    for try await _ in try await connection.send(
                        """
                        UPDATE \(unescaped: s).workspaces SET serial = \(newSerial), lineage = \(lineage)
                        WHERE name = \(ws) AND serial = \(previous) RETURNING serial
                        """, logger: logger)
                    {
                        moved = true
                    }
                }
                guard moved else {
                    var found: Int?
                    for try await (serial,) in try await connection.send(
                        "SELECT serial FROM \(unescaped: s).workspaces WHERE name = \(ws)", logger: logger
                    ).decode((Int,).self) {
                        found = serial
                    }
                    throw RoomSyncError(.postgresWrittenMeanwhile, ["state": displayName, "expected": previous, "found": found ?? 0])
                }
                if let documentJSON {
                    try await connection.send(
                        """
                        INSERT INTO \(unescaped: s).steps (workspace, serial, kind, key, before, after)
                        VALUES (\(ws), \(newSerial), 'document', '', \(documentBefore)::json, \(documentJSON)::json)
                        """, logger: logger)
                }
                if roomsJSON != nil || !roomDeleteKeys.isEmpty {
                    // One statement: every part sees the rows as they were before it, so the step rows get the
                    // rooms this step replaces. Deleted and written keys never overlap.
                    try await connection.send(
                        """
                        WITH changed AS (
                            SELECT x.key, x.meetingroom_id, x.room
                            FROM json_to_recordset(\(roomsJSON ?? "[]")::json) AS x(key text, meetingroom_id bigint, room json)
                        ), removed AS (
                            SELECT unnest(\(roomDeleteKeys)::text[]) AS key
                        ), step AS (
                            INSERT INTO \(unescaped: s).steps (workspace, serial, kind, key, before, after)
                            SELECT \(ws), \(newSerial), 'room', t.key, r.room, t.after
                            FROM (SELECT key, room AS after FROM changed UNION ALL SELECT key, NULL::json FROM removed) t
                            LEFT JOIN \(unescaped: s).rooms r ON r.workspace = \(ws) AND r.key = t.key
                        ), deleted AS (
                            DELETE FROM \(unescaped: s).rooms WHERE workspace = \(ws) AND key IN (SELECT key FROM removed)
                        )
                        INSERT INTO \(unescaped: s).rooms (workspace, key, meetingroom_id, room)
                        SELECT \(ws), key, meetingroom_id, room FROM changed
                        ON CONFLICT (workspace, key)
                        DO UPDATE SET meetingroom_id = EXCLUDED.meetingroom_id, room = EXCLUDED.room
                        """, logger: logger)
                }
                if pendingJSON != nil || !pendingDeleteKeys.isEmpty {
                    // As for the rooms; a journaled add's position is its place in the journal's order (`seq`).
                    try await connection.send(
                        """
                        WITH changed AS (
                            SELECT x.key, x.request
                            FROM json_to_recordset(\(pendingJSON ?? "[]")::json) AS x(key text, request json)
                        ), removed AS (
                            SELECT unnest(\(pendingDeleteKeys)::text[]) AS key
                        ), step AS (
                            INSERT INTO \(unescaped: s).steps (workspace, serial, kind, key, position, before, after)
                            SELECT \(ws), \(newSerial), 'journal', t.key, p.position, p.request, t.after
                            FROM (SELECT key, request AS after FROM changed UNION ALL SELECT key, NULL::json FROM removed) t
                            LEFT JOIN (
                                SELECT key, request, (row_number() OVER (ORDER BY seq) - 1)::integer AS position
                                FROM \(unescaped: s).pending_adds WHERE workspace = \(ws)
                            ) p ON p.key = t.key
                        ), deleted AS (
                            DELETE FROM \(unescaped: s).pending_adds WHERE workspace = \(ws) AND key IN (SELECT key FROM removed)
                        )
                        INSERT INTO \(unescaped: s).pending_adds (workspace, key, request)
                        SELECT \(ws), key, request FROM changed
                        ON CONFLICT (workspace, key) DO UPDATE SET request = EXCLUDED.request
                        """, logger: logger)
                }
                if documentJSON == nil, roomsJSON == nil, roomDeleteKeys.isEmpty, pendingJSON == nil, pendingDeleteKeys.isEmpty {
                    // A step that touched nothing is still a step: the rewind must not take it for a gap.
                    try await connection.send(
                        "INSERT INTO \(unescaped: s).steps (workspace, serial, kind, key) VALUES (\(ws), \(newSerial), 'step', '')",
                        logger: logger)
                }
                if let historyJSON {
                    try await connection.send(
                        """
                        INSERT INTO \(unescaped: s).history
                            (workspace, serial, at, host, pid, os_user, command, key, action, id_before, id_after)
                        SELECT \(ws), \(newSerial), now(), \(writer.host), \(writer.pid), \(writer.user),
                            \(writer.command), r.key, r.action, r.id_before, r.id_after
                        FROM json_to_recordset(\(historyJSON)::json)
                            AS r(ord int, key text, action text, id_before bigint, id_after bigint)
                        ORDER BY r.ord
                        """, logger: logger)
                }
            }
        }
    }
}
