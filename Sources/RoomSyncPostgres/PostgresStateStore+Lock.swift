import Foundation
import PostgresNIO
import RoomSyncCore
import RoomSyncEngine

/// The workspace's lock: a session advisory lock on a connection of its own, with its holder recorded.
extension PostgresStateStore {
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
        lockSession.withLock { $0 = taken.pid }
        let result: Result<T, any Error>
        do {
            result = .success(try await body())
        } catch {
            result = .failure(error)
        }
        lockSession.withLock { $0 = nil }
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
    func lostLock() -> RoomSyncError {
        RoomSyncError(.postgresLostLock, ["state": displayName])
    }

    /// Runs `body` in a transaction holding this workspace's record lock, a transaction-scoped advisory lock
    /// (key seed 1) released at its commit. Taking the lock with its holder row, reading who holds it, and
    /// releasing it all happen under it, so a run that finds the lock taken always finds its holder recorded:
    /// the row is committed before the record lock is free.
    private func inRecordLock<T>(_ db: PostgresConnection, _ body: () async throws -> T) async throws -> T {
        try await db.transaction(logger: logger) { db in
            try await db.send("SELECT pg_advisory_xact_lock(hashtextextended(\(location.lockName), 1))", logger: logger)
            return try await body()
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
                throw RoomSyncError(.stateLocked, ["state": displayName, "holder": who])
            }
            if !told {
                told = true
                onWait(who)
            }
            let left = deadline - clock.now
            if left <= .zero {
                throw RoomSyncError(.postgresStillLocked, ["state": displayName, "holder": who, "waited": Self.seconds(wait)])
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

    /// Whether this workspace's lock is held by the session `pid`: a bigint advisory key is kept in `pg_locks` as
    /// its high and low 32 bits (`objsubid` 1).
    func lockHeld(by pid: Int) -> PostgresQuery {
        """
        SELECT EXISTS (
            SELECT 1 FROM pg_locks
            WHERE locktype = 'advisory' AND granted AND objsubid = 1 AND pid = \(pid)
              AND classid::bigint = (hashtextextended(\(location.lockName), 0) >> 32) & 4294967295
              AND objid::bigint = hashtextextended(\(location.lockName), 0) & 4294967295)
        """
    }
}
