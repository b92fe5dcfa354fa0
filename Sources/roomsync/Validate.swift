import ArgumentParser
import Foundation
import RoomSyncCore
import RoomSyncEngine

extension RoomSyncCommand {
    struct Validate: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "validate",
            abstract: "Parse and check manifests offline.",
            discussion: """
                Prints every problem as FILE:LINE:COLUMN: error: MESSAGE on stderr. Exits 0 when valid, 1 otherwise. \
                Needs no credentials and no network: run it first in pull requests. For CI, --format json prints \
                one JSON document, --format github prints workflow commands that annotate the pull request's \
                lines, and --format sarif prints SARIF 2.1.0 for code scanning (all on stdout).

                Examples:
                  roomsync validate rooms.example.yaml
                  roomsync validate rooms/ shared/buildings.yaml
                  roomsync validate --format github rooms/
                  roomsync validate --format sarif rooms/ > roomsync.sarif
                """)

        @Argument(help: "Manifest files or directories (every *.yaml/*.yml in it).")
        var paths: [String] = ["rooms.yaml"]

        @Option(help: "Output format: text, json, github or sarif.")
        var format: ValidationFormat = .text

        func run() async throws {
            let result = ManifestReader.read(paths: paths)
            switch format {
            case .text:
                Console.printDiagnostics(result.diagnostics)
                if !result.hasErrors { print(ValidationRenderer.validLine(result)) }
            case .json, .github, .sarif:
                Console.out(ValidationRenderer.render(
                    result, format: format, toolVersion: BuildInfo.version,
                    relativeTo: FileManager.default.currentDirectoryPath))
            }
            if result.hasErrors { throw ExitCode(1) }
        }
    }
}

extension ValidationFormat: ExpressibleByArgument {}
