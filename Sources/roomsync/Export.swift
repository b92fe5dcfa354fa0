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
                    try await target.withAPI { api, stateTarget in
                        try await SyncPipeline.export(api: api, target: stateTarget, state: &state, path: store.displayName) { export in
                            if let out {
                                try AtomicFile.write(Data(export.manifest.utf8), to: out)
                            } else {
                                Console.out(export.manifest)
                            }
                        }
                    }
                }
                for warning in export.warnings { Console.err("warning: \(warning)") }
                Console.err("Exported \(export.state.rooms.count) room(s)\(out.map { " to \($0)" } ?? ""); state written to \(stateOptions.displayName).")
            }
        }
    }
}
