import ArgumentParser
import Foundation
import RoomSyncCore
import RoomSyncEngine
import RoomSyncUseCases

extension RoomSyncCommand {
    struct Export: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "export",
            abstract: "Write a manifest from the live rooms; change nothing.",
            discussion: """
                The way to onboard an organisation that already has rooms. Rooms the state manages keep their keys; \
                every other room gets a key from its name and an `import:` entry, so the next plan shows it as \
                `= import` and the apply a reviewer approves adopts it. The state is only read: running export \
                never changes what a later plan or apply does.

                Example (review the plan, then apply it):
                  roomsync export --out rooms.yaml && roomsync plan rooms.yaml
                """)

        @Option(help: "Write the manifest here instead of stdout (never over the state).")
        var out: String?

        @OptionGroup var target: TargetOptions
        @OptionGroup var stateOptions: StateOptions

        func run() async throws {
            try await reportingErrors {
                if let out { try stateOptions.outputFile(out).refuseWritingOver(command: "export", saving: "manifest") }
                // Under the state's lock, as plan reads: an add an apply has journaled but not yet recorded would
                // otherwise be exported as an unmanaged room to import under a second key.
                let export = try await stateOptions.withLockedStore(command: "export", lookingOnly: true) { store in
                    try await target.withAPI { api, stateTarget in
                        try await SyncPipeline.export(store: store, api: api, target: stateTarget)
                    }
                }
                if let out {
                    try AtomicFile.write(Data(export.manifest.utf8), to: out)
                } else {
                    Console.out(export.manifest)
                }
                for warning in export.warnings { Console.err("warning: \(warning)") }
                let adopted = export.imports == 0
                    ? "all of them managed already"
                    : "\(export.imports) to import: `roomsync plan` shows them, and the apply of that plan adopts them"
                Console.err("Exported \(export.rooms) room(s)\(out.map { " to \($0)" } ?? ""), \(adopted). The state was not changed.")
            }
        }
    }
}
