import Foundation
import RoomSyncCore
import RoomSyncEngine
import RoomSyncSandbox
import RoomSyncTestSupport
import Testing

/// Issue 13 through the built binary: a team's state in PostgreSQL, shared by runs on several "machines" (working
/// folders), against a served sandbox and a throwaway server. Serialized: each test runs its own server.
@Suite(.serialized, .enabled(if: PostgresServer.shouldRun, "PostgreSQL is not installed (no /usr/lib/postgresql/*/bin/initdb)"))
struct PostgresEndToEndTests {
    /// Two working folders on one sandbox: two CI machines.
    func withTwoMachines(
        _ options: SandboxServer.Options = .init(), _ body: (Workspace, Workspace, PostgresCluster) async throws -> Void
    ) async throws {
        try await withPostgresCluster { cluster in
            try await withServedSandbox(options) { sandbox in
                try await withTemporaryDirectory { first in
                    try await withTemporaryDirectory { second in
                        let a = Workspace(directory: first, endpoint: sandbox.endpoint, sandbox: sandbox)
                        let b = Workspace(directory: second, endpoint: sandbox.endpoint, sandbox: sandbox)
                        try await body(a, b, cluster)
                        try await a.checkNoSecretsLeaked()
                        try await b.checkNoSecretsLeaked()
                    }
                }
            }
        }
    }

    static func expectOneRoomPerKey(_ ws: Workspace, state: RoomSyncState, keys: Int, sourceLocation: Testing.SourceLocation = #_sourceLocation) async throws {
        let ids = state.rooms.values.map(\.meetingroomID)
        #expect(state.rooms.count == keys, sourceLocation: sourceLocation)
        #expect(Set(ids).count == ids.count, "two keys share a room", sourceLocation: sourceLocation)
        #expect(state.pendingAdds.isEmpty, sourceLocation: sourceLocation)
        let live = try await ws.liveRooms()
        #expect(Set(live.map(\.meetingroomID)) == Set(ids), "live rooms and mappings differ", sourceLocation: sourceLocation)
        let names = Dictionary(grouping: live, by: \.name).filter { $0.value.count > 1 }.map(\.key)
        #expect(names.isEmpty, "duplicated rooms: \(names)", sourceLocation: sourceLocation)
    }

    func pulled(_ ws: Workspace, _ url: String) async throws -> RoomSyncState {
        let pull = try await ws.roomsync("state", "pull", "--state", url)
        #expect(pull.status == 0, "\(pull)")
        return try JSONDecoder().decode(RoomSyncState.self, from: Data(pull.stdout.utf8))
    }

    @Test func twoAppliesAtOnceOnOneWorkspaceRunOneAfterTheOtherAndNeverDuplicate() async throws {
        try await withTwoMachines(SandboxServer.Options(latencyMs: 150)) { a, b, cluster in
            let url = cluster.url()
            let rooms = manifest(rooms: numberedRooms(20))
            try a.write(rooms)
            try b.write(rooms)
            // The first holds the lock for its twenty adds one at a time (3 s at least) and the second starts once
            // it holds it: started together, a busy machine once let the first finish before the second asked.
            let first = try a.start("apply", "--auto-approve", "--parallelism", "1", "--state", url, "--lock-timeout", "120")
            try await waitForCondition("the first apply holds the lock") {
                (try? await cluster.psql("SELECT count(*) FROM roomsync.lock_holders"))?.trimmingCharacters(in: .whitespacesAndNewlines) == "1"
            }
            let second = try b.start("apply", "--auto-approve", "--state", url, "--lock-timeout", "120")
            let results = [try await a.finish(first), try await b.finish(second)]
            #expect(results.allSatisfy { $0.status == 0 }, "\(results)")
            #expect(results.contains { $0.stderr.contains("is locked by roomsync apply (pid ") }, "one of them waited: \(results)")
            try await Self.expectOneRoomPerKey(a, state: try await pulled(a, url), keys: 20)
            #expect(try await a.roomsync("plan", "--state", url, "--detailed-exitcode").status == 0)
            #expect(try await b.roomsync("plan", "--state", url, "--detailed-exitcode").status == 0)
            let history = try await b.roomsync("state", "history", "r1", "--state", url)
            #expect(history.stdout.contains("add "), "\(history)")
        }
    }

    @Test func withoutALockTimeoutTheSecondFailsAtOnceNamingTheHolder() async throws {
        try await withTwoMachines(SandboxServer.Options(latencyMs: 150)) { a, b, cluster in
            let url = cluster.url()
            try a.write(manifest(rooms: numberedRooms(30)))
            try b.write(manifest(rooms: numberedRooms(30)))
            let first = try a.start("apply", "--auto-approve", "--parallelism", "1", "--state", url)
            // Wait for the first to hold the lock (its holder row), not for a fixed time.
            try await waitForCondition("the first apply holds the lock") {
                (try? await cluster.psql("SELECT count(*) FROM roomsync.lock_holders"))?.trimmingCharacters(in: .whitespacesAndNewlines) == "1"
            }
            let second = try await b.roomsync("apply", "--auto-approve", "--state", url)
            #expect(second.status == 1, "\(second)")
            #expect(second.stderr.contains("is locked by roomsync apply (pid "), "\(second)")
            // The first is killed outright: the server frees its lock with its connection.
            first.kill()
            _ = try await a.finish(first)
            let again = try await b.roomsync("apply", "--auto-approve", "--state", url, "--lock-timeout", "30")
            #expect(again.status == 0, "\(again)")
            #expect(!again.stderr.contains("is locked by"), "the killed holder's lock was still held: \(again)")
            try await Self.expectOneRoomPerKey(b, state: try await pulled(b, url), keys: 30)
        }
    }

    @Test func threeHundredChangesUnderFaultsConvergeOnPostgres() async throws {
        try await withTwoMachines(SandboxServer.Options(faultRate: 0.3, dropRate: 0.05, seed: 20261125)) { ws, _, cluster in
            let url = cluster.url()
            try ws.write(manifest(rooms: numberedRooms(150)))
            let setup = try await ws.roomsync("apply", "--auto-approve", "--parallelism", "8", "--state", url)
            #expect(setup.status == 0, "\(setup)")
            let rooms = threeHundredChangesTo150Rooms()
            try ws.write(manifest(rooms: rooms))
            let apply = try await ws.roomsync("apply", "--auto-approve", "--parallelism", "8", "--state", url)
            #expect(apply.status == 0, "\(apply)")
            #expect(apply.stdout.contains("Apply complete: 160 added, 100 changed, 40 deleted, 0 adopted."), "\(apply)")
            try await Self.expectOneRoomPerKey(ws, state: try await pulled(ws, url), keys: rooms.count)
            #expect(try await ws.roomsync("plan", "--state", url, "--detailed-exitcode").status == 0)
        }
    }

    @Test func theDatabaseStoppedMidApplyIsOneClearLineAndALaterRunConverges() async throws {
        try await withTwoMachines(SandboxServer.Options(latencyMs: 100)) { ws, _, cluster in
            let url = cluster.url()
            try ws.write(manifest(rooms: numberedRooms(40)))
            let running = try ws.start("apply", "--auto-approve", "--parallelism", "2", "--state", url)
            try await waitForCondition("the apply has recorded a few rooms") {
                let count = (try? await cluster.psql("SELECT count(*) FROM roomsync.rooms"))?.trimmingCharacters(in: .whitespacesAndNewlines)
                return Int(count ?? "") ?? 0 >= 3
            }
            try await cluster.stop()
            let stopped = try await ws.finish(running)
            #expect(stopped.status == 1, "\(stopped)")
            let errors = stopped.stderr.split(separator: "\n").filter { $0.hasPrefix("error:") }
            #expect(errors.contains { $0.contains("state database 127.0.0.1:\(cluster.port) is unreachable") }, "\(stopped)")
            // One cause, one line: operations in flight when it stopped do not each say it their own way.
            #expect(errors.filter { $0.contains("state database") }.count == 1, "\(stopped)")
            #expect(!stopped.stderr.contains("Fatal error"), "\(stopped)")
            try await cluster.start()
            let again = try await ws.roomsync("apply", "--auto-approve", "--state", url)
            #expect(again.status == 0, "\(again)")
            try await Self.expectOneRoomPerKey(ws, state: try await pulled(ws, url), keys: 40)
        }
    }

    @Test func pullOfAnEarlierSerialThroughTheBinary() async throws {
        try await withTwoMachines { ws, _, cluster in
            try await StatePullSerialEndToEndTests.pullsEarlierSerials(ws, state: ["--state", cluster.url()])
        }
    }

    @Test func pushThenPullRoundTripsAStateFileThroughTheBinary() async throws {
        try await withTwoMachines { ws, other, cluster in
            let url = cluster.url()
            try ws.write(manifest(rooms: numberedRooms(5)))
            #expect(try await ws.roomsync("apply", "--auto-approve").status == 0)
            // The file as an older roomsync wrote it: no serial, no lineage.
            var old = try ws.state()
            old.serial = 0
            old.lineage = nil
            try StateFile.save(old, to: ws.statePath.path)
            let push = try await ws.roomsync("state", "push", ".roomsync/state.json", "--state", url)
            #expect(push.status == 0, "\(push)")
            let pull = try await ws.roomsync("state", "pull", "--state", url)
            #expect(pull.status == 0, "\(pull)")
            // Byte for byte, after the upgrade the first write makes: serial 1 and a lineage.
            var upgraded = old
            upgraded.serial = 1
            upgraded.lineage = try JSONDecoder().decode(RoomSyncState.self, from: Data(pull.stdout.utf8)).lineage
            #expect(upgraded.lineage?.count == 36)
            let expected = ws.directory.appendingPathComponent("upgraded.json")
            try StateFile.save(upgraded, to: expected.path)
            #expect(pull.stdout == (try String(contentsOf: expected, encoding: .utf8)))
            // Another machine's file of another lineage is refused without --force.
            try other.write(manifest(rooms: numberedRooms(1)))
            #expect(try await other.roomsync("apply", "--auto-approve").status == 0)
            let refused = try await other.roomsync("state", "push", ".roomsync/state.json", "--state", url)
            #expect(refused.status == 1, "\(refused)")
            #expect(refused.stderr.contains("already holds another state"), "\(refused)")
            #expect(try await ws.roomsync("plan", "--state", url, "--detailed-exitcode").status == 0)
        }
    }
}

/// `state pull --serial N` through the binary: what `state pull` printed after each command comes back byte for
/// byte later, on either backend; a serial the state never had is one line and exit 1.
@Suite struct StatePullSerialEndToEndTests {
    @Test func pullOfAnEarlierSerialOfTheStateFile() async throws {
        try await withWorkspace { ws in try await Self.pullsEarlierSerials(ws, state: []) }
    }

    static func pullsEarlierSerials(_ ws: Workspace, state: [String]) async throws {
        func run(_ arguments: String...) async throws -> RoomSyncBinary.Result {
            try await ws.run(arguments + state)
        }
        func pull() async throws -> (serial: Int, text: String) {
            let pull = try await run("state", "pull")
            #expect(pull.status == 0, "\(pull)")
            return (try JSONDecoder().decode(RoomSyncState.self, from: Data(pull.stdout.utf8)).serial, pull.stdout)
        }
        var pulls: [(serial: Int, text: String)] = []
        try ws.write(manifest(rooms: numberedRooms(5)))
        #expect(try await run("apply", "--auto-approve", "--parallelism", "4").status == 0)
        pulls.append(try await pull())
        var rooms = numberedRooms(5)
        rooms["r1"] = room("R-1 renamed", floor: "2F")
        rooms["r5"] = nil
        rooms["r6"] = room("R-6")
        try ws.write(manifest(rooms: rooms))
        let apply = try await run("apply", "--auto-approve", "--parallelism", "4")
        #expect(apply.stdout.contains("Apply complete: 1 added, 1 changed, 1 deleted"), "\(apply)")
        pulls.append(try await pull())
        #expect(try await run("state", "rm", "r2").status == 0)
        pulls.append(try await pull())
        #expect(Set(pulls.map(\.serial)).count == 3)

        for (serial, text) in pulls {
            let again = try await run("state", "pull", "--serial", "\(serial)")
            #expect(again.status == 0, "\(again)")
            #expect(again.stdout == text, "serial \(serial)")
        }
        let empty = try await run("state", "pull", "--serial", "0")
        #expect(empty.status == 0, "\(empty)")
        #expect(try JSONDecoder().decode(RoomSyncState.self, from: Data(empty.stdout.utf8)) == RoomSyncState())

        let current = pulls[2].serial
        let unknown = try await run("state", "pull", "--serial", "\(current + 1)")
        #expect(unknown.status == 1, "\(unknown)")
        #expect(unknown.stdout.isEmpty)
        #expect(
            unknown.stderr.hasPrefix("error: state ")
                && unknown.stderr.hasSuffix(" has no serial \(current + 1): its serial is \(current); serials 0 to \(current) can be pulled\n"),
            "\(unknown)")
        #expect(unknown.stderr.split(separator: "\n").count == 1, "\(unknown)")
    }
}
