import ArgumentParser
import Foundation
import RoomSyncCore
import RoomSyncEngine
import RoomSyncUseCases

extension RoomSyncCommand {
    struct Apply: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "apply",
            abstract: "Plan, confirm and apply.",
            discussion: """
                Deletes run first, then edits, then adds, as many at a time as WeCom takes: the number in flight \
                adapts to latency, 45033 and 45009, and --parallelism caps it. The state is saved after \
                every operation; an interrupted apply is finished by running apply again. Without --auto-approve \
                apply asks on a terminal and refuses when stdin is not one.

                Examples:
                  roomsync apply rooms.yaml
                  roomsync apply --auto-approve --parallelism 8 rooms/
                  roomsync plan --out plan.json && roomsync apply --plan plan.json
                """)
        @OptionGroup var language: LanguageOptions

        @Argument(help: "Manifest files or directories.")
        var paths: [String] = ["rooms.yaml"]

        @OptionGroup var target: TargetOptions
        @OptionGroup var stateOptions: StateOptions
        @OptionGroup var bookings: BookingOptions
        @OptionGroup var subsetOptions: SubsetOptions
        @OptionGroup var projectOptions: ProjectOptions

        @Option(help: .hidden)
        var massDeletePercent: Int?

        @Option(name: .customLong("plan"), help: "Apply this saved plan exactly, if it is not stale and the state allows each operation.")
        var planFile: String?

        @Option(help: ArgumentHelp("The most operations in flight at once (1-64).", discussion: "Without it the number adapts, up to 64."))
        var parallelism: Int?

        /// With no --parallelism the applier offers up to this many operations, and the client's adaptive limit
        /// decides how many of them are in flight.
        static let maxParallelism = 64

        @Flag(help: "Do not ask for confirmation.")
        var autoApprove = false

        @Flag(help: "Also delete live rooms that no manifest or state knows.")
        var prune = false

        @Flag(help: "Allow a plan that deletes more than 30% of the rooms it could delete.")
        var allowMassDelete = false

        @Flag(help: "Allow a plan that re-adds more than 30% of the managed rooms because they vanished from list.")
        var allowMassReadd = false

        @Flag(help: "Never colour the output (also NO_COLOR).")
        var noColor = false

        @Flag(help: "Say more about what happens.")
        var verbose = false

        @Flag(help: "When apply finishes or fails, post a summary to the WeCom group robot in ROOMSYNC_WEBHOOK_URL.")
        var notify = false

        func validate() throws {
            if let parallelism, !(1...Self.maxParallelism).contains(parallelism) {
                throw ValidationError("--parallelism must be between 1 and \(Self.maxParallelism)")
            }
            if planFile != nil, prune || allowMassDelete || allowMassReadd {
                throw ValidationError(
                    "--prune, --allow-mass-delete and --allow-mass-readd belong to the plan command when applying a saved plan")
            }
            if projectOptions.isActive, planFile != nil {
                throw ValidationError("--plan applies one target's saved plan; run it without --all-targets or --project-target")
            }
            if projectOptions.isActive, !autoApprove {
                throw ValidationError("several targets cannot share one confirmation: review their plans, then pass --auto-approve")
            }
            if planFile != nil, !subsetOptions.subset.isEverything {
                throw ValidationError("a saved plan records its subset: pass --target, --exclude, --city and --building to `roomsync plan`")
            }
        }

        func run() async throws {
            if projectOptions.isActive {
                // Each target's run posts its own --notify message.
                try projectOptions.refuseConflicts(pathsGiven: paths != ["rooms.yaml"])
                return try await ProjectRunner.run(command: "apply", options: projectOptions, format: .text)
            }
            let outcome = Outcome()
            do {
                try await run(outcome)
            } catch {
                if notify {
                    // A failure with a result (some operations failed) has its summary; any other is its one line.
                    await Notify.post(outcome.message ?? NotificationMessage.applyError(
                        outcome.error ?? Catalogue.text(.robotApplyStopped), target: outcome.target))
                }
                throw error
            }
            if notify, let message = outcome.message { await Notify.post(message) }
        }

        /// What `--notify` reports, filled in as the apply goes.
        final class Outcome: @unchecked Sendable {
            var target = ""
            var message: String?
            var error: String?
        }

        private var cap: Int { parallelism ?? Self.maxParallelism }

        private var planOptions: PlanOptions {
            var options = PlanOptions(prune: prune, allowMassDelete: allowMassDelete, allowMassReadd: allowMassReadd, subset: subsetOptions.subset)
            if let massDeletePercent { options.massDeletePercent = massDeletePercent }
            return options
        }

        private func run(_ outcome: Outcome) async throws {
            try await reportingErrors(onError: { outcome.error = $0 }) {
                let input = ApplyInput(
                    desired: planFile == nil ? try readManifests(paths) : nil, planFile: planFile, planOptions: planOptions,
                    bookings: bookings.settings, parallelism: cap)
                let console = ApplyConsole(palette: Console.palette(noColor: noColor), autoApprove: autoApprove)
                let api = target.provider(verbose: verbose, maxCallsInFlight: cap, liveLine: console.progress) {
                    outcome.target = $0.description
                }
                let applied = try await listingRefusedRooms(format: .text) {
                    try await ApplyUseCase.run(
                        input, state: stateOptions.location, api: api, output: console, confirmation: console,
                        progress: console.progress)
                }
                outcome.message = console.report(applied, target: outcome.target)
                if applied.exitStatus != 0 { throw ExitCode(applied.exitStatus) }
            }
        }
    }
}
