import ArgumentParser
import Foundation
import RoomSyncCore
import RoomSyncEngine

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

        @Argument(help: "Manifest files or directories (accepted for symmetry with plan; drift reads the state).")
        var paths: [String] = []

        @OptionGroup var target: TargetOptions
        @OptionGroup var stateOptions: StateOptions

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
            try await reportingErrors {
                // Accepting writes the state, so it takes the state's lock like every other writer.
                let lock = accept ? try StateLock.acquire(forState: stateOptions.state) : nil
                defer { withExtendedLifetime(lock) {} }
                var state = try StateFile.load(stateOptions.state)
                var targetName = ""
                var report = try await target.withAPI(verbose: verbose) { api, stateTarget in
                    try StateFile.bind(&state, to: stateTarget, path: stateOptions.state)
                    targetName = stateTarget.description
                    return DriftDetector.detect(state: state, live: try await listAllRooms(api))
                }
                if accept {
                    let accepted = report.acceptance
                    state.acceptedDrift = accepted.isEmpty ? nil : accepted
                    try StateFile.save(state, to: stateOptions.state)
                    report = DriftDetector.marking(report, accepted: accepted)
                    Console.err("note: accepted \(accepted.count) drift item(s) in \(stateOptions.state); drift now reports only what is new or changed")
                }
                Console.out(DriftRenderer.render(report, format: format, palette: Console.palette(noColor: noColor)))
                if notify, let message = NotificationMessage.drift(report, target: targetName) {
                    await Notify.post(message)
                }
                if report.hasDrift { throw ExitCode(2) }
            }
        }
    }
}

extension DriftFormat: ExpressibleByArgument {}
