import ArgumentParser
import Foundation
import RoomSyncCore
import RoomSyncEngine

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
                        outcome.error ?? "apply stopped; see the job's log", target: outcome.target))
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
                let desired = planFile == nil ? try readManifests(paths) : nil
                let palette = Console.palette(noColor: noColor)
                try await stateOptions.withLockedStore(command: "apply") { store in
                  try await target.withAPI(verbose: verbose, maxCallsInFlight: cap) { api, stateTarget in
                    outcome.target = stateTarget.description
                    let planned = try await listingRefusedRooms(format: .text) {
                        try await SyncPipeline.plan(
                            desired: { desired }, store: store, api: api, target: stateTarget,
                            options: planOptions)
                    }
                    let snapshot = planned.snapshot
                    for note in snapshot.notes { Console.err("note: \(note)") }
                    var plan = try planFile.map {
                        try SavedPlan.applicable($0, target: stateTarget, live: snapshot.live, state: snapshot.state)
                    } ?? planned.plan
                    // Deleting a room cancels its bookings: checked again now, before anything is changed.
                    let bookingsSeen = plan.bookings
                    plan = await bookings.checked(plan, api: api, horizonDays: planFile == nil ? nil : bookingsSeen?.horizonDays)
                    Console.out(PlanRenderer.render(plan, format: .text, palette: palette))
                    if let planFile, let bookingsSeen, let now = plan.bookings {
                        let since = now.bookedSince(bookingsSeen, in: plan)
                        if !since.isEmpty {
                            throw EngineError(
                                "the plan \(planFile) is stale: " + since.joined(separator: "; ")
                                    + ". Run `roomsync plan --out \(planFile)` again.")
                        }
                    }
                    if !bookings.allowBookedDelete, let refusal = plan.bookings?.refusal(for: plan) {
                        throw EngineError(refusal + "; nothing was changed")
                    }
                    let recorder = StateRecorder(state: snapshot.state, store: store, writer: .current(command: "apply"))
                    // Journaled adds settled by listing, and a new state's target, are stored before anything else.
                    if snapshot.needsSaving {
                        try await recorder.saveSettled(from: snapshot.stored, action: "settle")
                    }
                    guard plan.hasChanges else {
                        outcome.message = NotificationMessage.apply(succeeded: [:], failures: [], notStarted: 0, target: stateTarget.description)
                        try await recorder.applyStateUpdates(of: plan)
                        return
                    }
                    if planFile == nil { try confirm() }
                    let reporter = ConsoleApplyReporter(interactive: Console.stdoutIsTerminal, palette: palette)
                    let applier = Applier(api: api, recorder: recorder, parallelism: cap, reporter: reporter)
                    let result = try await applier.apply(plan)
                    reporter.finish()
                    Console.out(summary(result))
                    outcome.message = NotificationMessage.apply(
                        succeeded: result.succeeded, failures: result.failures.map { ($0.key, $0.action.rawValue, $0.message) },
                        notStarted: result.skipped, target: stateTarget.description)
                    guard result.isSuccess else {
                        for line in failureLines(result.failures) { Console.err(line) }
                        Console.err("error: apply stopped after \(result.failures.count) failure(s); what succeeded is saved in \(store.displayName). Fix the cause and run apply again.")
                        throw ExitCode(1)
                    }
                  }
                }
            }
        }

        private func confirm() throws {
            guard !autoApprove else { return }
            guard Console.stdinIsTerminal else {
                throw EngineError("apply needs confirmation but stdin is not a terminal; review the plan and pass --auto-approve")
            }
            Console.out("\nDo you want to apply these changes? Only 'yes' is accepted: ")
            guard readLine()?.trimmingCharacters(in: .whitespaces) == "yes" else {
                throw EngineError("apply cancelled; nothing was changed")
            }
        }

        /// One line per cause: operations in flight that failed for one reason (a full disk fails every state
        /// write) are named together after it, in the order they failed.
        private func failureLines(_ failures: [ApplyResult.Failure]) -> [String] {
            var order: [String] = []
            var byMessage: [String: [ApplyResult.Failure]] = [:]
            for failure in failures {
                if byMessage[failure.message] == nil { order.append(failure.message) }
                byMessage[failure.message, default: []].append(failure)
            }
            return order.map { message in
                let failed = byMessage[message]!
                guard failed.count > 1 else {
                    return "error: \(failed[0].action.rawValue) '\(failed[0].key)' failed: \(message)"
                }
                let names = failed.map { "\($0.action.rawValue) '\($0.key)'" }.joined(separator: ", ")
                return "error: \(message) (\(failed.count) operations failed: \(names))"
            }
        }

        private func summary(_ result: ApplyResult) -> String {
            var line = (result.isSuccess ? "Apply complete: " : "Apply incomplete: ") + PlanRenderer.appliedCounts(result.succeeded)
            if !result.failures.isEmpty { line += ", \(result.failures.count) failed" }
            if result.skipped > 0 { line += ", \(result.skipped) not started" }
            return line + ".\n"
        }
    }
}
