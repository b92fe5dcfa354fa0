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
        @OptionGroup var language: LanguageOptions

        @Argument(help: "Manifest files or directories (every *.yaml/*.yml in it).")
        var paths: [String] = ["rooms.yaml"]

        @Option(help: "Output format: text, json, github or sarif.")
        var format: ValidationFormat = .text

        @Flag(help: "Check the project file (PATH, default roomsync.yaml; SPEC 11) instead of manifests.")
        var project = false

        /// The project file `--project` checks: the one PATH given, else roomsync.yaml beside the manifests.
        private var projectPath: String? {
            guard project else { return nil }
            return paths == ["rooms.yaml"] ? ProjectFile.defaultPath : paths[0]
        }

        func validate() throws {
            if project, paths.count > 1 { throw ValidationError("--project checks one project file; name at most one PATH") }
        }

        func run() async throws {
            let result = projectPath.map(Self.readProject) ?? ManifestReader.read(paths: paths)
            switch format {
            case .text:
                Console.printDiagnostics(result.diagnostics)
                if !result.hasErrors {
                    print(projectPath.map { Catalogue.text(.validProject, ["path": $0]) } ?? ValidationRenderer.validLine(result))
                }
            case .json, .github, .sarif:
                Console.out(ValidationRenderer.render(
                    result, format: format, toolVersion: BuildInfo.version,
                    relativeTo: FileManager.default.currentDirectoryPath))
            }
            if result.hasErrors { throw ExitCode(1) }
        }

        /// A project file's problems, located and rendered in every format as a manifest's are.
        static func readProject(_ path: String) -> ManifestReadResult {
            guard let data = FileManager.default.contents(atPath: path) else {
                return ManifestReadResult(
                    rooms: [], files: [path], diagnostics: [.error(at: SourceLocation(file: path, line: 1, column: 1), "cannot read the project file \(path)")])
            }
            let (_, diagnostics) = ProjectFile.decode(Array(data), file: path)
            return ManifestReadResult(rooms: [], files: [path], diagnostics: diagnostics)
        }
    }
}

extension ValidationFormat: ExpressibleByArgument {}
