import ArgumentParser
import RoomSyncCore

extension RoomSyncCommand {
    struct Validate: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Parse and check manifests offline.")

        @Argument(help: "Manifest files or directories.")
        var paths: [String] = ["rooms.yaml"]

        func run() async throws {
            let result = ManifestReader.read(paths: paths)
            for diagnostic in result.diagnostics { print(diagnostic) }
            if result.hasErrors { throw ExitCode(1) }
        }
    }
}
