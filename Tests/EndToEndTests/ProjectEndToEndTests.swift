import Foundation
import RoomSyncCore
import RoomSyncEngine
import RoomSyncSandbox
import RoomSyncTestSupport
import Testing

/// Issue 28 item 2 (SPEC 11): one repository, several corps. Through the built binary against two served
/// sandboxes, each standing for a corp with its own secret, state and lock.
@Suite struct ProjectEndToEndTests {
    static let hqSecret = "ROOMSYNC_TEST_SECRET_HQ"
    static let szSecret = "ROOMSYNC_TEST_SECRET_SZ"

    static func project(hq: ServedSandbox, sz: ServedSandbox, extraSZ: String = "") -> String {
        """
        version: 1
        targets:
          hq:
            corp_id: \(hq.options.corpID)
            secret_env: \(hqSecret)
            endpoint: \(hq.endpoint)
            manifests: [rooms/hq]
            mass_delete_percent: 10
          sz:
            corp_id: \(sz.options.corpID)
            secret_env: \(szSecret)
            endpoint: \(sz.endpoint)
            manifests: [rooms/sz]
        \(extraSZ)
        """
    }

    /// Two corps' manifests and a project file naming them, in a scratch folder.
    static func withTwoCorps(
        hq hqOptions: SandboxServer.Options = .init(), sz szOptions: SandboxServer.Options = .init(),
        _ body: (URL, ServedSandbox, ServedSandbox, [String: String]) async throws -> Void
    ) async throws {
        try await withTemporaryDirectory { directory in
            try await withServedSandbox(hqOptions) { hq in
                try await withServedSandbox(szOptions) { sz in
                    let files = FileManager.default
                    for name in ["hq", "sz"] {
                        try files.createDirectory(at: directory.appendingPathComponent("rooms/\(name)"), withIntermediateDirectories: true)
                    }
                    try manifest(rooms: ["hq-a": room("HQ A"), "hq-b": room("HQ B", floor: "19F")])
                        .write(to: directory.appendingPathComponent("rooms/hq/rooms.yaml"), atomically: true, encoding: .utf8)
                    try manifest(rooms: ["sz-a": room("SZ A")])
                        .write(to: directory.appendingPathComponent("rooms/sz/rooms.yaml"), atomically: true, encoding: .utf8)
                    try project(hq: hq, sz: sz).write(to: directory.appendingPathComponent("roomsync.yaml"), atomically: true, encoding: .utf8)
                    let environment = [
                        hqSecret: hq.options.corpSecret, szSecret: sz.options.corpSecret, "ROOMSYNC_RETRY_BASE_DELAY_MS": "10",
                    ]
                    try await body(directory, hq, sz, environment)
                }
            }
        }
    }

    @Test func allTargetsPlansAndAppliesEachCorpWithItsOwnStateInOneReport() async throws {
        try await Self.withTwoCorps { directory, hq, sz, environment in
            func run(_ arguments: String...) async throws -> RoomSyncBinary.Result {
                try await RoomSyncBinary.run(arguments, in: directory, environment: environment)
            }
            let json = try await run("plan", "--all-targets", "--format", "json")
            #expect(json.status == 0, "\(json)")
            let targets = try #require(try json.json()["targets"] as? [String: [String: Any]])
            #expect((targets["hq"]?["summary"] as? [String: Int])?["add"] == 2)
            #expect((targets["sz"]?["summary"] as? [String: Int])?["add"] == 1)
            #expect(targets["hq"]?["format_version"] as? Int == 1)

            let text = try await run("plan", "--all-targets")
            #expect(text.stdout.contains("=== target hq ===\n+ hq-a will be added"), "\(text)")
            #expect(text.stdout.contains("=== target sz ===\n+ sz-a will be added"), "\(text)")
            let markdown = try await run("plan", "--all-targets", "--format", "markdown")
            #expect(markdown.stdout.contains("## target `hq`\n\n### roomsync plan"), "\(markdown)")
            #expect(markdown.stdout.contains("## target `sz`\n\n### roomsync plan"), "\(markdown)")

            let unapproved = try await run("apply", "--all-targets")
            #expect(unapproved.status == 1)
            #expect(unapproved.stderr.contains("pass --auto-approve"), "\(unapproved)")
            #expect(await hq.store.callCount("add") == 0)

            let apply = try await run("apply", "--all-targets", "--auto-approve")
            #expect(apply.status == 0, "\(apply)")
            #expect(await hq.store.callCount("add") == 2)
            #expect(await sz.store.callCount("add") == 1)
            for name in ["hq", "sz"] {
                let state = try StateFile.load(directory.appendingPathComponent(".roomsync/\(name)/state.json").path)
                #expect(state.rooms.keys.allSatisfy { $0.hasPrefix(name + "-") }, "\(name): \(state.rooms.keys.sorted())")
            }
            #expect(try await run("plan", "--all-targets", "--detailed-exitcode").status == 0)
            let doctor = try await run("doctor", "--all-targets")
            #expect(doctor.stdout.contains("=== target hq ===\n"), "\(doctor)")
            #expect(doctor.stdout.contains("=== target sz ===\n"), "\(doctor)")
            #expect(doctor.stdout.contains(hq.endpoint) && doctor.stdout.contains(sz.endpoint), "\(doctor)")
            let drift = try await run("drift", "--all-targets", "--format", "json")
            #expect(drift.status == 0, "\(drift)")
            #expect(Set((try drift.json()["targets"] as? [String: Any])?.keys ?? [:].keys) == ["hq", "sz"])

            // One target by name; an unknown one is named.
            let one = try await run("plan", "--project-target", "sz")
            #expect(one.stdout == "=== target sz ===\nNo changes.\n", "\(one)")
            let unknown = try await run("plan", "--project-target", "nope")
            #expect(unknown.status == 1)
            #expect(unknown.stderr.contains("roomsync.yaml has no target 'nope'; its targets: hq, sz"), "\(unknown)")
            let withPath = try await run("plan", "--all-targets", "rooms/hq")
            #expect(withPath.status == 1)
        }
    }

    @Test func aMissingSecretIsThatTargetsErrorAndTheOthersStillRun() async throws {
        try await Self.withTwoCorps { directory, hq, sz, environment in
            var environment = environment
            environment[Self.szSecret] = nil
            let plan = try await RoomSyncBinary.run(["plan", "--all-targets", "--format", "json", "--detailed-exitcode"], in: directory, environment: environment)
            // Worst of 2 (hq has changes) and 1 (sz failed) is 1.
            #expect(plan.status == 1, "\(plan)")
            #expect(plan.stderr.contains("[sz] error: target 'sz': the environment variable \(Self.szSecret) (its secret_env) is not set"), "\(plan)")
            let targets = try #require(try plan.json()["targets"] as? [String: [String: Any]])
            #expect((targets["hq"]?["summary"] as? [String: Int])?["add"] == 2)
            #expect((targets["sz"]?["error"] as? String)?.contains(Self.szSecret) == true)
            // Never a fallback to a sandbox: the corp was never called, and no state was made for it.
            #expect(await sz.store.callCount("list") == 0)
            #expect(!FileManager.default.fileExists(atPath: directory.appendingPathComponent(".roomsync/sz").path))
            #expect(!FileManager.default.fileExists(atPath: directory.appendingPathComponent(".roomsync/sandbox.json").path))
            let apply = try await RoomSyncBinary.run(["apply", "--all-targets", "--auto-approve"], in: directory, environment: environment)
            #expect(apply.status == 1)
            #expect(await hq.store.callCount("add") == 2)

            // With both secrets and changes only left in sz, the worst is 2.
            var both = environment
            both[Self.szSecret] = sz.options.corpSecret
            let changes = try await RoomSyncBinary.run(["plan", "--all-targets", "--detailed-exitcode"], in: directory, environment: both)
            #expect(changes.status == 2, "\(changes)")
        }
    }

    @Test func aCorpThatAnswers60020FailsAloneAndTheMassDeleteGuardIsPerTarget() async throws {
        var failing = SandboxServer.Options()
        failing.faultRate = 1
        failing.faultErrcodes = [60020]
        try await Self.withTwoCorps(sz: failing) { directory, hq, _, environment in
            let apply = try await RoomSyncBinary.run(["apply", "--all-targets", "--auto-approve"], in: directory, environment: environment)
            #expect(apply.status == 1, "\(apply)")
            #expect(apply.stderr.contains("[sz] "), "\(apply)")
            #expect(apply.stdout.contains("=== target hq ===\n+ hq-a will be added"), "\(apply)")
            #expect(await hq.store.callCount("add") == 2)
        }
        // hq's guard is 10%: 1 of its 2... under the guard's minimum of 10 rooms; checked on 10 rooms instead.
        try await Self.withTwoCorps { directory, hq, _, environment in
            try manifest(rooms: numberedRooms(10, prefix: "hq"))
                .write(to: directory.appendingPathComponent("rooms/hq/rooms.yaml"), atomically: true, encoding: .utf8)
            #expect(try await RoomSyncBinary.run(["apply", "--project-target", "hq", "--auto-approve"], in: directory, environment: environment).status == 0)
            var rooms = numberedRooms(10, prefix: "hq")
            rooms["hq1"] = nil
            rooms["hq2"] = nil
            try manifest(rooms: rooms).write(to: directory.appendingPathComponent("rooms/hq/rooms.yaml"), atomically: true, encoding: .utf8)
            // 2 of 10 is under the default 30% but over hq's 10%.
            let plan = try await RoomSyncBinary.run(["plan", "--project-target", "hq"], in: directory, environment: environment)
            #expect(plan.status == 1, "\(plan)")
            #expect(plan.stderr.contains("the plan deletes 2 of 10 managed rooms (more than 10%)"), "\(plan)")
            _ = hq
        }
    }

    @Test func aTargetWhoseLockIsHeldFailsAloneNamingTheHolder() async throws {
        try await Self.withTwoCorps { directory, hq, sz, environment in
            let folder = directory.appendingPathComponent(".roomsync/hq")
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            let store = FileStateStore(path: folder.appendingPathComponent("state.json").path)
            let holding = AsyncStream<Void>.makeStream()
            let release = AsyncStream<Void>.makeStream()
            let writer = StateWriter(host: "other-host", pid: 4242, user: "tester", command: "apply")
            let holder = Task {
                try await store.withLock(writer, wait: .zero, onWait: { _ in }) {
                    holding.continuation.yield()
                    for await _ in release.stream { break }
                }
            }
            var held = holding.stream.makeAsyncIterator()
            await held.next()
            let apply = try await RoomSyncBinary.run(["apply", "--all-targets", "--auto-approve"], in: directory, environment: environment)
            release.continuation.yield()
            try await holder.value
            #expect(apply.status == 1, "\(apply)")
            #expect(apply.stderr.contains("[hq] error:"), "\(apply)")
            #expect(apply.stderr.contains("pid 4242 on other-host"), "\(apply)")
            #expect(await hq.store.callCount("add") == 0)
            #expect(await sz.store.callCount("add") == 1)
        }
    }

    /// Issue 28 item 3: --notify sends one message per target, each naming its corp's result.
    @Test func notifySendsOneMessagePerTarget() async throws {
        try await withTemporaryDirectory { logs in
            let log = logs.appendingPathComponent("webhook.jsonl")
            var options = SandboxServer.Options()
            options.webhookLog = log.path
            try await Self.withTwoCorps(hq: options) { directory, hq, _, environment in
                var environment = environment
                environment["ROOMSYNC_WEBHOOK_URL"] = hq.endpoint + "/cgi-bin/webhook/send?key=project-robot-key-0123"
                let apply = try await RoomSyncBinary.run(["apply", "--all-targets", "--auto-approve", "--notify"], in: directory, environment: environment)
                #expect(apply.status == 0, "\(apply)")
                let messages = try String(contentsOf: log, encoding: .utf8).split(separator: "\n").map {
                    try JSONDecoder().decode(SandboxServer.WebhookMessage.self, from: Data($0.utf8)).content
                }
                #expect(messages.count == 2, "\(messages)")
                #expect(messages.filter { $0.contains("2 added") }.count == 1, "\(messages)")
                #expect(messages.filter { $0.contains("1 added") }.count == 1, "\(messages)")
            }
        }
    }

    @Test func theProjectFileHasLocatedErrorsAndASchema() async throws {
        try await withTemporaryDirectory { directory in
            let bad = """
                version: 1
                targets:
                  hq:
                    corp_id: ww1
                    secret_env: wecom-secret
                    manifests: [rooms/hq]
                    mass_delete_percent: 120
                    colour: blue
                  sz:
                    secret_env: WECOM_SECRET_SZ
                    manifests: rooms/sz

                """
            try bad.write(to: directory.appendingPathComponent("roomsync.yaml"), atomically: true, encoding: .utf8)
            let validate = try await RoomSyncBinary.run(["validate", "--project", "roomsync.yaml"], in: directory)
            #expect(validate.status == 1)
            #expect(validate.stderr.contains("roomsync.yaml:5:17: error: 'secret_env' of target 'hq' names an environment variable"), "\(validate)")
            #expect(validate.stderr.contains("roomsync.yaml:7:26: error: 'mass_delete_percent' of target 'hq' must be a whole number from 0 to 100"), "\(validate)")
            #expect(validate.stderr.contains("roomsync.yaml:8:5: error: unknown field 'colour' in target 'hq'"), "\(validate)")
            #expect(validate.stderr.contains("roomsync.yaml:9:3: error: target 'sz' is missing 'corp_id'"), "\(validate)")
            #expect(validate.stderr.contains("roomsync.yaml:11:16: error: 'manifests' of target 'sz' must be a list"), "\(validate)")
            // Without a PATH, --project checks roomsync.yaml.
            let github = try await RoomSyncBinary.run(["validate", "--project", "--format", "github"], in: directory)
            #expect(github.stdout.contains("::error file=roomsync.yaml,line=8,col=5::"), "\(github)")
            // plan --all-targets refuses the same file with the same lines, before any corp is called.
            let plan = try await RoomSyncBinary.run(["plan", "--all-targets"], in: directory)
            #expect(plan.status == 1)
            #expect(plan.stderr.contains("roomsync.yaml:8:5: error: unknown field 'colour'"), "\(plan)")

            let schema = try await RoomSyncBinary.run(["schema", "--project"], in: directory)
            #expect(schema.status == 0)
            let object = try #require(try JSONSerialization.jsonObject(with: Data(schema.stdout.utf8)) as? [String: Any])
            #expect(object["$schema"] as? String == "https://json-schema.org/draft/2020-12/schema")
            #expect(schema.stdout.contains("\"secret_env\""))
        }
    }
}
