import ArgumentParser

@main
struct RoomSyncCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "roomsync",
        abstract: "Manage WeCom (企业微信) meeting rooms as code.",
        discussion: """
            Rooms are declared in YAML manifests; roomsync diffs them against the rooms WeCom lists, shows a plan, \
            applies it idempotently and reports drift.
            """,
        version: "0.1.0",
        subcommands: [
            Validate.self, Plan.self, Apply.self, Drift.self, Import.self, Export.self, State.self, Sandbox.self, Doctor.self,
        ]
    )
}
