import Foundation
import RoomSyncCore
import RoomSyncEngine
import RoomSyncSandbox
import RoomSyncTestSupport
import Testing

/// Issue 24 through the built binary, on the state file: reports people can trust. No drift that roomsync made
/// itself, plan and drift that never read an apply half done, nothing empty passing for a state, refusals that
/// name the fix, and no password in any message.
@Suite struct TrustworthyReportsTests {
    /// Item 1 (SPEC 4): an edit that reached WeCom while its state write was lost. The plan says there is nothing
    /// to call and that the record catches up; apply writes it, with no API call and a `refresh` in the history,
    /// and drift is quiet from then on.
    @Test func anEditWhoseStateWriteWasLostIsRecordedWithNoCallAndDriftStaysQuiet() async throws {
        try await withWorkspace { ws in
            try ws.write(manifest(rooms: ["a": room("A", capacity: 10), "b": room("B")]))
            #expect(try await ws.roomsync("apply", "--auto-approve").status == 0)
            let beforeTheEdit = try Data(contentsOf: ws.statePath)
            try ws.write(manifest(rooms: ["a": room("A", capacity: 12), "b": room("B")]))
            let edit = try await ws.roomsync("apply", "--auto-approve")
            #expect(edit.stdout.contains("Apply complete: 0 added, 1 changed"), "\(edit)")
            // The edit landed; its state write did not (a SIGKILL, the database stopping).
            try beforeTheEdit.write(to: ws.statePath)
            let edits = await ws.sandbox.store.callCount("edit")

            let plan = try await ws.roomsync("plan", "--detailed-exitcode")
            #expect(plan.status == 0, "\(plan)")
            #expect(plan.stdout.contains("note: 'a' already matches the manifest live; apply records it in the state"), "\(plan)")
            #expect(plan.stdout.hasSuffix("No changes.\n"), "\(plan)")
            let apply = try await ws.roomsync("apply", "--auto-approve")
            #expect(apply.status == 0, "\(apply)")
            #expect(await ws.sandbox.store.callCount("edit") == edits, "the record was brought up to date with an API call")
            #expect(try ws.state().rooms["a"]?.applied.capacity == 12)
            let history = try await ws.roomsync("state", "history", "a")
            #expect(history.stdout.split(separator: "\n").dropFirst().first?.contains("refresh") == true, "\(history)")

            let drift = try await ws.roomsync("drift")
            #expect(drift.status == 0, "\(drift)")
            let again = try await ws.roomsync("plan")
            #expect(again.stdout == "No changes.\n", "\(again)")
        }
    }

    /// Item 2 (SPEC 4): plan and drift read under the state's lock. During an apply, drift says the state is
    /// locked (exit 1: no false alarm for `drift --notify`), and plan with --lock-timeout waits for the apply and
    /// then has nothing to do, instead of showing the edits in flight as changes.
    @Test func planAndDriftDuringAnApplyWaitForItOrSayItIsLocked() async throws {
        try await withWorkspace(SandboxServer.Options(latencyMs: 150)) { ws in
            try ws.write(manifest(rooms: numberedRooms(40)))
            let running = try ws.start("apply", "--auto-approve", "--parallelism", "1")
            try await waitForCondition("the apply holds the lock and has recorded a room") {
                let holder = (try? String(contentsOfFile: ws.statePath.path + ".lock", encoding: .utf8)) ?? ""
                return holder.contains("roomsync apply") && ((try? ws.state().rooms.count) ?? 0) >= 1
            }
            let drift = try await ws.roomsync("drift")
            let plan = try await ws.roomsync("plan", "--lock-timeout", "600", "--detailed-exitcode")
            let applied = try await ws.finish(running)
            #expect(applied.status == 0, "\(applied)")
            #expect(drift.status == 1, "\(drift)")
            #expect(drift.stderr.hasPrefix("error: state .roomsync/state.json is locked by roomsync apply (pid "), "\(drift)")
            #expect(plan.status == 0, "\(plan)")
            #expect(plan.stdout == "No changes.\n", "\(plan)")
            #expect(plan.stderr.contains("is locked by roomsync apply (pid "), "\(plan)")
        }
    }

    /// Item 4 (SPEC 8): nothing empty passes for a state. An empty ROOMSYNC_STATE (a missing CI secret) names
    /// itself, a workspace for a state file is refused, and pulling a state that does not exist is an error, not
    /// an empty backup. None of them creates anything.
    @Test func anEmptyOrMissingStateIsAnErrorNamingIt() async throws {
        try await withWorkspace { ws in
            try ws.write(manifest(rooms: numberedRooms(2)))
            let empty = try await ws.run(["plan"], environment: ["ROOMSYNC_STATE": ""])
            #expect(empty.status == 1, "\(empty)")
            #expect(empty.stderr.hasPrefix("error: ROOMSYNC_STATE is set but empty"), "\(empty)")
            #expect(empty.stdout.isEmpty, "\(empty)")

            let workspace = try await ws.roomsync("plan", "--workspace", "team-a")
            #expect(workspace.status == 1, "\(workspace)")
            #expect(workspace.stderr.hasPrefix("error: --workspace team-a names a workspace of a postgres state"), "\(workspace)")
            let fromTheEnvironment = try await ws.run(["drift"], environment: ["ROOMSYNC_WORKSPACE": "team-a"])
            #expect(fromTheEnvironment.status == 1, "\(fromTheEnvironment)")
            #expect(fromTheEnvironment.stderr.hasPrefix("error: ROOMSYNC_WORKSPACE team-a names a workspace"), "\(fromTheEnvironment)")

            let pull = try await ws.roomsync("state", "pull")
            #expect(pull.status == 1, "\(pull)")
            #expect(pull.stdout.isEmpty, "\(pull)")
            #expect(pull.stderr == "error: state .roomsync/state.json does not exist (nothing was ever written to it); check --state and --workspace\n", "\(pull)")
            #expect(!FileManager.default.fileExists(atPath: ws.directory.appendingPathComponent(".roomsync").path))
        }
    }

    /// Item 3: a wrong corp id is named as such (40013), not taken for a state of another target.
    @Test func aWrongCorpIDIsNamedBeforeTheStateIsChecked() async throws {
        try await withWorkspace { ws in
            try ws.write(manifest(rooms: numberedRooms(2)))
            #expect(try await ws.roomsync("apply", "--auto-approve").status == 0)
            for command in ["plan", "apply", "drift"] {
                let arguments = command == "apply" ? [command, "--auto-approve"] : [command]
                let wrong = try await ws.run(arguments, environment: ["WECOM_CORP_ID": "ww-typo"])
                #expect(wrong.status == 1, "\(wrong)")
                #expect(wrong.stderr.contains("WeCom does not know the corp id ww-typo"), "\(command): \(wrong)")
                #expect(!wrong.stderr.contains("belongs to"), "\(command): \(wrong)")
            }
        }
    }

    /// Item 6 (SPEC 7): a database password with `?`, `@`, `#` or `/` left as it is in the URL is printed nowhere
    /// — not by a command, not by doctor, not when it comes from ROOMSYNC_STATE — and one marker stands for it.
    @Test(arguments: ["s3cr?t99", "pa55@w0rd#k3y/x9z"])
    func aDatabasePasswordIsPrintedNowhere(password: String) async throws {
        try await withWorkspace { ws in
            try ws.write(manifest(rooms: numberedRooms(1)))
            let pieces = password.split(whereSeparator: { "?@#/".contains($0) }).map(String.init)
            let invalid = "postgres://app:\(password)@127.0.0.1:99999/rooms"
            var runs = [
                try await ws.roomsync("plan", "--state", invalid),
                try await ws.run(["plan"], environment: ["ROOMSYNC_STATE": invalid]),
                try await ws.roomsync("state", "pull", "--state", invalid),
                try await ws.roomsync("doctor", "--state", invalid),
            ]
            let port = try await withRefusingLoopbackPort { port in
                runs.append(try await ws.roomsync("plan", "--state", "postgres://app:\(password)@127.0.0.1:\(port)/rooms?sslmode=disable"))
                return port
            }
            for run in runs {
                #expect(run.status == 1, "\(run)")
                for piece in pieces { #expect(!(run.stdout + run.stderr).contains(piece), "\(run)") }
                #expect(!(run.stdout + run.stderr).contains("***"), "\(run)")
            }
            #expect(runs[0].stderr == "error: invalid --state URL postgres://app:REDACTED@127.0.0.1:99999/rooms: port 99999 is not a number from 1 to 65535\n", "\(runs[0])")
            #expect(runs[4].stderr.contains("state database 127.0.0.1:\(port) is unreachable"), "\(runs[4])")
        }
    }
}
