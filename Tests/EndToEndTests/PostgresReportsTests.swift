import Foundation
import RoomSyncCore
import RoomSyncEngine
import RoomSyncSandbox
import RoomSyncTestSupport
import Testing

/// Issue 24 (and issue 23 item 10) through the built binary against a throwaway PostgreSQL server: reads that
/// create nothing and wait for an apply, refusals that name the fix, and a lost lock that ends the apply.
@Suite(.serialized, .enabled(if: PostgresServer.shouldRun, "PostgreSQL is not installed (no /usr/lib/postgresql/*/bin/initdb)"))
struct PostgresReportsTests {
    func withDatabase(
        _ options: SandboxServer.Options = .init(), _ body: (Workspace, PostgresCluster) async throws -> Void
    ) async throws {
        try await withPostgresCluster { cluster in
            try await withWorkspace(options) { ws in try await body(ws, cluster) }
        }
    }

    func roomsyncSchemas(_ cluster: PostgresCluster) async throws -> String {
        try await cluster.psql("SELECT count(*) FROM pg_namespace WHERE nspname = 'roomsync'")
    }

    /// Item 4 (SPEC 8): `state pull`, `plan` and `drift` create no tables, and pulling a workspace that does not
    /// exist is an error, not an empty backup.
    @Test func readersCreateNothingAndAMissingWorkspaceIsAnError() async throws {
        try await withDatabase { ws, cluster in
            let url = cluster.url()
            try ws.write(manifest(rooms: numberedRooms(2)))
            let plan = try await ws.roomsync("plan", "--state", url)
            #expect(plan.status == 0, "\(plan)")
            #expect(try await ws.roomsync("drift", "--state", url).status == 0)
            let pull = try await ws.roomsync("state", "pull", "--state", url, "--workspace", "team-a")
            #expect(pull.status == 1, "\(pull)")
            #expect(pull.stdout.isEmpty, "\(pull)")
            #expect(pull.stderr.hasPrefix("error: state postgres://roomsync_test@127.0.0.1:\(cluster.port)/roomsync (workspace team-a) does not exist"), "\(pull)")
            #expect(try await roomsyncSchemas(cluster) == "0")

            #expect(try await ws.roomsync("apply", "--auto-approve", "--state", url).status == 0)
            let other = try await ws.roomsync("state", "pull", "--state", url, "--workspace", "team-b")
            #expect(other.status == 1, "\(other)")
            #expect(try await ws.roomsync("state", "pull", "--state", url).status == 0)
        }
    }

    /// Item 2 (SPEC 4): plan reads under the workspace's lock: with --lock-timeout it waits for the apply in
    /// progress and then has nothing to do, rather than show the edits in flight as changes.
    @Test func planDuringAnApplyWaitsForIt() async throws {
        try await withDatabase(SandboxServer.Options(latencyMs: 150)) { ws, cluster in
            let url = cluster.url()
            try ws.write(manifest(rooms: numberedRooms(30)))
            let running = try ws.start("apply", "--auto-approve", "--parallelism", "1", "--state", url)
            try await waitForCondition("the apply holds the lock and has recorded a room") {
                let rooms = (try? await cluster.psql("SELECT count(*) FROM roomsync.rooms")) ?? "0"
                return (Int(rooms) ?? 0) >= 1
            }
            let plan = try await ws.roomsync("plan", "--state", url, "--lock-timeout", "600", "--detailed-exitcode")
            let drift = try await ws.roomsync("drift", "--state", url)
            let applied = try await ws.finish(running)
            #expect(applied.status == 0, "\(applied)")
            #expect(plan.status == 0, "\(plan)")
            #expect(plan.stdout == "No changes.\n", "\(plan)")
            #expect(plan.stderr.contains("is locked by roomsync apply (pid "), "\(plan)")
            // The apply may be over by the time drift looks; either way it never reports the apply as drift.
            #expect(drift.status == 0 || drift.stderr.contains("is locked by roomsync apply (pid "), "\(drift)")
        }
    }

    /// Issue 23 item 10 (SPEC 7): the lock's connection is checked before every state write. When the server ends
    /// the lock's session mid-apply, the apply stops with one line saying the lock was lost, and the next run
    /// converges.
    @Test func aLockLostMidApplyEndsItWithOneLine() async throws {
        try await withDatabase(SandboxServer.Options(latencyMs: 100)) { ws, cluster in
            let url = cluster.url()
            try ws.write(manifest(rooms: numberedRooms(30)))
            let running = try ws.start("apply", "--auto-approve", "--parallelism", "1", "--state", url)
            try await waitForCondition("the apply has recorded a few rooms") {
                (Int((try? await cluster.psql("SELECT count(*) FROM roomsync.rooms")) ?? "0") ?? 0) >= 3
            }
            // The lock of the schema roomsync, workspace default.
            try await cluster.psql(
                """
                SELECT pg_terminate_backend(pid) FROM pg_locks WHERE locktype = 'advisory' AND granted
                  AND objid::bigint = hashtextextended('roomsync:roomsync:default', 0) & 4294967295
                """)
            let stopped = try await ws.finish(running)
            #expect(stopped.status == 1, "\(stopped)")
            let lines = stopped.stderr.split(separator: "\n").filter { $0.contains("lost the lock") }
            #expect(lines.count == 1, "\(stopped)")
            #expect(!stopped.stdout.contains("Apply complete"), "\(stopped)")
            let again = try await ws.roomsync("apply", "--auto-approve", "--state", url)
            #expect(again.status == 0, "\(again)")
            #expect(try await ws.roomsync("plan", "--state", url, "--detailed-exitcode").status == 0)
        }
    }

    /// Item 3: a workspace bound to another target names --workspace, the fix, not a "state file".
    @Test func aWorkspaceOfAnotherTargetNamesWorkspace() async throws {
        try await withDatabase { ws, cluster in
            let url = cluster.url()
            try ws.write(manifest(rooms: numberedRooms(1)))
            #expect(try await ws.roomsync("apply", "--auto-approve", "--state", url).status == 0)
            try await withServedSandbox { other in
                let plan = try await ws.run(["plan", "--state", url], environment: ["WECOM_ENDPOINT": other.endpoint])
                #expect(plan.status == 1, "\(plan)")
                #expect(plan.stderr.hasPrefix("error: state postgres://roomsync_test@127.0.0.1:\(cluster.port)/roomsync (workspace default) belongs to "), "\(plan)")
                #expect(plan.stderr.contains("use --workspace"), "\(plan)")
                #expect(!plan.stderr.contains("state file"), "\(plan)")
            }
        }
    }

    /// Item 3: a user the server asks a password of, given none, is told to set PGPASSWORD or put it in the URL;
    /// a user who may not create roomsync's tables is told by doctor what to grant, not "the first apply creates
    /// it", and apply says the same in one line rather than a raw `permission denied … (SQLSTATE 42501)`.
    @Test func aMissingPasswordAndMissingPrivilegesNameTheFix() async throws {
        try await withDatabase { ws, cluster in
            try ws.write(manifest(rooms: numberedRooms(1)))
            try await cluster.psql("CREATE ROLE needs_password LOGIN PASSWORD 'pw-9z'; CREATE ROLE limited LOGIN")
            let hba = cluster.directory.appendingPathComponent("data/pg_hba.conf")
            let rules = try String(contentsOf: hba, encoding: .utf8)
            try ("host all needs_password 127.0.0.1/32 scram-sha-256\n" + rules).write(to: hba, atomically: false, encoding: .utf8)
            try await cluster.psql("SELECT pg_reload_conf()")
            let port = cluster.port

            let noPassword = try await ws.run(
                ["plan", "--state", "postgres://needs_password@127.0.0.1:\(port)/roomsync?sslmode=disable"],
                environment: ["PGPASSWORD": ""])
            #expect(noPassword.status == 1, "\(noPassword)")
            #expect(noPassword.stderr.contains("PGPASSWORD"), "\(noPassword)")
            #expect(!noPassword.stderr.contains("unreachable"), "\(noPassword)")
            #expect(noPassword.stderr.split(separator: "\n").count == 1, "\(noPassword)")

            let limited = "postgres://limited@127.0.0.1:\(port)/roomsync?sslmode=disable"
            let doctor = try await ws.roomsync("doctor", "--state", limited)
            #expect(doctor.stdout.contains("FAIL  state tables: user limited may not create schema roomsync in database roomsync"), "\(doctor)")
            #expect(doctor.stdout.contains("GRANT CREATE ON DATABASE roomsync TO limited"), "\(doctor)")
            let apply = try await ws.roomsync("apply", "--auto-approve", "--state", limited)
            #expect(apply.status == 1, "\(apply)")
            #expect(apply.stderr.contains("refused user limited") && apply.stderr.contains("roomsync doctor"), "\(apply)")
            #expect(apply.stderr.split(separator: "\n").count == 1, "\(apply)")

            let owner = try await ws.roomsync("doctor", "--state", cluster.url())
            #expect(owner.stdout.contains("ok    state tables: none yet; user roomsync_test may create schema roomsync"), "\(owner)")
            #expect(try await roomsyncSchemas(cluster) == "0")
        }
    }
}
