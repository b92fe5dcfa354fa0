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

    /// Item 5 (SPEC 8): `sslmode=verify-full` with `sslrootcert=PATH` (or `SSL_CERT_FILE`) checks the server's
    /// certificate against that CA and the host name; a certificate from another CA, or for another host, is one
    /// line naming the host and the fix, never a raw handshake error called "unreachable". The CA and the server's
    /// certificates are made here with the `openssl` command.
    @Test func verifyFullChecksTheCertificateAgainstTheCAAndTheHostName() async throws {
        try await withDatabase { ws, cluster in
            try ws.write(manifest(rooms: numberedRooms(1)))
            let tls = cluster.directory.appendingPathComponent("tls")
            try FileManager.default.createDirectory(at: tls, withIntermediateDirectories: true)
            func openssl(_ arguments: String...) throws {
                let process = Process()
                process.executableURL = URL(fileURLWithPath: "/usr/bin/openssl")
                process.arguments = arguments
                process.currentDirectoryURL = tls
                process.standardOutput = FileHandle.nullDevice
                process.standardError = FileHandle.nullDevice
                try process.run()
                process.waitUntilExit()
                #expect(process.terminationStatus == 0, "openssl \(arguments.joined(separator: " "))")
            }
            for ca in ["ca", "other-ca"] {
                try openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "\(ca).key", "-out", "\(ca).pem",
                    "-days", "2", "-subj", "/CN=roomsync test \(ca)")
            }
            /// A server certificate for `name`, signed by `ca.pem`, loaded by the running server.
            func serve(certificateFor name: String) async throws {
                try "subjectAltName=DNS:\(name)\n".write(to: tls.appendingPathComponent("ext.cnf"), atomically: true, encoding: .utf8)
                try openssl("req", "-newkey", "rsa:2048", "-nodes", "-keyout", "server.key", "-out", "server.csr", "-subj", "/CN=\(name)")
                try openssl("x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial",
                    "-out", "server.crt", "-days", "2", "-extfile", "ext.cnf")
                let key = tls.appendingPathComponent("server.key").path
                try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: key)
                if getuid() == 0 {
                    // The server runs as postgres when the tests run as root, and reads only a key of its own.
                    for file in ["server.key", "server.crt"] {
                        try FileManager.default.setAttributes(
                            [.ownerAccountName: "postgres"], ofItemAtPath: tls.appendingPathComponent(file).path)
                    }
                }
                try await cluster.psql("ALTER SYSTEM SET ssl_cert_file = '\(tls.appendingPathComponent("server.crt").path)'")
                try await cluster.psql("ALTER SYSTEM SET ssl_key_file = '\(key)'")
                try await cluster.psql("ALTER SYSTEM SET ssl = on")
                try await cluster.psql("SELECT pg_reload_conf()")
                try await waitForCondition("the server to serve TLS") { (try? await cluster.psql("SHOW ssl")) == "on" }
            }
            try await serve(certificateFor: "localhost")
            let url = "postgres://roomsync_test@localhost:\(cluster.port)/roomsync?sslmode=verify-full"
            let ca = tls.appendingPathComponent("ca.pem").path

            let verified = try await ws.roomsync("plan", "--state", url + "&sslrootcert=" + ca)
            #expect(verified.status == 0, "\(verified)")
            let fromTheEnvironment = try await ws.run(["plan", "--state", url], environment: ["SSL_CERT_FILE": ca])
            #expect(fromTheEnvironment.status == 0, "\(fromTheEnvironment)")

            func expectRefused(_ run: RoomSyncBinary.Result, sourceLocation: Testing.SourceLocation = #_sourceLocation) {
                #expect(run.status == 1, "\(run)", sourceLocation: sourceLocation)
                #expect(
                    run.stderr.hasPrefix("error: state database localhost:\(cluster.port): its TLS certificate was not accepted (sslmode=verify-full)"),
                    "\(run)", sourceLocation: sourceLocation)
                #expect(run.stderr.contains("not issued for localhost") && run.stderr.contains("sslrootcert=PATH"), "\(run)", sourceLocation: sourceLocation)
                #expect(run.stderr.split(separator: "\n").count == 1, "\(run)", sourceLocation: sourceLocation)
                #expect(!run.stderr.contains("unreachable") && !run.stderr.contains("handshakeFailed"), "\(run)", sourceLocation: sourceLocation)
            }
            expectRefused(try await ws.roomsync("plan", "--state", url + "&sslrootcert=" + tls.appendingPathComponent("other-ca.pem").path))
            try await serve(certificateFor: "db.roomsync.test")
            expectRefused(try await ws.roomsync("plan", "--state", url + "&sslrootcert=" + ca))
        }
    }
}
