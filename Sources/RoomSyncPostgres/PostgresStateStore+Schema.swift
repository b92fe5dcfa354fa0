import Logging
import PostgresNIO
import RoomSyncCore
import RoomSyncEngine

/// roomsync's tables: created on first use, or checked without creating anything (doctor).
extension PostgresStateStore {
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
        try await connection.transaction(logger: logger) { db in
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
    func tablesExist(_ db: PostgresConnection) async throws -> Bool {
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
}
