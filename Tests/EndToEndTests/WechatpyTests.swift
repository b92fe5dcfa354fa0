import Foundation
import RoomSyncSandbox
import RoomSyncTestSupport
import Testing

/// Issue 15: wechatpy 2.0.0a26, the Python SDK with meeting-room calls, works unchanged against the served
/// sandbox: examples/wechatpy/check.py adds, lists with filters, edits, deletes and refreshes a stale token.
///
/// Runs when python3 is present and wechatpy can be installed into a fresh venv; otherwise it says why on stderr
/// and is skipped, unless ROOMSYNC_REQUIRE_PYTHON_TOOLS=1, where it fails instead.
@Suite struct WechatpyTests {
    static let required = ProcessInfo.processInfo.environment["ROOMSYNC_REQUIRE_PYTHON_TOOLS"] == "1"

    /// A venv with wechatpy, made on a thread of its own: pip takes seconds, and the test pool's threads must not
    /// wait for it.
    static func makeVenv() async -> WechatpyVenv {
        await withCheckedContinuation { continuation in
            DispatchQueue.global().async { continuation.resume(returning: WechatpyVenv()) }
        }
    }

    /// The venv's python; without one the test is skipped saying why, or fails where the tools are required.
    static func python(of venv: WechatpyVenv) throws -> String {
        guard let python = venv.python else {
            let reason = venv.reason ?? "wechatpy is not available"
            if required { Issue.record("ROOMSYNC_REQUIRE_PYTHON_TOOLS=1 but \(reason)") }
            FileHandle.standardError.write(Data("WechatpyTests: \(reason)\n".utf8))
            try Test.cancel(Comment(rawValue: reason))
        }
        return python
    }

    @Test func wechatpyRunsUnchangedAgainstTheServedSandbox() async throws {
        let venv = await Self.makeVenv()
        defer { venv.remove() }
        let python = try Self.python(of: venv)
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("examples/wechatpy/check.py")
        var options = SandboxServer.Options()
        options.tokenTTL = 2
        try await withServedSandbox(options) { sandbox in
            let run = try await WechatpyVenv.run(python, [script.path, sandbox.endpoint])
            #expect(run.status == 0, "\(run.output)")
            for step in ["ok add", "ok list with filters", "ok edit", "ok delete", "ok gettoken: one token",
                         "ok stale-token refresh (40014)", "ok expired-token refresh (42001)"] {
                #expect(run.output.contains(step), "\(run.output)")
            }
            #expect(try await sandbox.store.list(.init(), showRange: false).count == 2)
        }
    }

    /// Issue 26: wechatpy's booking calls against the served sandbox (examples/wechatpy/bookings.py), its cancel
    /// sending WeCom's first name of the booking id (`meeting_id`).
    @Test func wechatpyBooksAndCancelsAgainstTheServedSandbox() async throws {
        let venv = await Self.makeVenv()
        defer { venv.remove() }
        let python = try Self.python(of: venv)
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("examples/wechatpy/bookings.py")
        try await withServedSandbox { sandbox in
            let run = try await WechatpyVenv.run(python, [script.path, sandbox.endpoint])
            #expect(run.status == 0, "\(run.output)")
            for step in ["ok book", "ok get_booking_info", "ok clash refused", "ok a query across days refused",
                         "ok cancel_book (meeting_id)"] {
                #expect(run.output.contains(step), "\(run.output)")
            }
            #expect(await sandbox.store.callCount("cancel_book") == 1)
        }
    }
}

/// A venv under a temporary directory with wechatpy 2.0.0a26. Blocks while pip runs: make it off the test pool.
final class WechatpyVenv: Sendable {
    /// The venv's python, or `nil` with `reason`.
    let python: String?
    let reason: String?
    let directory: URL

    init() {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("roomsync-wechatpy-\(UUID().uuidString)")
        guard let python3 = Self.which("python3") else {
            (python, reason) = (nil, "skipped: no python3 on PATH")
            return
        }
        let venvPython = directory.appendingPathComponent("bin/python").path
        let steps: [(String, [String])] = [
            (python3, ["-m", "venv", directory.path]),
            (venvPython, ["-m", "pip", "install", "--quiet", "--disable-pip-version-check", "wechatpy==2.0.0a26"]),
        ]
        for (executable, arguments) in steps {
            let result = Self.runSync(executable, arguments)
            guard result.status == 0 else {
                let why = result.output.split(separator: "\n").suffix(2).joined(separator: " ")
                (python, reason) = (nil, "skipped: `\(([executable] + arguments).joined(separator: " "))` failed (no network for pip?): \(why)")
                return
            }
        }
        (python, reason) = (venvPython, nil)
    }

    func remove() {
        try? FileManager.default.removeItem(at: directory)
    }

    static func which(_ name: String) -> String? {
        for directory in (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":") {
            let path = "\(directory)/\(name)"
            if FileManager.default.isExecutableFile(atPath: path) { return path }
        }
        return nil
    }

    static func runSync(_ executable: String, _ arguments: [String]) -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        let output = FileManager.default.temporaryDirectory.appendingPathComponent("wechatpy-\(UUID().uuidString).log")
        FileManager.default.createFile(atPath: output.path, contents: nil)
        defer { try? FileManager.default.removeItem(at: output) }
        guard let handle = try? FileHandle(forWritingTo: output) else { return (-1, "cannot write \(output.path)") }
        process.standardOutput = handle
        process.standardError = handle
        process.standardInput = FileHandle.nullDevice
        do {
            try process.run()
        } catch {
            return (-1, "\(error)")
        }
        process.waitUntilExit()
        try? handle.close()
        return (process.terminationStatus, (try? String(contentsOf: output, encoding: .utf8)) ?? "")
    }

    /// Runs the venv's python without blocking the test's executor.
    static func run(_ python: String, _ arguments: [String]) async throws -> (status: Int32, output: String) {
        try await withCheckedThrowingContinuation { continuation in
            DispatchQueue.global().async {
                continuation.resume(returning: runSync(python, arguments))
            }
        }
    }
}
