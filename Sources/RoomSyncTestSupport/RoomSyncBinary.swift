import Foundation

/// The `roomsync` executable that `swift build` put beside the test bundle.
public enum RoomSyncBinary {
    public static var url: URL {
        #if os(macOS)
        for bundle in Bundle.allBundles where bundle.bundlePath.hasSuffix(".xctest") {
            return bundle.bundleURL.deletingLastPathComponent().appendingPathComponent("roomsync")
        }
        #endif
        return Bundle.main.bundleURL.appendingPathComponent("roomsync")
    }

    /// What one run printed and how it ended.
    public struct Result: Sendable, CustomStringConvertible {
        public var status: Int32
        public var stdout: String
        public var stderr: String

        public var description: String { "exit \(status)\n--- stdout\n\(stdout)\n--- stderr\n\(stderr)" }

        /// The stdout parsed as a JSON object.
        public func json() throws -> [String: Any] {
            guard let object = try JSONSerialization.jsonObject(with: Data(stdout.utf8)) as? [String: Any] else {
                throw CocoaError(.coderReadCorrupt)
            }
            return object
        }
    }

    /// Runs roomsync in `directory` with `arguments`. The environment is the test's minus anything that would
    /// pick another target (credentials, `CI`) or language (`LANG=C.UTF-8`), plus `environment`.
    public static func run(
        _ arguments: [String], in directory: URL, environment: [String: String] = [:], stdin: String? = nil
    ) async throws -> Result {
        let process = try start(arguments, in: directory, environment: environment, stdin: stdin)
        return try await process.finish()
    }

    public static func start(
        _ arguments: [String], in directory: URL, environment: [String: String] = [:], stdin: String? = nil
    ) throws -> RunningRoomSync {
        let process = Process()
        process.executableURL = url
        process.arguments = arguments
        process.currentDirectoryURL = directory
        var env = ProcessInfo.processInfo.environment
        for name in ["CI", "WECOM_CORP_ID", "WECOM_CORP_SECRET", "WECOM_ENDPOINT", "NO_COLOR"] { env[name] = nil }
        // English unless the test asks otherwise: a developer's zh_CN locale must not change what tests read.
        for name in ["ROOMSYNC_LANG", "LC_ALL", "LC_MESSAGES"] { env[name] = nil }
        env["LANG"] = "C.UTF-8"
        env.merge(environment) { _, new in new }
        process.environment = env
        let out = directory.appendingPathComponent(".out-\(UUID().uuidString)")
        let err = directory.appendingPathComponent(".err-\(UUID().uuidString)")
        _ = FileManager.default.createFile(atPath: out.path, contents: nil)
        _ = FileManager.default.createFile(atPath: err.path, contents: nil)
        // Files rather than pipes: a chatty child never blocks on a full pipe while the test waits for it.
        process.standardOutput = try FileHandle(forWritingTo: out)
        process.standardError = try FileHandle(forWritingTo: err)
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
        return RunningRoomSync(process: process, stdoutFile: out, stderrFile: err)
    }
}

/// A roomsync process a test started and may kill.
public final class RunningRoomSync: @unchecked Sendable {
    public let process: Process
    let stdoutFile: URL
    let stderrFile: URL

    init(process: Process, stdoutFile: URL, stderrFile: URL) {
        self.process = process
        self.stdoutFile = stdoutFile
        self.stderrFile = stderrFile
    }

    public func kill() {
        if process.isRunning { Foundation.kill(process.processIdentifier, SIGKILL) }
    }

    /// What the process has printed on stdout so far.
    public func stdoutSoFar() -> String {
        (try? String(contentsOf: stdoutFile, encoding: .utf8)) ?? ""
    }

    /// For `roomsync sandbox serve`: waits for its `listening on URL` line and returns the URL; throws if the
    /// process ends first.
    public func listeningEndpoint() async throws -> String {
        while true {
            if let line = stdoutSoFar().split(separator: "\n").first, line.hasPrefix("listening on ") {
                return String(line.dropFirst("listening on ".count))
            }
            guard process.isRunning else { throw CocoaError(.executableLoad) }
            try await Task.sleep(for: .milliseconds(10))
        }
    }

    public func finish() async throws -> RoomSyncBinary.Result {
        while process.isRunning { try await Task.sleep(for: .milliseconds(10)) }
        let result = RoomSyncBinary.Result(
            status: process.terminationReason == .uncaughtSignal ? 128 + process.terminationStatus : process.terminationStatus,
            stdout: (try? String(contentsOf: stdoutFile, encoding: .utf8)) ?? "",
            stderr: (try? String(contentsOf: stderrFile, encoding: .utf8)) ?? "")
        try? FileManager.default.removeItem(at: stdoutFile)
        try? FileManager.default.removeItem(at: stderrFile)
        return result
    }
}
