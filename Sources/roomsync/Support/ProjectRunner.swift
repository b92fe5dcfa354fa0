import ArgumentParser
import Foundation
import RoomSyncCore
import RoomSyncEngine

/// `--project`, `--all-targets`, `--project-target` on plan, apply, drift and doctor (SPEC 11).
struct ProjectOptions: ParsableArguments {
    @Option(help: "The project file that names several corps (default: roomsync.yaml).")
    var project: String?

    @Flag(help: "Run every target of the project file, each with its own credentials, lock and state.")
    var allTargets = false

    @Option(name: .customLong("project-target"), help: "Run this target of the project file (repeatable).")
    var projectTargets: [String] = []

    var isActive: Bool { allTargets || !projectTargets.isEmpty }

    func validate() throws {
        if allTargets, !projectTargets.isEmpty {
            throw ValidationError("--all-targets runs every target; leave out --project-target, or --all-targets")
        }
        if project != nil, !isActive {
            throw ValidationError("--project needs --all-targets or --project-target NAME")
        }
    }

    /// Refuses what a project file decides per target, and manifest PATHs, which come from the targets.
    func refuseConflicts(pathsGiven: Bool) throws {
        guard isActive else { return }
        if pathsGiven { throw ValidationError("with a project file the manifests come from each target's 'manifests'; leave out PATH") }
        let arguments = CommandLine.arguments
        for flag in ProjectRunner.perTargetFlags where arguments.contains(where: { $0 == flag || $0.hasPrefix(flag + "=") }) {
            throw ValidationError("\(flag) comes from each target of the project file; leave it out with --all-targets or --project-target")
        }
    }
}

/// Runs one command for several targets of a project file: each target in a roomsync process of its own (its own
/// credentials from its `secret_env`, its own state and lock, its manifests), a few at once, and prints one report
/// with a section per target. The exit status is the worst (1 over 2 over 0); one target's failure never stops
/// the others.
enum ProjectRunner {
    /// What the project file sets per target, so never given on the command line with it.
    static let perTargetFlags = ["--corp-id", "--corp-secret-file", "--endpoint", "--state", "--workspace", "--sandbox", "--out"]
    /// Targets run at once: a few, so that a corp's rate limits and the machine are not flooded.
    static let concurrentTargets = 3

    struct Outcome: Sendable {
        var name: String
        var status: Int32
        var stdout: String
        var stderr: String
    }

    enum ReportFormat {
        case text, json, markdown
    }

    /// Runs `command` for the selected targets and prints the report; throws `ExitCode` with the worst status.
    static func run(command: String, options: ProjectOptions, format: ReportFormat, extraArguments: [String] = []) async throws {
        let path = options.project ?? ProjectFile.defaultPath
        let project: ProjectFile
        do {
            project = try ProjectFile.read(path: path)
        } catch let list as DiagnosticList {
            for diagnostic in list.diagnostics { Console.err(diagnostic.description) }
            throw ExitCode(1)
        }
        var targets = project.targets
        if !options.allTargets {
            let known = Set(targets.map(\.name))
            for name in options.projectTargets where !known.contains(name) {
                Console.err("error: \(path) has no target '\(name)'; its targets: \(targets.map(\.name).joined(separator: ", "))")
                throw ExitCode(1)
            }
            targets = targets.filter { options.projectTargets.contains($0.name) }
        }
        let directory = URL(fileURLWithPath: path).deletingLastPathComponent()
        let forwarded = forwardedArguments(command: command) + extraArguments
        let outcomes = await runBounded(targets) { target in
            await runTarget(target, command: command, forwarded: forwarded, directory: directory)
        }
        for outcome in outcomes {
            for line in outcome.stderr.split(separator: "\n", omittingEmptySubsequences: true) {
                Console.err("[\(outcome.name)] \(line)")
            }
        }
        Console.out(render(outcomes, format: format))
        let worst = outcomes.contains { $0.status != 0 && $0.status != 2 } ? 1 : outcomes.contains { $0.status == 2 } ? 2 : 0
        if worst != 0 { throw ExitCode(Int32(worst)) }
    }

    /// The command line as given, less the project's own options: what every target's run takes (the format,
    /// --prune, --auto-approve, subsets, --notify…).
    static func forwardedArguments(command: String) -> [String] {
        var arguments = Array(CommandLine.arguments.dropFirst())
        if let position = arguments.firstIndex(of: command) { arguments.removeSubrange(...position) }
        var kept: [String] = []
        var index = 0
        while index < arguments.count {
            let argument = arguments[index]
            index += 1
            if argument == "--all-targets" || argument.hasPrefix("--project=") || argument.hasPrefix("--project-target=") { continue }
            if argument == "--project" || argument == "--project-target" {
                index += 1
                continue
            }
            kept.append(argument)
        }
        return kept
    }

    /// At most `concurrentTargets` at once, results in the targets' order: start that many, add one as each ends.
    static func runBounded(
        _ targets: [ProjectFile.Target], _ body: @escaping @Sendable (ProjectFile.Target) async -> Outcome
    ) async -> [Outcome] {
        await withTaskGroup(of: (Int, Outcome).self) { group in
            var results = [Outcome?](repeating: nil, count: targets.count)
            var next = 0
            func startNext() {
                guard next < targets.count else { return }
                let position = next
                let target = targets[position]
                group.addTask { (position, await body(target)) }
                next += 1
            }
            for _ in 0..<min(concurrentTargets, targets.count) { startNext() }
            while let (position, outcome) = await group.next() {
                results[position] = outcome
                startNext()
            }
            return results.compactMap { $0 }
        }
    }

    static func runTarget(_ target: ProjectFile.Target, command: String, forwarded: [String], directory: URL) async -> Outcome {
        let environment = ProcessInfo.processInfo.environment
        // Never a fallback to the sandbox or to another corp's secret: a missing variable is this target's error.
        guard let secret = environment[target.secretEnv], !secret.isEmpty else {
            return Outcome(
                name: target.name, status: 1, stdout: "",
                stderr: "error: target '\(target.name)': the environment variable \(target.secretEnv) (its secret_env) is not set")
        }
        var arguments = [command] + forwarded + ["--corp-id", target.corpID, "--state", target.statePath]
        if target.usesPostgres { arguments += ["--workspace", target.workspace ?? target.name] }
        if let endpoint = target.endpoint { arguments += ["--endpoint", endpoint] }
        if let percent = target.massDeletePercent, ["plan", "apply"].contains(command) {
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
        do {
            let (arguments, childEnvironment) = (arguments, childEnvironment)
            return try await offThePool {
                try runProcess(arguments, environment: childEnvironment, directory: directory, name: target.name)
            }
        } catch {
            return Outcome(name: target.name, status: 1, stdout: "", stderr: "error: target '\(target.name)': cannot run roomsync: \(error)")
        }
    }

    /// Runs this same executable, its output in files rather than pipes so that a chatty run never blocks.
    static func runProcess(_ arguments: [String], environment: [String: String], directory: URL, name: String) throws -> Outcome {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
        process.arguments = arguments
        process.environment = environment
        process.currentDirectoryURL = directory
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("roomsync-\(name)-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: scratch) }
        let out = scratch.appendingPathComponent("stdout"), err = scratch.appendingPathComponent("stderr")
        _ = FileManager.default.createFile(atPath: out.path, contents: nil)
        _ = FileManager.default.createFile(atPath: err.path, contents: nil)
        process.standardOutput = try FileHandle(forWritingTo: out)
        process.standardError = try FileHandle(forWritingTo: err)
        process.standardInput = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        return Outcome(
            name: name, status: process.terminationReason == .uncaughtSignal ? 1 : process.terminationStatus,
            stdout: (try? String(contentsOf: out, encoding: .utf8)) ?? "",
            stderr: (try? String(contentsOf: err, encoding: .utf8)) ?? "")
    }

    static func errorLines(_ outcome: Outcome) -> [String] {
        outcome.stderr.split(separator: "\n").map(String.init).filter { $0.hasPrefix("error:") || $0.contains(": error: ") }
    }

    static func render(_ outcomes: [Outcome], format: ReportFormat) -> String {
        switch format {
        case .text:
            return outcomes.map { outcome in
                var section = "=== target \(outcome.name) ===\n" + outcome.stdout
                if outcome.status == 1 { section += errorLines(outcome).map { $0 + "\n" }.joined() }
                return section
            }.joined(separator: "\n")
        case .markdown:
            return "## roomsync: \(outcomes.count) target(s)\n\n" + outcomes.map { outcome in
                var section = "## target `\(outcome.name)`\n\n" + outcome.stdout
                if outcome.status == 1 {
                    section += "\n```text\n" + errorLines(outcome).map { $0 + "\n" }.joined() + "```\n"
                }
                return section
            }.joined(separator: "\n")
        case .json:
            var targets: [String: Any] = [:]
            for outcome in outcomes {
                var document = (try? JSONSerialization.jsonObject(with: Data(outcome.stdout.utf8))) as? [String: Any] ?? [:]
                if outcome.status == 1 {
                    document["error"] = errorLines(outcome).joined(separator: "\n")
                }
                targets[outcome.name] = document
            }
            let data = (try? JSONSerialization.data(withJSONObject: ["targets": targets], options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])) ?? Data()
            return String(decoding: data, as: UTF8.self) + "\n"
        }
    }
}

extension OutputFormat {
    var projectFormat: ProjectRunner.ReportFormat {
        switch self {
        case .text: .text
        case .json: .json
        case .markdown: .markdown
        }
    }
}
