import ArgumentParser
import Foundation
import RoomSyncCore

extension RoomSyncCommand {
    struct Validate: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "validate",
            abstract: "Parse and check manifests offline.",
            discussion: """
                Prints every problem as FILE:LINE:COLUMN: error: MESSAGE on stderr. Exits 0 when valid, 1 otherwise. \
                Needs no credentials and no network: run it first in pull requests.

                Examples:
                  roomsync validate rooms.example.yaml
                  roomsync validate rooms/ shared/buildings.yaml
                """)

        @Argument(help: "Manifest files or directories (every *.yaml/*.yml in it).")
        var paths: [String] = ["rooms.yaml"]

        func run() async throws {
            let result = ManifestReader.read(paths: paths)
            Console.printDiagnostics(result.diagnostics)
            if result.hasErrors { throw ExitCode(1) }
            let rooms = result.rooms.count, files = result.files.count
            print("Valid: \(rooms) \(rooms == 1 ? "room" : "rooms") in \(files) \(files == 1 ? "file" : "files").")
        }
    }
}
