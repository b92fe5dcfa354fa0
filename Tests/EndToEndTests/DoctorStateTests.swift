import Foundation
import RoomSyncCore
import RoomSyncEngine
import RoomSyncSandbox
import RoomSyncTestSupport
import Testing

/// SPEC 9 through the built binary, for a state in PostgreSQL (SPEC 8): doctor checks it as it checks a file —
/// readable, bound to this target, not locked or who holds it — changes nothing, never prints the password, and
/// an unreachable database is one FAIL line with the fix, bounded in time. Serialized: each test runs its own
/// server.
@Suite(.serialized) struct DoctorStateTests {
    static let password = "Db-Pa55word-never-shown"

    /// The cluster's URL with a password in it (trust authentication ignores it), to prove it is never printed.
    static func url(_ cluster: PostgresCluster) -> String {
        "postgres://\(cluster.user):\(password)@127.0.0.1:\(cluster.port)/roomsync?sslmode=disable"
    }

    static func shown(_ cluster: PostgresCluster) -> String {
        "postgres://\(cluster.user)@127.0.0.1:\(cluster.port)/roomsync (workspace default)"
    }

    static func lines(_ result: RoomSyncBinary.Result) -> [String] {
        result.stdout.split(separator: "\n").map(String.init)
    }

    static func expectNoPassword(_ results: [RoomSyncBinary.Result], sourceLocation: Testing.SourceLocation = #_sourceLocation) {
        for result in results {
            #expect(!result.stdout.contains(password) && !result.stderr.contains(password), "\(result)", sourceLocation: sourceLocation)
        }
    }

    func withPostgresWorkspace(
        _ options: SandboxServer.Options = .init(), _ body: (Workspace, PostgresCluster) async throws -> Void
    ) async throws {
        try await withPostgresCluster { cluster in
            try await withWorkspace(options) { ws in try await body(ws, cluster) }
        }
    }

    @Test(.enabled(if: PostgresServer.shouldRun, "PostgreSQL is not installed (no /usr/lib/postgresql/*/bin/initdb)"))
    func aReadyDatabaseIsOkAndDoctorCreatesNothingInIt() async throws {
        try await withPostgresWorkspace { ws, cluster in
            try ws.write(manifest(rooms: numberedRooms(2)))
            let url = Self.url(cluster)
            let fresh = try await ws.roomsync("doctor", "--state", url)
            #expect(fresh.status == 0, "\(fresh)")
            let report = Self.lines(fresh)
            #expect(report.contains("ok    state: none yet at \(Self.shown(cluster)); the first apply (or export) creates it"), "\(fresh)")
            #expect(report.contains("ok    state lock: not locked"), "\(fresh)")
            #expect(!report.contains { $0.hasPrefix("FAIL") }, "\(fresh)")
            // Doctor changes nothing: not even roomsync's tables on a database it never used.
            let schemas = try await cluster.psql("SELECT count(*) FROM pg_namespace WHERE nspname = 'roomsync'")
            #expect(schemas == "0", "doctor created roomsync's schema")

            let apply = try await ws.roomsync("apply", "--auto-approve", "--state", url)
            #expect(apply.status == 0, "\(apply)")
            let serial = try await cluster.psql("SELECT serial FROM roomsync.workspaces")
            let ready = try await ws.roomsync("doctor", "--state", url)
            #expect(ready.status == 0, "\(ready)")
            let lines = Self.lines(ready)
            #expect(lines.contains("ok    state: \(Self.shown(cluster)) is readable, 2 managed room(s)"), "\(ready)")
            #expect(lines.contains { $0.hasPrefix("ok    state target: \(ws.endpoint)") }, "\(ready)")
            #expect(lines.contains("ok    state lock: not locked"), "\(ready)")

            // Another corp's credentials: the state belongs to this one.
            let other = try await ws.run(["doctor", "--state", url], environment: ["WECOM_CORP_ID": "ww-other"])
            #expect(other.status == 1)
            #expect(Self.lines(other).contains { $0.hasPrefix("FAIL  state target:") && $0.contains("ww-sandbox") }, "\(other)")
            #expect(try await cluster.psql("SELECT serial FROM roomsync.workspaces") == serial, "doctor wrote the state")
            Self.expectNoPassword([fresh, apply, ready, other])
        }
    }

    @Test(.enabled(if: PostgresServer.shouldRun, "PostgreSQL is not installed (no /usr/lib/postgresql/*/bin/initdb)"))
    func aStateHeldByARunningApplyNamesItsHolderAndDoctorTakesNothing() async throws {
        try await withPostgresWorkspace(SandboxServer.Options(latencyMs: 150)) { ws, cluster in
            let url = Self.url(cluster)
            try ws.write(manifest(rooms: numberedRooms(20)))
            let running = try ws.start("apply", "--auto-approve", "--parallelism", "1", "--state", url)
            try await waitForCondition("the apply holds the lock") {
                (try? await cluster.psql("SELECT count(*) FROM roomsync.lock_holders")) == "1"
            }
            let doctor = try await ws.roomsync("doctor", "--state", url)
            let applied = try await ws.finish(running)
            #expect(doctor.status == 1, "\(doctor)")
            let pid = running.process.processIdentifier
            let line = Self.lines(doctor).first { $0.hasPrefix("FAIL  state lock:") }
            #expect(
                line?.hasPrefix("FAIL  state lock: \(Self.shown(cluster)) is locked by roomsync apply (pid \(pid) on ") == true,
                "\(doctor)")
            #expect(line?.contains(" since 20") == true, "\(doctor)")
            #expect(line?.contains("wait for that run to finish") == true, "\(doctor)")
            // Doctor only looked: the apply it found holding the lock went on to the end.
            #expect(applied.status == 0, "\(applied)")
            #expect(applied.stdout.contains("Apply complete: 20 added"), "\(applied)")
            let after = try await ws.roomsync("doctor", "--state", url)
            #expect(after.status == 0, "\(after)")
            #expect(Self.lines(after).contains("ok    state lock: not locked"), "\(after)")
            Self.expectNoPassword([doctor, applied, after])
        }
    }

    @Test(.enabled(if: PostgresServer.shouldRun, "PostgreSQL is not installed (no /usr/lib/postgresql/*/bin/initdb)"))
    func aStoppedServerIsOneFailLineWithTheFix() async throws {
        try await withPostgresWorkspace { ws, cluster in
            try ws.write(manifest(rooms: numberedRooms(2)))
            let url = Self.url(cluster)
            #expect(try await ws.roomsync("apply", "--auto-approve", "--state", url).status == 0)
            try await cluster.stop()
            let doctor = try await ws.roomsync("doctor", "--state", url)
            #expect(doctor.status == 1, "\(doctor)")
            let failures = Self.lines(doctor).filter { $0.hasPrefix("FAIL") }
            #expect(failures.count == 1, "\(doctor)")
            let line = failures.first ?? ""
            #expect(line.hasPrefix("FAIL  state: state database 127.0.0.1:\(cluster.port) is unreachable: "), "\(doctor)")
            #expect(line.contains("Connection refused"), "\(doctor)")
            #expect(line.contains("check that the database server is running"), "\(doctor)")
            #expect(!doctor.stderr.contains("Fatal error"), "\(doctor)")
            #expect(Self.lines(doctor).contains { $0.hasPrefix("ok    gettoken:") }, "the other checks still ran: \(doctor)")
            Self.expectNoPassword([doctor])
        }
    }

    /// A server that accepts the connection and never answers: doctor gives up within its bound. Needs no
    /// PostgreSQL.
    @Test func aDatabaseThatNeverAnswersIsOneFailLineWithinTheTimeout() async throws {
        try await withSilentListener { silent in
            try await withWorkspace { ws in
                try ws.write(manifest(rooms: numberedRooms(1)))
                let url = "postgres://roomsync:\(Self.password)@127.0.0.1:\(silent.port)/roomsync"
                let doctor = try await ws.roomsync("doctor", "--state", url, "--timeout", "2")
                #expect(doctor.status == 1, "\(doctor)")
                let failures = Self.lines(doctor).filter { $0.hasPrefix("FAIL") }
                #expect(failures.count == 1, "\(doctor)")
                #expect(
                    failures.first?.hasPrefix("FAIL  state: state database 127.0.0.1:\(silent.port) did not answer within 2 s") == true,
                    "\(doctor)")
                #expect(failures.first?.contains("check that the database server is running") == true, "\(doctor)")
                #expect(silent.accepted >= 1, "doctor never tried the database")
                Self.expectNoPassword([doctor])
            }
        }
    }
}
