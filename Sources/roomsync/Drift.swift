import ArgumentParser
import Foundation
import RoomSyncCore
import RoomSyncEngine
import RoomSyncUseCases

extension RoomSyncCommand {
    struct Drift: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "drift",
            abstract: "Compare the live rooms with what roomsync last applied.",
            discussion: """
                Reports rooms changed or deleted outside roomsync and live rooms nothing manages. Exit status 0 \
                in sync, 2 new drift, 1 error. --accept records the drift seen now in the state as accepted: \
                later runs list it apart and exit 2 only for drift that is new or has changed since; an apply that \
                touches a room clears what was accepted for it. --notify posts new drift to the WeCom group robot \
                whose webhook URL is in ROOMSYNC_WEBHOOK_URL. --format prometheus prints metrics for \
                node_exporter's textfile collector.

                Examples:
                  roomsync drift
                  roomsync drift --format markdown > drift.md || [ $? -eq 2 ]
                  roomsync drift --accept
                  roomsync drift --notify
                  roomsync drift --format prometheus > /var/lib/node_exporter/roomsync.prom || [ $? -eq 2 ]
                """)
        @OptionGroup var language: LanguageOptions

        @Argument(help: "Manifest files or directories: report only the rooms they declare (default: every managed room and the unmanaged ones).")
        var paths: [String] = []

        @OptionGroup var target: TargetOptions
        @OptionGroup var stateOptions: StateOptions
        @OptionGroup var subsetOptions: SubsetOptions
        @OptionGroup var projectOptions: ProjectOptions

        @Option(help: "Output format: text, json, markdown or prometheus.")
        var format: DriftFormat = .text

        @Flag(help: "Never colour the output (also NO_COLOR).")
        var noColor = false

        @Flag(help: "Say more about what happens.")
        var verbose = false

        @Flag(help: "Record the drift seen now as accepted: later runs report only new or changed drift.")
        var accept = false

        @Flag(help: "Post new drift to the WeCom group robot in ROOMSYNC_WEBHOOK_URL.")
        var notify = false

        func run() async throws {
            if projectOptions.isActive {
                try projectOptions.refuseConflicts(pathsGiven: !paths.isEmpty)
                let format: ProjectRunner.ReportFormat
                switch self.format {
                case .text: format = .text
                case .json: format = .json
                case .markdown: format = .markdown
                case .prometheus: throw ValidationError("--format prometheus is one corp's metrics; run drift per target for it")
                }
                return try await ProjectRunner.run(command: "drift", options: projectOptions, format: format)
            }
            try await reportingErrors {
                let declared = paths.isEmpty ? nil : Set(try readManifests(paths).rooms.map(\.key))
                let drift = try await DriftUseCase.run(
                    DriftInput(declared: declared, subset: subsetOptions.subset, accept: accept), state: stateOptions.location,
                    api: target.provider(verbose: verbose), notes: ConsoleNotes())
                if let accepted = drift.accepted {
                    Console.err(Catalogue.text(.noteLine, ["text": Catalogue.text(.driftAccepted, ["count": accepted.count, "store": accepted.state])]))
                }
                Console.out(DriftRenderer.render(drift.report, format: format, palette: Console.palette(noColor: noColor)))
                if notify, let message = NotificationMessage.drift(drift.report, target: drift.target) {
                    await Notify.post(message)
                }
                if drift.exitStatus != 0 { throw ExitCode(drift.exitStatus) }
            }
        }
    }
}

extension DriftFormat: ExpressibleByArgument {}
