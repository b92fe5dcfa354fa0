import Foundation
import Logging
import NIOCore
import PostgresNIO
import RoomSyncCore
import RoomSyncEngine

/// Reading the state: the whole of it in one statement, or as it was at an earlier serial.
extension PostgresStateStore {
    public func load() async throws -> RoomSyncState {
        try await withConnection { connection in try await read(on: connection) }
    }

    public func load(serial: Int) async throws -> RoomSyncState {
        let s = schema
        let ws = workspace
        let (current, rows) = try await withConnection { connection in
            // One snapshot for the state and the steps, so a commit landing in between is seen whole or not at all.
            try await connection.transaction(logger: logger) { connection in
                try await connection.send("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY", logger: logger)
                let current = try await read(on: connection)
                var rows: [(Int, String, String, Int?, String?, String?)] = []
                if serial < current.serial, serial >= 0 {
                    for try await row in try await connection.send(
                        """
                        SELECT serial, kind, key, position, before::text, after::text FROM \(unescaped: s).steps
                        WHERE workspace = \(ws) AND serial > \(serial) ORDER BY serial
                        """, logger: logger
                    ).decode((Int, String, String, Int?, String?, String?).self) {
                        rows.append(row)
                    }
                } else if serial != current.serial {
                    // Not a serial this state had: only which serials are recorded, for the message.
                    for try await (recorded,) in try await connection.send(
                        "SELECT DISTINCT serial FROM \(unescaped: s).steps WHERE workspace = \(ws)", logger: logger
                    ).decode((Int,).self) {
                        rows.append((recorded, "step", "", nil, nil, nil))
                    }
                }
                return (current, rows)
            }
        }
        guard serial != current.serial else { return current }
        let steps: [StateStep]
        do {
            steps = try Self.steps(from: rows)
        } catch {
            throw RoomSyncError(.postgresInvalidSteps, ["state": displayName, "reason": "\(error)"])
        }
        return try current.rewound(to: serial, steps: steps, in: displayName)
    }

    /// The whole state in one statement (one snapshot, one round trip): the workspace row with its rooms and
    /// journal aggregated into JSON texts, read with the engine's fast reader.
    private func read(on connection: PostgresConnection) async throws -> RoomSyncState {
        // A database roomsync never used, opened only to look: an empty state.
        guard try await tablesExist(connection) else { return RoomSyncState() }
        let s = schema
        var found: (Int, String?, ByteBuffer, ByteBuffer, ByteBuffer)?
        for try await row in try await connection.send(
            """
            SELECT w.serial, w.lineage, w.document::text,
                (SELECT coalesce(json_object_agg(r.key, r.room), '{}'::json)::text
                    FROM \(unescaped: s).rooms r WHERE r.workspace = w.name),
                (SELECT coalesce(json_agg(p.request ORDER BY p.seq), '[]'::json)::text
                    FROM \(unescaped: s).pending_adds p WHERE p.workspace = w.name)
            FROM \(unescaped: s).workspaces w WHERE w.name = \(workspace)
            """, logger: logger
        ).decode((Int, String?, ByteBuffer, ByteBuffer, ByteBuffer).self) {
            found = row
        }
        guard let (serial, lineage, document, rooms, pendingAdds) = found else { return RoomSyncState() }
        var state: RoomSyncState
        do {
            state = try document.withUnsafeReadableBytes { document in
                try rooms.withUnsafeReadableBytes { rooms in
                    try pendingAdds.withUnsafeReadableBytes { pendingAdds in
                        try RoomSyncState(document: document, rooms: rooms, pendingAdds: pendingAdds)
                    }
                }
            }
        } catch {
            throw RoomSyncError(.postgresInvalidRows, ["state": displayName, "reason": "\(error)"])
        }
        guard state.formatVersion == RoomSyncState.formatVersion else {
            throw RoomSyncError(
                .postgresFormatVersion, ["state": displayName, "version": state.formatVersion, "supported": RoomSyncState.formatVersion])
        }
        state.serial = serial
        state.lineage = lineage
        return state
    }

    /// Step rows (serial, kind, key, position, before, after), grouped into steps.
    static func steps(from rows: [(Int, String, String, Int?, String?, String?)]) throws -> [StateStep] {
        let decoder = JSONDecoder()
        func decode<T: Decodable>(_ type: T.Type, _ text: String?) throws -> T? {
            try text.map { try decoder.decode(T.self, from: Data($0.utf8)) }
        }
        var steps: [Int: StateStep] = [:]
        for (serial, kind, key, position, before, after) in rows {
            var step = steps[serial] ?? StateStep(serial: serial)
            switch kind {
            case "room":
                step.rooms.append(
                    StateStep.Room(key: key, before: try decode(ManagedRoom.self, before), after: try decode(ManagedRoom.self, after)))
            case "journal":
                step.journal.append(
                    StateStep.Journaled(
                        key: key, position: position, before: try decode(PendingAdd.self, before),
                        after: try decode(PendingAdd.self, after)))
            case "document":
                guard let after = try decode(RoomSyncState.self, after) else { throw RoomSyncError(.postgresStepWithoutDocument) }
                step.document = StateStep.Document(before: try decode(RoomSyncState.self, before), after: after)
            default:
                break
            }
            steps[serial] = step
        }
        return steps.values.sorted { $0.serial < $1.serial }
    }
}
