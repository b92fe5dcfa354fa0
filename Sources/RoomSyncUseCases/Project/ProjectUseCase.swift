import Foundation
import RoomSyncCore
import RoomSyncEngine

/// What a run over a project file (SPEC 11) is given, once the arguments are parsed.
public struct ProjectInput: Sendable {
    /// `plan`, `apply`, `drift` or `doctor`.
    public var command: String
    /// The project file.
    public var projectPath: String
    /// The targets to run; `nil` runs every one.
    public var targetNames: [String]?
    /// The command line every target's run takes (the format, --prune, --auto-approve, subsets, --notify…).
    public var forwarded: [String]
    /// The roomsync executable each target runs as.
    public var executable: URL
    /// The environment the targets' secrets come from, and their runs inherit.
    public var environment: [String: String]

    public init(
        command: String, projectPath: String, targetNames: [String]?, forwarded: [String], executable: URL,
        environment: [String: String]
    ) {
        self.command = command
        self.projectPath = projectPath
        self.targetNames = targetNames
        self.forwarded = forwarded
        self.executable = executable
        self.environment = environment
    }
}

/// How one target's run ended: its exit status and what it printed.
public struct TargetRun: Sendable, Hashable {
    public var name: String
    public var status: Int32
    public var stdout: String
    public var stderr: String
    /// The error lines the run printed, as it recorded them (`ProjectUseCase.errorFileVariable`), for the report.
    public var errors: [String]

    public init(name: String, status: Int32, stdout: String, stderr: String, errors: [String] = []) {
        self.name = name
        self.status = status
        self.stdout = stdout
        self.stderr = stderr
        self.errors = errors
    }

    /// The run of a target that failed before its process started.
    static func failed(_ name: String, _ error: RoomSyncError) -> TargetRun {
        let lines = error.diagnostics.map(\.description)
        return TargetRun(name: name, status: 1, stdout: "", stderr: lines.joined(separator: "\n"), errors: lines)
    }
}

/// The runs of every target selected, in the project file's order.
public struct ProjectOutcome: Sendable, Hashable {
    public var runs: [TargetRun]

    /// The worst of the runs: 1 over 2 over 0.
    public var exitStatus: Int32 {
        runs.contains { $0.status != 0 && $0.status != 2 } ? 1 : runs.contains { $0.status == 2 } ? 2 : 0
    }
}

/// Runs one command for several targets of a project file: each target in a roomsync process of its own (its own
/// credentials from its `secret_env`, its own state and lock, its manifests), a few at once. One target's failure
/// never stops the others.
public enum ProjectUseCase {
    /// What the project file sets per target, so never given on the command line with it.
    public static let perTargetFlags = ["--corp-id", "--corp-secret-file", "--endpoint", "--state", "--workspace", "--sandbox", "--out"]
    /// Targets run at once: a few, so that a corp's rate limits and the machine are not flooded.
    static let concurrentTargets = 3
    /// Set for each target's run: the file the run appends its error lines to, so that the report shows them
    /// without picking them out of stderr by their text.
    public static let errorFileVariable = "ROOMSYNC_ERROR_FILE"

    /// A project file that does not read throws its `DiagnosticList`; a target it does not name, a one-line error.
    public static func run(_ input: ProjectInput) async throws -> ProjectOutcome {
        let project = try ProjectFile.read(path: input.projectPath)
        var targets = project.targets
        if let names = input.targetNames {
            let known = Set(targets.map(\.name))
            for name in names where !known.contains(name) {
                throw RoomSyncError(
                    .projectHasNoTarget, ["path": input.projectPath, "name": name, "targets": targets.map(\.name).joined(separator: ", ")])
            }
            targets = targets.filter { names.contains($0.name) }
        }
        let directory = URL(fileURLWithPath: input.projectPath).deletingLastPathComponent()
        let runs = await runBounded(targets) { target in
            await runTarget(target, input: input, directory: directory)
        }
        return ProjectOutcome(runs: runs)
    }

    /// At most `concurrentTargets` at once, results in the targets' order: start that many, add one as each ends.
    static func runBounded(
        _ targets: [ProjectFile.Target], _ body: @escaping @Sendable (ProjectFile.Target) async -> TargetRun
    ) async -> [TargetRun] {
        await withTaskGroup(of: (Int, TargetRun).self) { group in
            var results = [TargetRun?](repeating: nil, count: targets.count)
            var next = 0
            func startNext() {
                guard next < targets.count else { return }
                let position = next
                let target = targets[position]
                group.addTask { (position, await body(target)) }
                next += 1
            }
            for _ in 0..<min(concurrentTargets, targets.count) { startNext() }
            while let (position, run) = await group.next() {
                results[position] = run
                startNext()
            }
            return results.compactMap { $0 }
        }
    }

    static func runTarget(_ target: ProjectFile.Target, input: ProjectInput, directory: URL) async -> TargetRun {
        let environment = input.environment
        // Never a fallback to the sandbox or to another corp's secret: a missing variable is this target's error.
        guard let secret = environment[target.secretEnv], !secret.isEmpty else {
            return .failed(target.name, RoomSyncError(.projectSecretEnvUnset, ["target": target.name, "variable": target.secretEnv]))
        }
        var arguments = [input.command] + input.forwarded + ["--corp-id", target.corpID, "--state", target.statePath]
        if target.usesPostgres { arguments += ["--workspace", target.workspace ?? target.name] }
        if let endpoint = target.endpoint { arguments += ["--endpoint", endpoint] }
        if let percent = target.massDeletePercent, ["plan", "apply"].contains(input.command) {
            arguments += ["--mass-delete-percent", String(percent)]
        }
        arguments += target.manifests
        var childEnvironment = environment
        // What the project sets per target never leaks in from the environment: a target without `endpoint` is
        // WeCom's, not whatever WECOM_ENDPOINT a shell happened to hold.
        for name in ["WECOM_CORP_ID", "WECOM_CORP_SECRET", "WECOM_ENDPOINT", "ROOMSYNC_STATE", "ROOMSYNC_WORKSPACE"] {
            childEnvironment[name] = nil
        }
        childEnvironment["WECOM_CORP_SECRET"] = secret
        // Each target's run speaks the language this run chose, whether it came from --lang, ROOMSYNC_LANG or the locale.
        childEnvironment["ROOMSYNC_LANG"] = Language.current.rawValue
        do {
            let (arguments, childEnvironment) = (arguments, childEnvironment)
            return try await offThePool {
                try runProcess(
                    input.executable, arguments, environment: childEnvironment, directory: directory, name: target.name)
            }
        } catch {
            return .failed(
                target.name, RoomSyncError(.projectCannotRun, ["target": target.name, "reason": RoomSyncError.systemReason(of: error)]))
        }
    }

    /// Runs `executable`, its output in files rather than pipes so that a chatty run never blocks.
    static func runProcess(
        _ executable: URL, _ arguments: [String], environment: [String: String], directory: URL, name: String
    ) throws -> TargetRun {
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        process.environment = environment
        process.currentDirectoryURL = directory
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("roomsync-\(name)-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: scratch) }
        let out = scratch.appendingPathComponent("stdout"), err = scratch.appendingPathComponent("stderr")
        let errors = scratch.appendingPathComponent("errors")
        for file in [out, err, errors] { _ = FileManager.default.createFile(atPath: file.path, contents: nil) }
        process.environment?[errorFileVariable] = errors.path
        process.standardOutput = try FileHandle(forWritingTo: out)
        process.standardError = try FileHandle(forWritingTo: err)
        process.standardInput = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        return TargetRun(
            name: name, status: process.terminationReason == .uncaughtSignal ? 1 : process.terminationStatus,
            stdout: (try? String(contentsOf: out, encoding: .utf8)) ?? "",
            stderr: (try? String(contentsOf: err, encoding: .utf8)) ?? "",
            errors: ((try? String(contentsOf: errors, encoding: .utf8)) ?? "").split(separator: "\n").map(String.init))
    }
}
