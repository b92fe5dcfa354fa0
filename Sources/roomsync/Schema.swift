import ArgumentParser
import RoomSyncCore

extension RoomSyncCommand {
    struct Schema: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "schema",
            abstract: "Print the manifest's JSON Schema (draft 2020-12).",
            discussion: """
                The schema is built from the rules validate enforces, so editors complete field names and flag \
                wrong types, unknown fields and out-of-range values as you type. It cannot see everything \
                validate checks (a key defined twice, keys clashing across files): run validate too.

                Examples:
                  roomsync schema > schema/roomsync.schema.json
                  # first line of a manifest, for editors using yaml-language-server:
                  # yaml-language-server: $schema=./schema/roomsync.schema.json
                """)
        @OptionGroup var language: LanguageOptions

        @Flag(help: "Print the project file's (roomsync.yaml) schema instead.")
        var project = false

        func run() async throws {
            guard !project else { return Console.out(ProjectSchema.json) }
            Console.out(ManifestSchema.json)
        }
    }
}
