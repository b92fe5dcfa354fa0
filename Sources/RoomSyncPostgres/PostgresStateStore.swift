import Foundation
import Logging
import PostgresNIO
import RoomSyncCore
import RoomSyncEngine
import Synchronization

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
    let lockSession = Mutex<Int?>(nil)

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
    let lost = Mutex<(any Error)?>(nil)

    /// Runs `body` on the connection, one transaction at a time, with the driver's errors made one clear line.
    func withConnection<T>(_ body: (PostgresConnection) async throws -> T) async throws -> T {
        if let lost = lost.withLock({ $0 }) { throw lost }
        let connection = try await connection()
        do {
            return try await gate.run { try await connector.run { try await body(connection) } }
        } catch {
            guard connection.isClosed || connector.isUnreachable(error) else { throw error }
            throw lost.withLock { first in
                if first == nil { first = error }
                return first!
            }
        }
    }
}
