import ArgumentParser
import RoomSyncCore
import RoomSyncEngine

extension RoomSyncCommand {
    struct Drift: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "drift",
            abstract: "Compare the live rooms with what roomsync last applied.",
            discussion: """
                Reports rooms changed or deleted outside roomsync and live rooms nothing manages. Exit status 0 \
                in sync, 2 drift, 1 error.

                Examples:
                  roomsync drift
                  roomsync drift --format markdown > drift.md || [ $? -eq 2 ]
                """)

        @Argument(help: "Manifest files or directories: report only the rooms they declare (default: every managed room and the unmanaged ones).")
        var paths: [String] = []

        @OptionGroup var target: TargetOptions
        @OptionGroup var stateOptions: StateOptions
        @OptionGroup var output: OutputOptions

        func run() async throws {
            try await reportingErrors {
                let declared = paths.isEmpty ? nil : Set(try readManifests(paths).rooms.map(\.key))
                var state = try await stateOptions.withStore { try await $0.load() }
                let report = try await target.withAPI(verbose: output.verbose) { api, stateTarget in
                    try StateFile.bind(&state, to: stateTarget, path: stateOptions.state)
                    return DriftDetector.detect(state: state, live: try await listAllRooms(api), declared: declared)
                }
                Console.out(DriftRenderer.render(report, format: output.format, palette: Console.palette(noColor: output.noColor)))
                if report.hasDrift { throw ExitCode(2) }
            }
        }
    }
}
