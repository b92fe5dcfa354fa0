import ArgumentParser
import Foundation
import RoomSyncCore

@main
struct RoomSyncCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "roomsync",
        abstract: "Manage WeCom (企业微信) meeting rooms as code.",
        discussion: """
            Rooms are declared in YAML manifests; roomsync diffs them against the rooms WeCom lists, shows a plan, \
            applies it idempotently and reports drift.
            """,
        version: BuildInfo.versionLine,
        subcommands: [
            Validate.self, Plan.self, Apply.self, Drift.self, Import.self, Export.self, State.self, Schema.self, Sandbox.self,
            Doctor.self,
        ]
    )

    /// ArgumentParser's `main`, except that a usage error (an unknown flag, a bad value, a failed `validate()`)
    /// exits 1 like every other error (SPEC section 3) instead of with EX_USAGE (64). Its message is unchanged.
    static func main() async {
        // `sandbox serve` runs for hours and should give memory back; every other command reads, decides and exits.
        if CommandLine.arguments.dropFirst().first != "sandbox" {
            MallocTuning.forOneShotCommand(arguments: Array(CommandLine.arguments.dropFirst()))
        }
        // The language is chosen once the command is parsed (its --lang) and set around everything it prints,
        // errors included; a parse error comes before any choice and is English, as --help is.
        var language = Language.en
        do {
            let command = try parseAsRoot()
            do {
                language = try Language.choose(
                    flag: (command as? any LanguageChoosing)?.language.lang, environment: ProcessInfo.processInfo.environment)
            } catch {
                Console.printError(error)
                exit(withError: ExitCode.failure)
            }
            let parsed = Parsed(command: command)
            try await Language.$current.withValue(language) { try await run(parsed) }
        } catch {
            Language.$current.withValue(language) {
                guard exitCode(for: error) == .validationFailure else { exit(withError: error) }
                FileHandle.standardError.write(Data((fullMessage(for: error) + "\n").utf8))
                exit(withError: ExitCode.failure)
            }
        }
    }

    /// The parsed command, handed to the language's scope: it is run there, on this same task, and nowhere else.
    struct Parsed: @unchecked Sendable {
        var command: any ParsableCommand
    }

    private static func run(_ parsed: Parsed) async throws {
        var command = parsed.command
        if var command = command as? any AsyncParsableCommand {
            try await command.run()
        } else {
            try command.run()
        }
    }
}
