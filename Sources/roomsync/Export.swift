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
        @OptionGroup var language: LanguageOptions

        @Option(help: "Write the manifest here instead of stdout (never over the state).")
        var out: String?

        @OptionGroup var target: TargetOptions
        @OptionGroup var stateOptions: StateOptions

        func run() async throws {
            try await reportingErrors {
                let exported = try await ExportUseCase.run(
                    out: out.map { stateOptions.outputFile($0) }, state: stateOptions.location, api: target.provider(),
                    notes: ConsoleNotes())
                let export = exported.export
                if exported.writtenTo == nil { Console.out(export.manifest) }
                for warning in export.warnings { Console.err("warning: \(warning)") }
                let adopted = export.imports == 0
                    ? "all of them managed already"
                    : "\(export.imports) to import: `roomsync plan` shows them, and the apply of that plan adopts them"
                Console.err("Exported \(export.rooms) room(s)\(exported.writtenTo.map { " to \($0)" } ?? ""), \(adopted). The state was not changed.")
            }
        }
    }
}
