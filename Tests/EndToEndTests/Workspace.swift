import Foundation
import RoomSyncCore
import Synchronization
import Testing
import RoomSyncEngine
import RoomSyncSandbox
import RoomSyncTestSupport
import WeComAPI

/// A scratch directory wired to a served sandbox on a loopback port: the place an end-to-end test writes
/// manifests, runs the built `roomsync`, and looks at the live rooms.
struct Workspace {
    let directory: URL
    let endpoint: String
    let sandbox: ServedSandbox
    /// Everything every run printed, for the secrets check at the end.
    let outputs = OutputLog()
    static let corpID = "ww-sandbox"
    static let corpSecret = "sandbox-secret"

    var environment: [String: String] {
        [
            "WECOM_ENDPOINT": endpoint, "WECOM_CORP_ID": Self.corpID, "WECOM_CORP_SECRET": Self.corpSecret,
            "ROOMSYNC_RETRY_BASE_DELAY_MS": "10",
            // The served sandbox shares this process with hundreds of tests: on a loaded runner it was once silent
            // for over 8 s, the client's attempt timeout, and an add that times out is (rightly) never resent, so
            // FaultTests' setup apply stopped after 7 of 150 adds (seen once in a full run).
            "ROOMSYNC_ATTEMPT_TIMEOUT_MS": "30000",
        ]
    }

    func write(_ text: String, to name: String = "rooms.yaml") throws {
        try text.write(to: directory.appendingPathComponent(name), atomically: true, encoding: .utf8)
    }

    func roomsync(_ arguments: String..., stdin: String? = nil) async throws -> RoomSyncBinary.Result {
        try await run(arguments, stdin: stdin)
    }

    func run(_ arguments: [String], environment extra: [String: String] = [:], stdin: String? = nil) async throws -> RoomSyncBinary.Result {
        let result = try await RoomSyncBinary.run(
            arguments, in: directory, environment: environment.merging(extra) { _, new in new }, stdin: stdin)
        outputs.append(result.stdout + result.stderr)
        return result
    }

    func start(_ arguments: String...) throws -> RunningRoomSync {
        try RoomSyncBinary.start(arguments, in: directory, environment: environment)
    }

    /// Waits for a started run and records its output.
    func finish(_ running: RunningRoomSync) async throws -> RoomSyncBinary.Result {
        let result = try await running.finish()
        outputs.append(result.stdout + result.stderr)
        return result
    }

    /// SPEC section 7: the corp secret and access tokens never appear in output, logs, state or plan files.
    /// Checks everything this workspace's runs printed and every file they left behind.
    func checkNoSecretsLeaked() async throws {
        let secrets = [Self.corpSecret] + (await sandbox.store.issuedTokens())
        var texts = outputs.all.enumerated().map { ("output of run \($0.offset + 1)", $0.element) }
        if let files = FileManager.default.enumerator(at: directory, includingPropertiesForKeys: nil) {
            for case let file as URL in files where !file.hasDirectoryPath {
                if let data = try? Data(contentsOf: file) { texts.append((file.lastPathComponent, String(decoding: data, as: UTF8.self))) }
            }
        }
        for (name, text) in texts {
            for secret in secrets where text.contains(secret) {
                Issue.record("a secret or access token appears in \(name)")
            }
        }
    }

    /// The live rooms, listed through the client as any WeCom user would see them.
    func liveRooms() async throws -> [MeetingRoom] {
        try await withClient { try await $0.listMeetingRooms(ListMeetingRoomsRequest()) }
    }

    /// Changes made "in the admin console": straight through the API, behind roomsync's back.
    func withClient<T>(_ body: (WeComClient) async throws -> T) async throws -> T {
        try await withWeComClient(sandbox.clientConfiguration(), body)
    }

    func state() throws -> RoomSyncState {
        try StateFile.load(directory.appendingPathComponent(".roomsync/state.json").path)
    }

    var statePath: URL { directory.appendingPathComponent(".roomsync/state.json") }
}

func withWorkspace(
    _ options: SandboxServer.Options = SandboxServer.Options(), _ body: (Workspace) async throws -> Void
) async throws {
    try await withTemporaryDirectory { directory in
        try await withServedSandbox(options) { sandbox in
            let workspace = Workspace(directory: directory, endpoint: sandbox.endpoint, sandbox: sandbox)
            try await body(workspace)
            try await workspace.checkNoSecretsLeaked()
        }
    }
}

/// A manifest of `count` rooms on floors of one building, with optional overrides per key.
func manifest(rooms: [String: String], defaults: String = manifestDefaults) -> String {
    var text = "version: 1\n\(defaults)rooms:\n"
    for key in rooms.keys.sorted() {
        text += "  \(key):\n"
        for line in rooms[key]!.split(separator: "\n") { text += "    \(line)\n" }
    }
    return text
}

let manifestDefaults = """
    defaults:
      city: 深圳
      building: 腾讯大厦
      coordinate: {latitude: "22.540503", longitude: "113.934528"}

    """

func room(_ name: String, capacity: Int = 10, floor: String = "18F", extra: String = "") -> String {
    "name: \(name)\ncapacity: \(capacity)\nfloor: \(floor)\n\(extra)"
}

func numberedRooms(_ count: Int, prefix: String = "r") -> [String: String] {
    Dictionary(uniqueKeysWithValues: (1...count).map { ("\(prefix)\($0)", room("\(prefix.uppercased())-\($0)", floor: "\($0 % 5 + 1)F")) })
}

/// The rooms after 300 changes to `numberedRooms(150)`: r1-r100 renamed, r111-r150 removed, n1-n160 added
/// (100 edits, 40 deletes, 160 adds).
func threeHundredChangesTo150Rooms() -> [String: String] {
    var rooms = numberedRooms(150)
    for index in 1...100 { rooms["r\(index)"] = room("R-\(index) renamed", floor: "\(index % 5 + 1)F") }
    for index in 111...150 { rooms["r\(index)"] = nil }
    rooms.merge(numberedRooms(160, prefix: "n")) { _, new in new }
    return rooms
}

extension RoomSyncBinary.Result {
    /// stderr less the `note: still waiting` lines a loaded machine adds after 10 s: tests of "one error line"
    /// count errors, not how fast the machine answered.
    var stderrWithoutWaitingNotes: String {
        stderr.split(separator: "\n", omittingEmptySubsequences: false)
            .filter { !$0.hasPrefix("note: still waiting") }.joined(separator: "\n")
    }

    /// The plan's JSON summary counts.
    func summary() throws -> [String: Int] {
        (try json()["summary"] as? [String: Int]) ?? [:]
    }
}

/// Outputs collected from concurrent runs.
final class OutputLog: Sendable {
    private let texts = Mutex<[String]>([])

    func append(_ text: String) { texts.withLock { $0.append(text) } }
    var all: [String] { texts.withLock { $0 } }
}

/// Runs `body` on a thread of its own, as the served sandbox runs: for a test that must catch a moment of a running
/// apply (an add in flight, a journaled add) while it lasts, however long the other tests hold the threads every task
/// shares (one such wait once came 50 s late, after the apply had ended). Only the wait and what it triggers: a
/// whole test body there also launched its processes from many threads at once, and one launch crashed inside
/// Foundation's `Process.run` (a full run at load 21).
func onOwnThread<T>(_ body: () async throws -> T) async rethrows -> T {
    let executor = ThreadExecutor(label: "end-to-end wait")
    defer { withExtendedLifetime(executor) {} }
    return try await withTaskExecutorPreference(executor) { try await body() }
}
