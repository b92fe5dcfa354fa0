import ArgumentParser
import Foundation
import RoomSyncCore
import RoomSyncEngine
import RoomSyncUseCases

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
        for flag in ProjectUseCase.perTargetFlags where arguments.contains(where: { $0 == flag || $0.hasPrefix(flag + "=") }) {
            throw ValidationError("\(flag) comes from each target of the project file; leave it out with --all-targets or --project-target")
        }
    }
}

/// Runs one command for several targets of a project file (`ProjectUseCase`) and prints one report with a section
/// per target. The exit status is the worst (1 over 2 over 0).
enum ProjectRunner {
    enum ReportFormat {
        case text, json, markdown
    }

    /// Runs `command` for the selected targets and prints the report; throws `ExitCode` with the worst status.
    static func run(command: String, options: ProjectOptions, format: ReportFormat, extraArguments: [String] = []) async throws {
        let input = ProjectInput(
            command: command, projectPath: options.project ?? ProjectFile.defaultPath,
            targetNames: options.allTargets ? nil : options.projectTargets,
            forwarded: forwardedArguments(command: command) + extraArguments,
            executable: URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath(),
            environment: ProcessInfo.processInfo.environment)
        let outcome: ProjectOutcome
        do {
            outcome = try await ProjectUseCase.run(input)
        } catch {
            Console.printError(error)
            throw ExitCode(1)
        }
        for run in outcome.runs {
            for line in run.stderr.split(separator: "\n", omittingEmptySubsequences: true) {
                Console.err("[\(run.name)] \(line)")
            }
        }
        Console.out(render(outcome.runs, format: format))
        if outcome.exitStatus != 0 { throw ExitCode(outcome.exitStatus) }
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

    static func errorLines(_ outcome: TargetRun) -> [String] {
        outcome.errors
    }

    static func render(_ outcomes: [TargetRun], format: ReportFormat) -> String {
        switch format {
        case .text:
            return outcomes.map { outcome in
                var section = Catalogue.text(.projectTarget, ["name": outcome.name]) + "\n" + outcome.stdout
                if outcome.status == 1 { section += errorLines(outcome).map { $0 + "\n" }.joined() }
                return section
            }.joined(separator: "\n")
        case .markdown:
            return Catalogue.text(.mdProjectTitle, ["count": outcomes.count]) + "\n\n" + outcomes.map { outcome in
                var section = Catalogue.text(.mdProjectTarget, ["name": outcome.name]) + "\n\n" + outcome.stdout
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
