import ArgumentParser
import RoomSyncCore
import RoomSyncEngine
import RoomSyncUseCases

extension RoomSyncCommand {
    struct Import: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "import",
            abstract: "Adopt an existing live room under a manifest key.",
            discussion: """
                Records in the state that KEY manages the live room MEETINGROOM_ID. KEY must be a room of the \
                manifests (PATHs, default rooms.yaml): a key no manifest declares would be deleted by the next plan. \
                `roomsync plan` then shows what would change. In a pull request, prefer the manifest's `import:` \
                entry, which the plan shows before anything happens.

                Examples:
                  roomsync import sz-18f-large 1024
                  roomsync import sz-18f-large 1024 rooms/
                """)
        @OptionGroup var language: LanguageOptions

        @Argument(help: "The manifest key.")
        var key: String

        @Argument(help: "The live room's meetingroom_id.")
        var meetingroomID: Int

        @Argument(help: "Manifest files or directories; one of them declares KEY.")
        var paths: [String] = ["rooms.yaml"]

        @OptionGroup var target: TargetOptions
        @OptionGroup var stateOptions: StateOptions

        func run() async throws {
            try await reportingErrors {
                try await ImportUseCase.run(
                    ImportInput(key: key, meetingroomID: meetingroomID, manifests: try readManifests(paths)),
                    state: stateOptions.location, api: target.provider(), notes: ConsoleNotes())
                Console.out("Imported meetingroom_id \(meetingroomID) as '\(key)'.\n")
            }
        }
    }
}
