import ArgumentParser
import RoomSyncCore
import RoomSyncEngine

/// Options every command that reads manifests or the state shares.
struct StateOptions: ParsableArguments {
    @Option(help: "The state file.")
    var state: String = ".roomsync/state.json"
}

struct OutputOptions: ParsableArguments {
    @Option(help: "Output format: text, json or markdown.")
    var format: OutputFormat = .text

    @Flag(help: "Never colour the output (also NO_COLOR).")
    var noColor = false

    @Flag(help: "Say more about what happens.")
    var verbose = false
}

extension OutputFormat: ExpressibleByArgument {}

/// Reads the manifests or ends the command, printing every diagnostic as `FILE:LINE:COLUMN: error: MESSAGE`.
func readManifests(_ paths: [String]) throws -> ManifestReadResult {
    let result = ManifestReader.read(paths: paths)
    for diagnostic in result.diagnostics { Console.err(diagnostic.description) }
    if result.hasErrors {
        let count = result.diagnostics.filter { $0.severity == .error }.count
        Console.err("error: \(count) error(s) in the manifests; nothing was planned")
        throw ExitCode(1)
    }
    return result
}

/// Runs `body` on the state at `path` under the state's lock, and saves what `body` leaves, atomically. Commands
/// that edit the state outside apply (import, export, state mv|rm) all go through here.
func withLockedState<T>(_ path: String, _ body: (inout RoomSyncState) async throws -> T) async throws -> T {
    let lock = try StateLock.acquire(forState: path)
    defer { withExtendedLifetime(lock) {} }
    var state = try StateFile.load(path)
    let result = try await body(&state)
    try StateFile.save(state, to: path)
    return result
}
