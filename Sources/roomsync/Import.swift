import ArgumentParser
import RoomSyncCore
import RoomSyncEngine

extension RoomSyncCommand {
    struct Import: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "import",
            abstract: "Adopt an existing live room under a manifest key.",
            discussion: """
                Records in the state that KEY manages the live room MEETINGROOM_ID. Add KEY to a manifest, then \
                `roomsync plan` shows what would change.

                Example:
                  roomsync import sz-18f-large 1024
                """)

        @Argument(help: "The manifest key.")
        var key: String

        @Argument(help: "The live room's meetingroom_id.")
        var meetingroomID: Int

        @OptionGroup var target: TargetOptions
        @OptionGroup var stateOptions: StateOptions

        func run() async throws {
            try await reportingErrors {
                try await stateOptions.withLockedState(command: "import") { store, state in
                    try await target.withAPI { api, stateTarget in
                        try await StateEdits.importRoom(
                            key: key, meetingroomID: meetingroomID, api: api, target: stateTarget, state: &state,
                            path: store.displayName)
                    }
                }
                Console.out("Imported meetingroom_id \(meetingroomID) as '\(key)'.\n")
            }
        }
    }
}
