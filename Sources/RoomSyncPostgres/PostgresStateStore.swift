import Foundation
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import PostgresNIO
import RoomSyncCore
import RoomSyncEngine

/// Runs `body` with the postgres state at `url` (SPEC 8) and closes every connection it opened on every path.
/// The tables are created on first use, unless `creatingTables` is false: a store opened only to look (`doctor`)
/// creates nothing, and reads a database roomsync never used as an empty state nobody holds. The store keeps one
/// connection for reads and writes; `withLock` opens a second one for the advisory lock, so the lock lives
/// exactly as long as the command (or the process) does.
public func withPostgresStateStore<T>(
    url: String, workspace: String, environment: [String: String] = ProcessInfo.processInfo.environment,
    creatingTables: Bool = true, _ body: (PostgresStateStore) async throws -> T
) async throws -> T {
    let location = try PostgresStateLocation(url: url, workspace: workspace, environment: environment)
    return try await withPostgresStateStore(location, creatingTables: creatingTables, body)
}

/// `withPostgresStateStore(url:workspace:)` for a location already parsed.
///
/// The connection is opened (and the tables checked) in the background while `body` starts: a plan lists the
/// WeCom rooms meanwhile, and only its state read waits for the database. A `body` that never used the store
/// still fails when the database cannot be reached.
public func withPostgresStateStore<T>(
    _ location: PostgresStateLocation, creatingTables: Bool = true, _ body: (PostgresStateStore) async throws -> T
) async throws -> T {
    let store = PostgresStateStore(connector: PostgresConnector(location: location), tablesCreated: creatingTables)
    let result: Result<T, any Error>
    do {
        let value = try await body(store)
        _ = try await store.connection()
        result = .success(value)
    } catch {
        result = .failure(error)
    }
    await store.close()
    return try result.get()
}

/// The state as rows: a workspace row (serial, lineage, the document without rooms and journal), a row per room,
/// a row per journaled add, an append-only history, what each step replaced (`steps`, for `state pull --serial`),
/// and the lock's holder. A write touches only the rows its changes name, inside one transaction whose first
/// statement is the compare-and-set on the serial.
public final class PostgresStateStore: StateStore, Sendable {
    public let location: PostgresStateLocation
    let connector: PostgresConnector
    /// The store's connection, opened when the store is made, with the tables ready on it (unless `tablesCreated`
    /// is false: a store opened only to look creates nothing).
    private let opening: Task<PostgresConnection, any Error>
    /// One transaction at a time on the connection.
    let gate = AsyncGate()
    /// Whether the tables were created when the store was opened; otherwise they may not exist.
    let tablesCreated: Bool
    /// The server pid of the session holding this workspace's lock for this command, while `withLock` runs: every
    /// commit checks, in its own transaction, that this session still holds it (SPEC 7).
    private let lockSession = NIOLockedValueBox<Int?>(nil)

    init(connector: PostgresConnector, tablesCreated: Bool = true) {
        self.connector = connector
        self.location = connector.location
        self.tablesCreated = tablesCreated
        opening = Task {
            let connection = try await connector.connect()
            do {
                if tablesCreated {
                    try await connector.run { try await Self.prepareTables(on: connection, connector: connector) }
                }
            } catch {
                try? await connection.close()
                throw error
            }
            return connection
        }
    }

    public var displayName: String { location.displayName }

    var logger: Logger { connector.logger }
    var workspace: String { location.workspace }
    /// `"schema"`: validated as a plain identifier when the URL was parsed, so quoting it is enough.
    var schema: String { "\"\(location.schema)\"" }

    /// The connection, once it is open and the tables exist.
    func connection() async throws -> PostgresConnection {
        try await opening.value
    }

    /// Closes the connection, if it was ever opened.
    func close() async {
        if let connection = try? await opening.value { try? await connection.close() }
    }

    /// The error that ended the connection, once it has: every later use fails with it, so operations in flight
    /// when the database went away report one cause in one line, not each its own way of noticing.
    private let lost = NIOLockedValueBox<(any Error)?>(nil)

    /// Runs `body` on the connection, one transaction at a time, with the driver's errors made one clear line.
    private func withConnection<T>(_ body: (PostgresConnection) async throws -> T) async throws -> T {
        if let lost = lost.withLockedValue({ $0 }) { throw lost }
        let connection = try await connection()
        do {
            return try await gate.run { try await connector.run { try await body(connection) } }
        } catch {
            guard connection.isClosed || connector.isUnreachable(error) else { throw error }
            throw lost.withLockedValue { first in
                if first == nil { first = error }
                return first!
            }
        }
    }

    /// Whether this workspace's lock is held by the session `pid`: a bigint advisory key is kept in `pg_locks` as
    /// its high and low 32 bits (`objsubid` 1).
    private func lockHeld(by pid: Int) -> PostgresQuery {
        """
        SELECT EXISTS (
            SELECT 1 FROM pg_locks
            WHERE locktype = 'advisory' AND granted AND objsubid = 1 AND pid = \(pid)
              AND classid::bigint = (hashtextextended(\(location.lockName), 0) >> 32) & 4294967295
              AND objid::bigint = hashtextextended(\(location.lockName), 0) & 4294967295)
        """
    }

    // MARK: Tables

    static let tables = ["workspaces", "rooms", "pending_adds", "history", "steps", "lock_holders"]

    /// Creates what is missing; one query when nothing is (every run after the first).
    static func prepareTables(on connection: PostgresConnection, connector: PostgresConnector) async throws {
        let logger = connector.logger
        var found = 0
        for try await (count,) in try await connection.send(
            """
            SELECT count(*)::bigint FROM pg_catalog.pg_tables
            WHERE schemaname = \(connector.location.schema) AND tablename = ANY(\(tables))
            """, logger: logger
        ).decode((Int,).self) {
            found = count
        }
        guard found < tables.count else { return }
        let s = "\"\(connector.location.schema)\""
        try await connection.withTransaction(logger: logger) { db in
            // Two first runs at once would race on CREATE … IF NOT EXISTS; this lock makes them take turns.
            try await db.send("SELECT pg_advisory_xact_lock(hashtextextended('roomsync:create-tables', 0))", logger: logger)
            try await db.send("CREATE SCHEMA IF NOT EXISTS \(unescaped: s)", logger: logger)
            try await db.send(
                """
                CREATE TABLE IF NOT EXISTS \(unescaped: s).workspaces (
                    name text PRIMARY KEY,
                    serial bigint NOT NULL,
                    lineage text,
                    document json NOT NULL
                )
                """, logger: logger)
            try await db.send(
                """
                CREATE TABLE IF NOT EXISTS \(unescaped: s).rooms (
                    workspace text NOT NULL,
                    key text NOT NULL,
                    meetingroom_id bigint NOT NULL,
                    room json NOT NULL,
                    PRIMARY KEY (workspace, key)
                )
                """, logger: logger)
            try await db.send(
                """
                CREATE TABLE IF NOT EXISTS \(unescaped: s).pending_adds (
                    workspace text NOT NULL,
                    key text NOT NULL,
                    seq bigserial NOT NULL,
                    request json NOT NULL,
                    PRIMARY KEY (workspace, key)
                )
                """, logger: logger)
            try await db.send(
                """
                CREATE TABLE IF NOT EXISTS \(unescaped: s).history (
                    id bigserial PRIMARY KEY,
                    workspace text NOT NULL,
                    serial bigint NOT NULL,
                    at timestamptz NOT NULL,
                    host text NOT NULL,
                    pid bigint NOT NULL,
                    os_user text NOT NULL,
                    command text NOT NULL,
                    key text NOT NULL,
                    action text NOT NULL,
                    id_before bigint,
                    id_after bigint
                )
                """, logger: logger)
            try await db.send(
                "CREATE INDEX IF NOT EXISTS history_by_key ON \(unescaped: s).history (workspace, key, id)",
                logger: logger)
            // What each step replaced and wrote, a row per room, journaled add or document it touched (kind room,
            // journal, document; `step` marks a step that touched none): `state pull --serial N` undoes the steps
            // after N. `position` is a journaled add's place in the journal before the step.
            try await db.send(
                """
                CREATE TABLE IF NOT EXISTS \(unescaped: s).steps (
                    workspace text NOT NULL,
                    serial bigint NOT NULL,
                    kind text NOT NULL,
                    key text NOT NULL,
                    position integer,
                    before json,
                    after json,
                    PRIMARY KEY (workspace, serial, kind, key)
                )
                """, logger: logger)
            try await db.send(
                """
                CREATE TABLE IF NOT EXISTS \(unescaped: s).lock_holders (
                    workspace text PRIMARY KEY,
                    host text NOT NULL,
                    pid bigint NOT NULL,
                    os_user text NOT NULL,
                    command text NOT NULL,
                    since timestamptz NOT NULL
                )
                """, logger: logger)
        }
    }

    /// Whether roomsync's tables are there: always, unless the store was opened without creating them. They are
    /// created together, in one transaction, so one of them stands for all. The caller holds the gate.
    private func tablesExist(_ db: PostgresConnection) async throws -> Bool {
        guard !tablesCreated else { return true }
        var exists = false
        for try await (value,) in try await db.send(
            "SELECT to_regclass(\(schema + ".workspaces")) IS NOT NULL", logger: logger
        ).decode((Bool,).self) {
            exists = value
        }
        return exists
    }

    /// For doctor, which creates nothing: whether roomsync's tables exist and this user may write them, or may
    /// create them. `ok` false names what is missing and the grant that gives it.
    public func checkTables() async throws -> (ok: Bool, message: String) {
        let name = location.schema
        let user = location.user
        let database = location.database
        return try await withConnection { db in
            var found = 0
            for try await (count,) in try await db.send(
                """
                SELECT count(*)::bigint FROM pg_catalog.pg_tables
                WHERE schemaname = \(name) AND tablename = ANY(\(Self.tables))
                """, logger: logger
            ).decode((Int,).self) {
                found = count
            }
            if found == Self.tables.count {
                var unwritable: [String] = []
                for table in Self.tables {
                    for try await (may,) in try await db.send(
                        "SELECT has_table_privilege(\("\"" + name + "\"." + table), 'SELECT,INSERT,UPDATE,DELETE')", logger: logger
                    ).decode((Bool,).self) where !may {
                        unwritable.append(table)
                    }
                }
                guard unwritable.isEmpty else {
                    return (false, "user \(user) may not write \(unwritable.map { name + "." + $0 }.joined(separator: ", ")); "
                        + "as their owner run `GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA \(name) TO \(user)` "
                        + "and `GRANT USAGE ON ALL SEQUENCES IN SCHEMA \(name) TO \(user)`")
                }
                return (true, "roomsync's tables are in schema \(name), and user \(user) may write them")
            }
            var schemaCreate: Bool?
            for try await (may,) in try await db.send(
                "SELECT has_schema_privilege(oid, 'CREATE') FROM pg_catalog.pg_namespace WHERE nspname = \(name)", logger: logger
            ).decode((Bool,).self) {
                schemaCreate = may
            }
            if let schemaCreate {
                return schemaCreate
                    ? (true, "none yet; user \(user) may create them in schema \(name) (the first apply does)")
                    : (false, "user \(user) may not create roomsync's tables in schema \(name); "
                        + "run `GRANT CREATE ON SCHEMA \(name) TO \(user)` as its owner, or create them as a user who may")
            }
            var databaseCreate = false
            for try await (may,) in try await db.send(
                "SELECT has_database_privilege(current_database(), 'CREATE')", logger: logger
            ).decode((Bool,).self) {
                databaseCreate = may
            }
            return databaseCreate
                ? (true, "none yet; user \(user) may create schema \(name) and its tables (the first apply does)")
                : (false, "user \(user) may not create schema \(name) in database \(database); run "
                    + "`CREATE SCHEMA \(name) AUTHORIZATION \(user)` or `GRANT CREATE ON DATABASE \(database) TO \(user)` as its owner")
        }
    }

    // MARK: Load

    public func load() async throws -> RoomSyncState {
        try await withConnection { connection in try await read(on: connection) }
    }

    public func load(serial: Int) async throws -> RoomSyncState {
        let s = schema
        let ws = workspace
        let (current, rows) = try await withConnection { connection in
            // One snapshot for the state and the steps, so a commit landing in between is seen whole or not at all.
            try await connection.send("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", logger: logger)
            do {
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
                try await connection.send("COMMIT", logger: logger)
                return (current, rows)
            } catch {
                _ = try? await connection.send("ROLLBACK", logger: logger)
                throw error
            }
        }
        guard serial != current.serial else { return current }
        let steps: [StateStep]
        do {
            steps = try Self.steps(from: rows)
        } catch {
            throw EngineError("state \(displayName) holds step rows that are not valid (\(error))")
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
            throw EngineError("state \(displayName) holds rows that are not a valid roomsync state (\(error))")
        }
        guard state.formatVersion == RoomSyncState.formatVersion else {
            throw EngineError(
                "state \(displayName) has format_version \(state.formatVersion); this roomsync reads \(RoomSyncState.formatVersion)")
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
                guard let after = try decode(RoomSyncState.self, after) else { throw EngineError("a document step without its document") }
                step.document = StateStep.Document(before: try decode(RoomSyncState.self, before), after: after)
            default:
                break
            }
            steps[serial] = step
        }
        return steps.values.sorted { $0.serial < $1.serial }
    }

    // MARK: Commit

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
            try await connection.send("BEGIN", logger: logger)
            do {
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
                let lockPid = lockSession.withLockedValue { $0 }
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
                    throw EngineError(
                        "state \(displayName) was written by someone else meanwhile (expected serial \(previous), "
                            + "found \(found ?? 0)); nothing was written, run the command again")
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
                try await connection.send("COMMIT", logger: logger)
            } catch {
                _ = try? await connection.send("ROLLBACK", logger: logger)
                throw error
            }
        }
    }

    // MARK: History

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

    // MARK: Lock

    public func withLock<T: Sendable>(
        _ holder: StateWriter, wait: Duration, onWait: @escaping @Sendable (String) -> Void,
        _ body: () async throws -> T
    ) async throws -> T {
        // Its own connection: a session lock belongs to the session that took it, which then lives exactly as long
        // as this command; if roomsync dies, the server ends the session and frees the lock. The tables are
        // checked (or created) first.
        _ = try await connection()
        let lockConnection = try await connector.connect()
        let taken: (pid: Int, recorded: Bool)
        do {
            taken = try await connector.run {
                try await acquire(on: lockConnection, holder: holder, wait: wait, onWait: onWait)
            }
        } catch {
            try? await lockConnection.close()
            throw error
        }
        lockSession.withLockedValue { $0 = taken.pid }
        let result: Result<T, any Error>
        do {
            result = .success(try await body())
        } catch {
            result = .failure(error)
        }
        lockSession.withLockedValue { $0 = nil }
        // The holder row goes with the lock, under the record lock, so the next one never reads a lock held with
        // no holder recorded, nor removes the next holder's row. If the server is gone, so is the session, and
        // with it the lock.
        _ = try? await inRecordLock(lockConnection) {
            if taken.recorded {
                try await lockConnection.send(
                    """
                    DELETE FROM \(unescaped: schema).lock_holders
                    WHERE workspace = \(workspace) AND host = \(holder.host) AND pid = \(holder.pid)
                    """, logger: logger)
            }
            try await lockConnection.send("SELECT pg_advisory_unlock(hashtextextended(\(location.lockName), 0))", logger: logger)
        }
        try? await lockConnection.close()
        return try result.get()
    }

    /// The error of a commit whose lock was lost.
    private func lostLock() -> EngineError {
        EngineError(
            "lost the lock on state \(displayName): its database session ended, so another run may hold it now; "
                + "nothing more was written, run the command again")
    }

    /// Runs `body` in a transaction holding this workspace's record lock, a transaction-scoped advisory lock
    /// (key seed 1) released at its commit. Taking the lock with its holder row, reading who holds it, and
    /// releasing it all happen under it, so a run that finds the lock taken always finds its holder recorded:
    /// the row is committed before the record lock is free.
    private func inRecordLock<T>(_ db: PostgresConnection, _ body: () async throws -> T) async throws -> T {
        try await db.send("BEGIN", logger: logger)
        do {
            try await db.send("SELECT pg_advisory_xact_lock(hashtextextended(\(location.lockName), 1))", logger: logger)
            let value = try await body()
            try await db.send("COMMIT", logger: logger)
            return value
        } catch {
            _ = try? await db.send("ROLLBACK", logger: logger)
            throw error
        }
    }

    /// Takes the lock and records its holder (when the tables exist: a store opened only to look creates none),
    /// or waits for it; returns the lock session's server pid and whether a holder row was written.
    private func acquire(
        on db: PostgresConnection, holder: StateWriter, wait: Duration, onWait: @Sendable (String) -> Void
    ) async throws -> (pid: Int, recorded: Bool) {
        let clock = ContinuousClock()
        let deadline = clock.now + wait
        var told = false
        while true {
            let attempt: Result<(pid: Int, recorded: Bool), HeldBy> = try await inRecordLock(db) {
                guard let pid = try await tryLock(db) else { return .failure(HeldBy(who: try await holderDescription(db))) }
                guard try await tablesExist(db) else { return .success((pid, false)) }
                try await db.send(
                    """
                    INSERT INTO \(unescaped: schema).lock_holders (workspace, host, pid, os_user, command, since)
                    VALUES (\(workspace), \(holder.host), \(holder.pid), \(holder.user), \(holder.command), \(holder.since))
                    ON CONFLICT (workspace) DO UPDATE SET host = EXCLUDED.host, pid = EXCLUDED.pid,
                        os_user = EXCLUDED.os_user, command = EXCLUDED.command, since = EXCLUDED.since
                    """, logger: logger)
                return .success((pid, true))
            }
            let who: String
            switch attempt {
            case .success(let taken): return taken
            case .failure(let held): who = held.who
            }
            if wait <= .zero {
                throw EngineError(
                    "state \(displayName) is locked by \(who); wait for it to finish, or pass --lock-timeout SECONDS to wait")
            }
            if !told {
                told = true
                onWait(who)
            }
            let left = deadline - clock.now
            if left <= .zero {
                throw EngineError(
                    "state \(displayName) is still locked by \(who) after waiting \(Self.seconds(wait)); try again later")
            }
            try await Task.sleep(for: min(left, .milliseconds(100)))
        }
    }

    /// Who holds the lock, when an attempt found it taken.
    private struct HeldBy: Error {
        var who: String
    }

    /// Reads `pg_locks`, which takes nothing: the lock is held when a session was granted this workspace's key (a
    /// bigint key is stored as its high and low 32 bits, `objsubid` 1), in this database.
    public func lockHolder() async throws -> String? {
        try await withConnection { connection in
            var held = false
            for try await (value,) in try await connection.send(
                """
                SELECT EXISTS (
                    SELECT 1 FROM pg_locks
                    WHERE locktype = 'advisory' AND granted AND objsubid = 1
                      AND database = (SELECT oid FROM pg_database WHERE datname = current_database())
                      AND classid::bigint = (hashtextextended(\(location.lockName), 0) >> 32) & 4294967295
                      AND objid::bigint = hashtextextended(\(location.lockName), 0) & 4294967295)
                """, logger: logger
            ).decode((Bool,).self) {
                held = value
            }
            guard held else { return nil }
            return try await holderDescription(connection)
        }
    }

    /// Takes the workspace's lock if it is free; the session's server pid when it was taken.
    private func tryLock(_ db: PostgresConnection) async throws -> Int? {
        var taken: Int?
        for try await (value, pid) in try await db.send(
            "SELECT pg_try_advisory_lock(hashtextextended(\(location.lockName), 0)), pg_backend_pid()", logger: logger
        ).decode((Bool, Int).self) {
            taken = value ? pid : nil
        }
        return taken
    }

    /// The recorded holder. A holder writes its row with the lock, under the record lock; a lock taken by
    /// something else (a run before the tables existed, another tool) is named by what the server knows of the
    /// session instead.
    private func holderDescription(_ db: PostgresConnection) async throws -> String {
        if try await tablesExist(db) {
            for try await row in try await db.send(
                """
                SELECT host, pid, os_user, command, since FROM \(unescaped: schema).lock_holders
                WHERE workspace = \(workspace)
                """, logger: logger
            ).decode((String, Int, String, String, Date).self) {
                return StateWriter(host: row.0, pid: row.1, user: row.2, command: row.3, since: row.4).description
            }
        }
        for try await row in try await db.send(
            """
            SELECT coalesce(a.application_name, ''), coalesce(host(a.client_addr), 'local socket'), a.pid, a.backend_start
            FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
            WHERE l.locktype = 'advisory' AND l.granted
              AND ((l.classid::bigint << 32) | l.objid::bigint) = hashtextextended(\(location.lockName), 0)
            LIMIT 1
            """, logger: logger
        ).decode((String, String, Int, Date).self) {
            let name = row.0.isEmpty ? "a session" : row.0
            return "\(name) from \(row.1) (server pid \(row.2), since \(ISO8601DateFormatter().string(from: row.3)))"
        }
        return "another session"
    }

    static func seconds(_ duration: Duration) -> String {
        let (seconds, attoseconds) = duration.components
        return attoseconds == 0 ? "\(seconds)s" : String(format: "%.1fs", Double(seconds) + Double(attoseconds) / 1e18)
    }
}

/// Opens connections to one server and turns what postgres-nio throws into one clear line.
struct PostgresConnector: Sendable {
    let location: PostgresStateLocation
    let logger: Logger

    init(location: PostgresStateLocation) {
        self.location = location
        // The command prints its own errors; the driver's logs would only repeat them.
        self.logger = Logger(label: "roomsync.postgres", factory: { _ in SwiftLogNoOpLogHandler() })
    }

    func connect() async throws -> PostgresConnection {
        try await run {
            let tls: PostgresConnection.Configuration.TLS
            switch location.sslMode {
            case .disable:
                tls = .disable
            case .prefer, .require:
                var configuration = TLSConfiguration.makeClientConfiguration()
                configuration.certificateVerification = .none
                let context = try NIOSSLContext(configuration: configuration)
                tls = location.sslMode == .prefer ? .prefer(context) : .require(context)
            case .verifyFull:
                // The chain against the CA given (or the system's roots), and the certificate against the host name.
                var configuration = TLSConfiguration.makeClientConfiguration()
                configuration.certificateVerification = .fullVerification
                if let path = location.sslRootCert {
                    guard FileManager.default.isReadableFile(atPath: path) else {
                        throw EngineError(
                            "state database \(location.server): the CA file \(path) (sslrootcert or SSL_CERT_FILE) cannot be read")
                    }
                    configuration.trustRoots = .file(path)
                }
                let context: NIOSSLContext
                do {
                    context = try NIOSSLContext(configuration: configuration)
                } catch {
                    throw EngineError(
                        "state database \(location.server): the CA file \(location.sslRootCert ?? "") holds no PEM certificate roomsync can use (\(error))")
                }
                tls = .require(context)
            }
            var configuration = PostgresConnection.Configuration(
                host: location.host, port: location.port, username: location.user, password: location.password,
                database: location.database, tls: tls)
            configuration.options.connectTimeout = .seconds(10)
            configuration.options.additionalStartupParameters = [("application_name", "roomsync")]
            return try await PostgresConnection.connect(
                configuration: configuration, id: Self.nextID(), logger: logger)
        }
    }

    /// Runs `body`, rethrowing what the driver throws as an `EngineError` about this server.
    func run<T>(_ body: () async throws -> T) async throws -> T {
        do {
            return try await body()
        } catch {
            throw explain(error)
        }
    }

    /// Whether `error` (as `explain` made it) says the server cannot be reached.
    func isUnreachable(_ error: any Error) -> Bool {
        (error as? EngineError)?.message.hasPrefix("state database \(location.server) is unreachable") ?? false
    }

    func explain(_ error: any Error) -> any Error {
        if !(error is EngineError), Self.isTLSFailure(error) {
            return EngineError(
                "state database \(location.server): its TLS certificate was not accepted (sslmode=\(location.sslMode.rawValue)): "
                    + "it is not signed by a CA roomsync trusts, or not issued for \(location.host); give the CA with "
                    + "sslrootcert=PATH in --state (or SSL_CERT_FILE), and connect by the host name on the certificate")
        }
        switch error {
        case is EngineError, is CancellationError:
            return error
        case let error as PostgresTransactionError:
            return explain(error.closureError ?? error.beginError ?? error.commitError ?? error.rollbackError ?? error)
        case let error as PSQLError:
            if error.code == .server, let info = error.serverInfo {
                let message = info[.message] ?? "an error"
                let state = info[.sqlState] ?? ""
                // 08: connection exceptions, 57: the server shutting down or restarting.
                if state.hasPrefix("08") || state.hasPrefix("57") {
                    return EngineError("state database \(location.server) is unreachable: \(message)")
                }
                if state.hasPrefix("28") || state == "3D000" {
                    return EngineError("state database \(location.server) refused the connection: \(message)")
                }
                if state == "42501" {
                    return EngineError(
                        "state database \(location.server) refused user \(location.user): \(message); grant what roomsync "
                            + "needs (`roomsync doctor` names it)")
                }
                return EngineError("state database \(location.server) failed: \(message) (SQLSTATE \(state))")
            }
            if error.code == .authMechanismRequiresPassword {
                return EngineError(
                    "state database \(location.server) asks a password of user \(location.user) and none was given: "
                        + "set PGPASSWORD, or put it in the --state URL (postgres://\(location.user):PASSWORD@…)")
            }
            return EngineError("state database \(location.server) is unreachable: \(reason(error))")
        default:
            return EngineError("state database \(location.server) is unreachable: \(reason(error))")
        }
    }

    private func reason(_ error: any Error) -> String {
        switch error {
        case let error as PSQLError:
            if let underlying = error.underlying { return reason(underlying) }
            switch error.code {
            case .serverClosedConnection: return "the server closed the connection"
            case .clientClosedConnection: return "the connection was closed"
            case .sslUnsupported: return "the server does not support TLS (sslmode=require)"
            default: return "\(error.code)"
            }
        case let error as NIOConnectionError:
            if let first = error.connectionErrors.first { return reason(first.error) }
            if let dns = error.dnsAError ?? error.dnsAAAAError { return "cannot resolve \(location.host) (\(dns))" }
            return "cannot connect"
        case let error as IOError:
            return String(cString: strerror(error.errnoCode))
        case is ChannelError:
            return "the connection was lost (\(error))"
        case is ConnectionClosed:
            return "the server closed the connection"
        default:
            return "\(error)"
        }
    }

    /// Whether the connection failed in the TLS handshake (the certificate's chain or host name), wherever the
    /// driver wrapped it.
    static func isTLSFailure(_ error: any Error) -> Bool {
        switch error {
        case let error as PSQLError: error.underlying.map(isTLSFailure) ?? false
        case let error as NIOConnectionError: error.connectionErrors.contains { isTLSFailure($0.error) }
        case is NIOSSLError, is NIOSSLExtraError, is BoringSSLError: true
        default: false
        }
    }

    private static let ids = NIOLockedValueBox(0)
    static func nextID() -> Int {
        ids.withLockedValue {
            $0 += 1
            return $0
        }
    }
}

/// A FIFO mutex for async code: one transaction at a time on a connection, without holding a thread.
final class AsyncGate: Sendable {
    private struct Waiters {
        var busy = false
        var queue: [CheckedContinuation<Void, Never>] = []
    }

    private let state = NIOLockedValueBox(Waiters())

    func run<T>(_ body: () async throws -> T) async throws -> T {
        await enter()
        do {
            let value = try await body()
            leave()
            return value
        } catch {
            leave()
            throw error
        }
    }

    private func enter() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let resumeNow = state.withLockedValue { waiters -> Bool in
                if waiters.busy {
                    waiters.queue.append(continuation)
                    return false
                }
                waiters.busy = true
                return true
            }
            if resumeNow { continuation.resume() }
        }
    }

    private func leave() {
        let next = state.withLockedValue { waiters -> CheckedContinuation<Void, Never>? in
            if waiters.queue.isEmpty {
                waiters.busy = false
                return nil
            }
            return waiters.queue.removeFirst()
        }
        next?.resume()
    }
}

/// The connection was closed (the server went away) before a query could be sent.
struct ConnectionClosed: Error {}

extension PostgresConnection {
    /// `query`, failing at once on a connection already closed: a query written to a closed channel would
    /// otherwise wait forever for an answer.
    @discardableResult
    func send(_ query: PostgresQuery, logger: Logger) async throws -> PostgresRowSequence {
        guard !isClosed else { throw ConnectionClosed() }
        return try await self.query(query, logger: logger)
    }
}
