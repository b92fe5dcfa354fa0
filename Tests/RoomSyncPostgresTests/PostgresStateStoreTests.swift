#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation
import RoomSyncCore
import RoomSyncEngine
import RoomSyncPostgres
@testable import RoomSyncTestSupport
import Testing

extension StateStoreFixture {
    /// Stores over the workspace `workspace` of a throwaway server.
    static func postgres(_ cluster: PostgresCluster, workspace: String = "contract") -> StateStoreFixture {
        let url = cluster.url()
        return StateStoreFixture { body in
            try await withPostgresStateStore(url: url, workspace: workspace, environment: [:]) { try await body($0) }
        }
    }
}

/// The store contract and what only a database has: a killed client's lock, row-level writes, a server that goes
/// away. Each test gets its own server.
@Suite(.enabled(if: PostgresServer.shouldRun, "PostgreSQL is not installed (no /usr/lib/postgresql/*/bin/initdb)"))
struct PostgresStateStoreTests {
    @Test func emptyStateLoadsEmpty() async throws {
        try await withPostgresCluster { try await StateStoreContract.emptyStateLoadsEmpty(.postgres($0)) }
    }

    @Test func commitsRoundTrip() async throws {
        try await withPostgresCluster { try await StateStoreContract.commitsRoundTrip(.postgres($0)) }
    }

    @Test func staleSerialIsRefused() async throws {
        try await withPostgresCluster { try await StateStoreContract.staleSerialIsRefused(.postgres($0)) }
    }

    @Test func historyIsNewestFirst() async throws {
        try await withPostgresCluster { try await StateStoreContract.historyIsNewestFirst(.postgres($0)) }
    }

    @Test func secondLockFailsNamingTheHolder() async throws {
        try await withPostgresCluster { try await StateStoreContract.secondLockFailsNamingTheHolder(.postgres($0)) }
    }

    @Test func lockHolderNamesTheHolderWithoutTakingIt() async throws {
        try await withPostgresCluster { try await StateStoreContract.lockHolderNamesTheHolderWithoutTakingIt(.postgres($0)) }
    }

    /// Opened only to look (doctor), a store creates nothing: a database roomsync never used reads as an empty
    /// state nobody holds, and stays without roomsync's schema; once a run holds the lock, it names the holder.
    @Test func aStoreOpenedToLookCreatesNothingAndNamesTheHolder() async throws {
        try await withPostgresCluster { cluster in
            let url = cluster.url()
            try await withPostgresStateStore(url: url, workspace: "contract", environment: [:], creatingTables: false) { look async throws in
                #expect(try await look.load() == RoomSyncState())
                #expect(try await look.lockHolder() == nil)
            }
            #expect(try await cluster.psql("SELECT count(*) FROM pg_namespace WHERE nspname = 'roomsync'") == "0")
            try await StateStoreFixture.postgres(cluster).open { store in
                let written = try await StateStoreContract.step(store, RoomSyncState(), action: "add") {
                    $0.rooms["a"] = StateStoreContract.room(1, "A")
                }
                try await store.withLock(StateStoreContract.machineA, wait: .zero, onWait: { _ in }) {
                    try await withPostgresStateStore(url: url, workspace: "contract", environment: [:], creatingTables: false) { look async throws in
                        #expect(try await look.load() == written)
                        let holder = try await look.lockHolder()
                        #expect(holder?.hasPrefix("roomsync apply (pid 101 on machine-a") == true, "\(holder ?? "nil")")
                    }
                    // The same workspace name in another database is another lock.
                    try await cluster.psql("CREATE DATABASE other", database: "postgres")
                    try await withPostgresStateStore(
                        url: cluster.url(database: "other"), workspace: "contract", environment: [:], creatingTables: false
                    ) { look async throws in
                        #expect(try await look.lockHolder() == nil)
                    }
                }
            }
        }
    }

    @Test func waitingLockRunsAfterTheHolder() async throws {
        try await withPostgresCluster { try await StateStoreContract.waitingLockRunsAfterTheHolder(.postgres($0)) }
    }

    @Test func pushKeepsTheSerialAndRefusesAnOlderStateOfTheSameLineage() async throws {
        try await withPostgresCluster { try await StateStoreContract.pushKeepsTheSerialAndRefusesAnOlderStateOfTheSameLineage(.postgres($0)) }
    }

    @Test func pushThenPullRoundTrips() async throws {
        try await withPostgresCluster { try await StateStoreContract.pushThenPullRoundTrips(.postgres($0)) }
    }

    @Test func pullsEverySerialItHad() async throws {
        try await withPostgresCluster { try await StateStoreContract.pullsEverySerialItHad(.postgres($0)) }
    }

    @Test func anEmptyStateHasOnlySerialZero() async throws {
        try await withPostgresCluster { try await StateStoreContract.anEmptyStateHasOnlySerialZero(.postgres($0)) }
    }

    @Test func workspacesAndSchemasAreSeparateStates() async throws {
        try await withPostgresCluster { cluster in
            try await StateStoreFixture.postgres(cluster, workspace: "team-a").open { store in
                try await StateStoreContract.step(store, RoomSyncState(), action: "add") {
                    $0.rooms["a"] = StateStoreContract.room(1, "A")
                }
                try await store.withLock(StateStoreContract.machineA, wait: .zero, onWait: { _ in }) {
                    // Another workspace has its own lock and its own rows.
                    try await StateStoreFixture.postgres(cluster, workspace: "team-b").open { other in
                        let loaded = try await other.load()
                        #expect(loaded == RoomSyncState())
                        let locked = try await other.withLock(StateStoreContract.machineB, wait: .zero, onWait: { _ in }) { true }
                        #expect(locked)
                    }
                    try await withPostgresStateStore(
                        url: cluster.url() + "&schema=elsewhere", workspace: "team-a", environment: [:]
                    ) { other in
                        let loaded = try await other.load()
                        #expect(loaded == RoomSyncState())
                        #expect(other.displayName.hasSuffix("?schema=elsewhere (workspace team-a)"))
                    }
                }
            }
        }
    }

    /// A client killed with SIGKILL holds nothing: the server ends its session and frees the lock.
    @Test func lockOfAKilledHolderIsFree() async throws {
        try await withPostgresCluster { cluster in
            let location = try PostgresStateLocation(url: cluster.url(), workspace: "contract", environment: [:])
            try await StateStoreFixture.postgres(cluster).open { store in
                _ = try await store.load()  // creates the tables before the other client takes the lock
                // Takes the lock, then sits idle between queries, as roomsync's lock session does while it applies.
                let holder = try cluster.startPsql(
                    script: "SELECT pg_advisory_lock(hashtextextended('\(location.lockName)', 0));\nSELECT 1 \\watch 3600\n")
                try await waitForCondition("psql to take the lock") {
                    try await cluster.psql("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted") == "1"
                }
                await #expect {
                    try await store.withLock(StateStoreContract.machineA, wait: .zero, onWait: { _ in }) {}
                } throws: { error in
                    "\(error)".contains("is locked by psql from 127.0.0.1")
                }
                try await holder.killAndReap()
                // The server notices the closed socket on its own; wait for that, not for a fixed time.
                let waits = Events()
                let ran = try await store.withLock(
                    StateStoreContract.machineA, wait: .seconds(60), onWait: { waits.append($0) }
                ) { true }
                #expect(ran)
                #expect(waits.all.count <= 1)
                #expect(try await cluster.psql("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted") == "0")
            }
        }
    }

    /// Issue 24 item 7: two runs racing for the lock, again and again: the one that loses names the winner (pid,
    /// host, command), never only its database session, however the two interleave.
    @Test func theLoserOfARaceForTheLockAlwaysNamesTheHolder() async throws {
        try await withPostgresCluster { cluster in
            let fixture = StateStoreFixture.postgres(cluster)
            try await fixture.open { first in
                _ = try await first.load()
                try await fixture.open { second in
                    _ = try await second.load()
                    @Sendable func attempt(_ store: any StateStore, _ writer: StateWriter) async -> String? {
                        do {
                            try await store.withLock(writer, wait: .zero, onWait: { _ in }) {
                                try await Task.sleep(for: .milliseconds(30))
                            }
                            return nil
                        } catch {
                            return "\(error)"
                        }
                    }
                    var refusals = 0
                    for round in 0..<40 {
                        let a = StateWriter(host: "machine-a", pid: 1_000 + round, user: "alice", command: "apply")
                        let b = StateWriter(host: "machine-b", pid: 2_000 + round, user: "bob", command: "apply")
                        async let one = attempt(first, a)
                        async let two = attempt(second, b)
                        for message in [await one, await two].compactMap({ $0 }) {
                            refusals += 1
                            #expect(message.contains("is locked by roomsync apply (pid "), "round \(round): \(message)")
                        }
                    }
                    #expect(refusals > 0, "the runs never overlapped")
                }
            }
        }
    }

    /// Issue 23 item 10 (SPEC 7): the lock's session is checked before every state write. Once it is gone (its
    /// connection dropped, the server ended it), the next step is refused, writing nothing, with one clear line.
    @Test func aStepAfterTheLockWasLostIsRefusedAndWritesNothing() async throws {
        try await withPostgresCluster { cluster in
            let location = try PostgresStateLocation(url: cluster.url(), workspace: "contract", environment: [:])
            try await StateStoreFixture.postgres(cluster).open { store in
                let written = try await StateStoreContract.step(store, RoomSyncState(), action: "add") {
                    $0.rooms["a"] = StateStoreContract.room(1, "A")
                }
                await #expect {
                    try await store.withLock(StateStoreContract.machineA, wait: .zero, onWait: { _ in }) {
                        let kept = try await StateStoreContract.step(store, written, action: "add") {
                            $0.rooms["b"] = StateStoreContract.room(2, "B")
                        }
                        // The server ends the lock's session, as a dropped connection or a failover would.
                        try await cluster.psql(
                            """
                            SELECT pg_terminate_backend(pid) FROM pg_locks WHERE locktype = 'advisory' AND granted
                              AND objid::bigint = hashtextextended('\(location.lockName)', 0) & 4294967295
                            """)
                        try await StateStoreContract.step(store, kept, action: "add") {
                            $0.rooms["c"] = StateStoreContract.room(3, "C")
                        }
                    }
                } throws: { error in
                    "\(error)".hasPrefix("lost the lock on state postgres://") && !"\(error)".contains("\n")
                }
                let state = try await store.load()
                #expect(Set(state.rooms.keys) == ["a", "b"])
            }
        }
    }

    /// A step writes the rows of its changes and nothing else, however many rooms the workspace has: counted by
    /// a row trigger the test installs, not by timing.
    @Test(arguments: [10, 1_000])
    func aCommitWritesOnlyItsRows(rooms count: Int) async throws {
        try await withPostgresCluster { cluster in
            try await StateStoreFixture.postgres(cluster).open { store in
                var state = try await StateStoreContract.step(store, RoomSyncState(), action: "add") { state in
                    state.target = StateStoreContract.target
                    for id in 1...count { state.rooms["room-\(id)"] = StateStoreContract.room(id, "Room \(id)") }
                }
                try await cluster.psql(
                    """
                    CREATE TABLE public.row_writes (tbl text, n int NOT NULL);
                    INSERT INTO public.row_writes VALUES ('rooms', 0), ('pending_adds', 0), ('workspaces', 0);
                    CREATE FUNCTION public.count_row_write() RETURNS trigger LANGUAGE plpgsql AS $$
                    BEGIN UPDATE public.row_writes SET n = n + 1 WHERE tbl = TG_TABLE_NAME; RETURN NULL; END $$;
                    CREATE TRIGGER counted AFTER INSERT OR UPDATE OR DELETE ON roomsync.rooms
                        FOR EACH ROW EXECUTE FUNCTION public.count_row_write();
                    CREATE TRIGGER counted AFTER INSERT OR UPDATE OR DELETE ON roomsync.pending_adds
                        FOR EACH ROW EXECUTE FUNCTION public.count_row_write();
                    CREATE TRIGGER counted AFTER INSERT OR UPDATE OR DELETE ON roomsync.workspaces
                        FOR EACH ROW EXECUTE FUNCTION public.count_row_write();
                    """)
                func writes() async throws -> String {
                    try await cluster.psql("SELECT string_agg(tbl || '=' || n, ',' ORDER BY tbl) FROM public.row_writes")
                }
                state = try await StateStoreContract.step(store, state, action: "change") {
                    $0.rooms["room-1"] = StateStoreContract.room(1, "Room one")
                }
                #expect(try await writes() == "pending_adds=0,rooms=1,workspaces=1")
                state = try await StateStoreContract.step(store, state, action: "add") {
                    $0.rooms["room-2"] = nil
                    $0.pendingAdds = [StateStoreContract.pending("new")]
                }
                #expect(try await writes() == "pending_adds=1,rooms=2,workspaces=2")
                #expect(try await store.load() == state)
                // What each step replaced is kept the same way: a row per room or journaled add it touched.
                #expect(
                    try await cluster.psql("SELECT string_agg(serial || ':' || kind || ':' || key, ',' ORDER BY serial, kind, key) FROM roomsync.steps WHERE serial > 1")
                        == "2:room:room-1,3:journal:new,3:room:room-2")
                #expect(try await store.load(serial: 1).rooms.count == count)
            }
        }
    }

    /// Tables are created when missing, and only then: a database whose schema predates a table (here `steps`,
    /// dropped by hand) gets it on the next run, and what was stored is kept.
    @Test func aMissingTableIsCreatedOnTheNextRun() async throws {
        try await withPostgresCluster { cluster in
            var first = RoomSyncState()
            try await StateStoreFixture.postgres(cluster).open { store in
                first = try await StateStoreContract.step(store, RoomSyncState(), action: "add") {
                    $0.rooms["a"] = StateStoreContract.room(1, "A")
                }
            }
            try await cluster.psql("DROP TABLE roomsync.steps")
            try await StateStoreFixture.postgres(cluster).open { store in
                let loaded = try await store.load()
                #expect(loaded == first)
                let second = try await StateStoreContract.step(store, loaded, action: "change") {
                    $0.rooms["a"] = StateStoreContract.room(1, "A2")
                }
                #expect(try await store.load(serial: 1) == first)
                #expect(try await store.load(serial: 2) == second)
                // The step before the table existed was not recorded: serial 0 is out of reach, and says so.
                await #expect {
                    try await store.load(serial: 0)
                } throws: { error in
                    "\(error)".contains("cannot be taken back to serial 0: step 1 was not recorded; serials 1 to 2 can be pulled")
                }
            }
        }
    }

    /// The connection dies inside a commit's transaction (the server ends the session from a trigger on the rooms
    /// table, as a failover would mid-statement): the commit ends with one line naming the server, never a crash or
    /// a hang on the rollback, and nothing of the step was written.
    @Test func aConnectionLostInsideACommitIsOneClearLineAndWritesNothing() async throws {
        try await withPostgresCluster { cluster in
            let expected = "state database 127.0.0.1:\(cluster.port) is unreachable: "
            var written = RoomSyncState()
            try await StateStoreFixture.postgres(cluster).open { store in
                written = try await StateStoreContract.step(store, RoomSyncState(), action: "add") {
                    $0.rooms["a"] = StateStoreContract.room(1, "A")
                }
            }
            try await cluster.psql(
                """
                CREATE FUNCTION public.end_session() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN PERFORM pg_terminate_backend(pg_backend_pid()); PERFORM pg_sleep(5); RETURN NEW; END $$;
                CREATE TRIGGER ends_session BEFORE INSERT ON roomsync.rooms
                    FOR EACH ROW EXECUTE FUNCTION public.end_session();
                """)
            try await StateStoreFixture.postgres(cluster).open { store in
                await #expect {
                    try await StateStoreContract.step(store, written, action: "add") {
                        $0.rooms["b"] = StateStoreContract.room(2, "B")
                    }
                } throws: { error in
                    "\(error)".hasPrefix(expected) && !"\(error)".contains("\n")
                }
            }
            try await cluster.psql("DROP TRIGGER ends_session ON roomsync.rooms")
            try await StateStoreFixture.postgres(cluster).open { store in
                let loaded = try await store.load()
                #expect(loaded == written)
            }
        }
    }

    /// The server stopped in the middle of a command: every call ends with one line naming the server, never a
    /// crash; once it is back, a new run reads what was committed.
    @Test func unreachableDatabaseIsOneClearLine() async throws {
        try await withPostgresCluster { cluster in
            let expected = "state database 127.0.0.1:\(cluster.port) is unreachable: "
            func isClear(_ error: any Error) -> Bool {
                let message = "\(error)"
                return error is RoomSyncError && message.hasPrefix(expected) && !message.contains("\n")
            }
            var committed = RoomSyncState()
            try await StateStoreFixture.postgres(cluster).open { store in
                try await store.withLock(StateStoreContract.machineA, wait: .zero, onWait: { _ in }) {
                    committed = try await StateStoreContract.step(store, RoomSyncState(), action: "add") {
                        $0.rooms["a"] = StateStoreContract.room(1, "A")
                    }
                    try await cluster.stop()
                    await #expect(performing: { try await store.load() }, throws: isClear)
                    await #expect(
                        performing: {
                            try await StateStoreContract.step(store, committed, action: "add") {
                                $0.rooms["b"] = StateStoreContract.room(2, "B")
                            }
                        }, throws: isClear)
                    await #expect(performing: { try await store.history(key: nil, limit: 5) }, throws: isClear)
                }
            }
            // A new run while it is down cannot even connect, and says so the same way.
            await #expect(performing: { try await StateStoreFixture.postgres(cluster).open { _ in } }, throws: isClear)
            try await cluster.start()
            try await StateStoreFixture.postgres(cluster).open { store in
                let loaded = try await store.load()
                #expect(loaded == committed)
                let locked = try await store.withLock(StateStoreContract.machineB, wait: .zero, onWait: { _ in }) { true }
                #expect(locked)
            }
        }
    }
}

/// `--state postgres://…` parsing and what may be printed of it. No server needed.
@Suite struct PostgresStateLocationTests {
    @Test func parsesTheURL() throws {
        let location = try PostgresStateLocation(
            url: "postgresql://ci%40corp:s3cr%2Ft@db.example.com:6543/rooms?sslmode=require&schema=team_a",
            workspace: "prod", environment: ["PGPASSWORD": "ignored"])
        #expect(location.user == "ci@corp")
        #expect(location.password == "s3cr/t")
        #expect(location.host == "db.example.com" && location.port == 6543)
        #expect(location.database == "rooms" && location.schema == "team_a" && location.sslMode == .require)
        #expect(location.displayName == "postgres://ci@corp@db.example.com:6543/rooms?schema=team_a (workspace prod)")
        #expect(!location.displayName.contains("s3cr"))
    }

    @Test func passwordFromTheEnvironmentAndDefaults() throws {
        let location = try PostgresStateLocation(
            url: "postgres://runner@[::1]/state", workspace: "default", environment: ["PGPASSWORD": "hunter2"])
        #expect(location.password == "hunter2")
        #expect(location.port == 5432 && location.host == "::1" && location.schema == "roomsync")
        #expect(location.sslMode == .prefer)
        #expect(location.displayName == "postgres://runner@[::1]:5432/state (workspace default)")
    }

    @Test(arguments: [
        "postgres://u:hunter2@host:99999/db",
        "postgres://u:hunter2@host/db?sslmode=sometimes",
        "postgres://u:hunter2@host/db?schema=x;drop",
        "postgres://u:hunter2@host/db?password=x",
        "postgres://u:hunter2@host",
        "postgres://:hunter2@host/db",
    ])
    func badURLsAreOneLineWithoutThePassword(url: String) {
        #expect {
            try PostgresStateLocation(url: url, workspace: "w", environment: [:])
        } throws: { error in
            let message = "\(error)"
            return error is RoomSyncError && message.hasPrefix("invalid --state URL postgres://")
                && !message.contains("hunter2") && !message.contains("\n")
        }
    }

    @Test func redactsOnlyThePassword() {
        // One marker, the one every other secret in output gets (SPEC 7).
        #expect(PostgresStateLocation.redacted("postgres://u:p@ss@h:1/d?x=@") == "postgres://u:REDACTED@h:1/d?x=@")
        #expect(PostgresStateLocation.redacted("postgres://u@h/d") == "postgres://u@h/d")
        #expect(PostgresStateLocation.isPostgresURL("PostgreSQL://u@h/d"))
        #expect(!PostgresStateLocation.isPostgresURL(".roomsync/state.json"))
    }

    /// Issue 24 item 6: a password with `?`, `@`, `#` or `/` left as it is in the URL is read as the password and
    /// printed nowhere, whether the URL parses or not.
    @Test(arguments: ["s3cr?t99", "pa55@w0rd/k3y", "h4sh#s4lt?pe9per@z8z/w6w"])
    func aPasswordWithURLCharactersIsReadAndNeverPrinted(password: String) throws {
        let location = try PostgresStateLocation(
            url: "postgres://app:\(password)@db.internal:5433/rooms?sslmode=require", workspace: "w", environment: [:])
        #expect(location.user == "app" && location.password == password)
        #expect(location.host == "db.internal" && location.port == 5433 && location.database == "rooms")
        for url in [
            "postgres://app:\(password)@db.internal:5433/rooms?sslmode=require",
            "postgres://app:\(password)@db.internal:99999/rooms",
            "postgres://app:\(password)@db.internal/rooms?sslmode=sometimes",
            "postgres://app:\(password)@db.internal",
        ] {
            let shown = PostgresStateLocation.redacted(url)
            #expect(shown.hasPrefix("postgres://app:REDACTED"), "\(shown)")
            for piece in password.split(whereSeparator: { "?@#/".contains($0) }) { #expect(!shown.contains(piece), "\(shown)") }
            do {
                _ = try PostgresStateLocation(url: url, workspace: "w", environment: [:])
            } catch {
                for piece in password.split(whereSeparator: { "?@#/".contains($0) }) {
                    #expect(!"\(error)".contains(piece), "\(error)")
                }
            }
        }
    }

    /// libpq also takes a password as a query parameter; the error naming it as unknown here must not print it.
    @Test func aPasswordInTheQueryIsNeverPrinted() throws {
        for url in ["postgres://app@db.internal/rooms?password=s3cr3t-q", "postgres://app@db.internal/rooms?sslmode=require&sslpassword=s3cr3t-q#x"] {
            let shown = PostgresStateLocation.redacted(url)
            #expect(!shown.contains("s3cr3t-q") && shown.contains("password=REDACTED"), "\(shown)")
            #expect(throws: (any Error).self) { _ = try PostgresStateLocation(url: url, workspace: "w", environment: [:]) }
            do {
                _ = try PostgresStateLocation(url: url, workspace: "w", environment: [:])
            } catch {
                #expect(!"\(error)".contains("s3cr3t-q"), "\(error)")
            }
        }
    }

    @Test func aServerThatIsNotThereIsOneClearLine() async throws {
        // A port that refuses connections for as long as the test runs: a server of a test beside it cannot take it.
        try await withRefusingLoopbackPort { port in
            await #expect {
                try await withPostgresStateStore(url: "postgres://u:hunter2@127.0.0.1:\(port)/db?sslmode=disable", workspace: "w", environment: [:]) { _ in }
            } throws: { error in
                let message = "\(error)"
                return message == "state database 127.0.0.1:\(port) is unreachable: Connection refused"
            }
        }
    }

    /// Why the test above holds its port: a port `freeLoopbackPort` names is free for anyone to take a moment later
    /// (seen as a rare failure of that test under a loaded run), while the refusing port cannot be bound by anyone
    /// else until the test is done, and refuses connections meanwhile.
    @Test func aRefusingPortIsHeldWhileAFreePortIsNot() async throws {
        func bindable(_ port: Int) -> Bool {
            let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            defer { close(fd) }
            var reuse: Int32 = 1
            setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &reuse, socklen_t(MemoryLayout<Int32>.size))
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_port = in_port_t(UInt16(port).bigEndian)
            address.sin_addr.s_addr = inet_addr("127.0.0.1")
            return withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            } == 0
        }
        #expect(bindable(try freeLoopbackPort()), "a free port is anyone's to take")
        try await withRefusingLoopbackPort { port in
            #expect(!bindable(port), "a server beside the test could take the refusing port")
        }
    }
}

/// The throwaway servers' start under a busy test process: a server that inherited the hundreds of sockets the
/// tests beside it hold counted too few descriptors left and refused to start (seen in loaded runs).
@Suite struct ThrowawayServerSpawnTests {
    @Test func aSpawnedChildInheritsNoDescriptorOfTheTestProcess() async throws {
        // One descriptor surely open, without close-on-exec, as many of a busy test process's are.
        let held = open("/dev/null", O_RDONLY)
        #expect(held > 2)
        defer { close(held) }
        let output = FileManager.default.temporaryDirectory.appendingPathComponent("fds-\(UUID().uuidString)").path
        defer { unlink(output) }
        let pid = try PostgresCluster.spawn(["/bin/ls", "/proc/self/fd"], output: output)
        var status: Int32 = 0
        while waitpid(pid, &status, WNOHANG) == 0 { try await Task.sleep(for: .milliseconds(5)) }
        let listed = Set(try String(contentsOfFile: output, encoding: .utf8).split(separator: "\n").compactMap { Int32($0) })
        // 0-2 are its own; ls reads the folder through one more, the lowest free: 3.
        #expect(listed.isSubset(of: [0, 1, 2, 3]), "the child inherited \(listed.subtracting([0, 1, 2, 3]).sorted())")
    }
}
