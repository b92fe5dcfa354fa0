import ArgumentParser
import RoomSyncCore
import RoomSyncEngine
import RoomSyncUseCases

extension RoomSyncCommand {
    struct Plan: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "plan",
            abstract: "List the live rooms, diff them with the manifests and print the plan.",
            discussion: """
                Nothing is changed. Exit status 0 on success and 1 on error; with --detailed-exitcode, 0 means \
                no changes and 2 means there are changes.

                Examples:
                  roomsync plan rooms.yaml
                  roomsync plan rooms/ --format markdown > plan.md
                  roomsync plan --out plan.json --detailed-exitcode
                """)
        @OptionGroup var language: LanguageOptions

        @Argument(help: "Manifest files or directories.")
        var paths: [String] = ["rooms.yaml"]

        @OptionGroup var target: TargetOptions
        @OptionGroup var stateOptions: StateOptions
        @OptionGroup var output: OutputOptions
        @OptionGroup var bookings: BookingOptions
        @OptionGroup var subsetOptions: SubsetOptions
        @OptionGroup var projectOptions: ProjectOptions

        @Option(help: .hidden)
        var massDeletePercent: Int?

        @Option(help: "Save the plan to this file for `apply --plan` (never a manifest it read, nor the state).")
        var out: String?

        @Flag(help: "Exit 2 when the plan has changes, 0 when it has none.")
        var detailedExitcode = false

        @Flag(help: "Also delete live rooms that no manifest or state knows.")
        var prune = false

        @Flag(help: "Allow a plan that deletes more than 30% of the rooms it could delete.")
        var allowMassDelete = false

        @Flag(help: "Allow a plan that re-adds more than 30% of the managed rooms because they vanished from list.")
        var allowMassReadd = false

        func run() async throws {
            if projectOptions.isActive {
                try projectOptions.refuseConflicts(pathsGiven: paths != ["rooms.yaml"])
                return try await ProjectRunner.run(command: "plan", options: projectOptions, format: output.format.projectFormat)
            }
            try await reportingErrors {
                let manifests = BackgroundManifests(paths: paths)
                var options = PlanOptions(prune: prune, allowMassDelete: allowMassDelete, allowMassReadd: allowMassReadd, subset: subsetOptions.subset)
                if let massDeletePercent { options.massDeletePercent = massDeletePercent }
                let input = PlanInput(
                    desired: { try await manifests.result() }, paths: paths, options: options, bookings: bookings.settings,
                    out: out.map { stateOptions.outputFile($0) })
                let planned = try await listingRefusedRooms(format: output.format) {
                    try await manifests.precedingErrors {
                        try await PlanUseCase.run(
                            input, state: stateOptions.location, api: target.provider(verbose: output.verbose), notes: ConsoleNotes())
                    }
                }
                Console.out(PlanRenderer.render(planned, format: output.format, palette: Console.palette(noColor: output.noColor)))
                if let out, output.format == .text {
                    Console.err(Catalogue.text(.planSaved, ["path": out]))
                }
                if detailedExitcode, planned.hasChanges { throw ExitCode(2) }
            }
        }
    }
}
