import ArgumentParser
import Foundation
import RoomSyncCore
import RoomSyncEngine

extension RoomSyncCommand {
    struct Export: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "export",
            abstract: "Write a manifest and a state from the live rooms.",
            discussion: """
                The way to onboard an organisation that already has rooms: a plan right after shows no changes. \
                Rooms already in the state keep their keys.

                Example:
                  roomsync export --out rooms.yaml && roomsync plan rooms.yaml
                """)

        @Option(help: "Write the manifest here instead of stdout.")
        var out: String?

        @OptionGroup var target: TargetOptions
        @OptionGroup var stateOptions: StateOptions

        func run() async throws {
            try await reportingErrors {
                let export = try await stateOptions.withLockedState(command: "export") { store, state in
                    let export = try await target.withAPI { api, stateTarget in
                        try StateFile.bind(&state, to: stateTarget, path: store.displayName)
                        let live = try await listAllRooms(api)
                        // A room an interrupted add created keeps the key it was added under.
                        PendingAddResolver.resolve(&state, live: live)
                        return ManifestExporter.export(live: live, state: state)
                    }
                    // The manifest first: a state that manages rooms no manifest names would plan to delete them.
                    if let out {
                        try AtomicFile.write(Data(export.manifest.utf8), to: out)
                    } else {
                        Console.out(export.manifest)
                    }
                    state = export.state
                    return export
                }
                for warning in export.warnings { Console.err("warning: \(warning)") }
                Console.err("Exported \(export.state.rooms.count) room(s)\(out.map { " to \($0)" } ?? ""); state written to \(stateOptions.displayName).")
            }
        }
    }
}
