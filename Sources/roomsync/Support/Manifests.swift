import ArgumentParser
import RoomSyncCore
import RoomSyncEngine

/// Reads the manifests or ends the command, printing every diagnostic as `FILE:LINE:COLUMN: error: MESSAGE`.
func readManifests(_ paths: [String]) throws -> ManifestReadResult {
    try reportManifests(ManifestReader.read(paths: paths))
}

/// Prints the diagnostics of manifests already read and ends the command if any is an error.
func reportManifests(_ result: ManifestReadResult) throws -> ManifestReadResult {
    Console.printDiagnostics(result.diagnostics)
    if result.hasErrors {
        let count = result.diagnostics.filter { $0.severity == .error }.count
        Console.printDiagnostics([.error(at: nil, LocalizedText(.manifestErrors, ["count": String(count)]))])
        throw ExitCode(1)
    }
    return result
}

/// Manifests read on another thread while plan lists the live rooms: parsing is the CPU-bound half of a plan and
/// listing the network-bound half, so they overlap. Diagnostics are printed once, to whichever step asks first,
/// and a bad manifest is still the error reported when something else fails too.
actor BackgroundManifests {
    private let reading: Task<ManifestReadResult, Never>
    private var reported: Result<ManifestReadResult, any Error>?

    init(paths: [String]) {
        reading = Task { await offThePool { ManifestReader.read(paths: paths) } }
    }

    func result() async throws -> ManifestReadResult {
        if reported == nil {
            let read = await reading.value
            if reported == nil {
                do {
                    reported = .success(try reportManifests(read))
                } catch {
                    reported = .failure(error)
                }
            }
        }
        return try reported!.get()
    }

    /// Runs `body`; if it fails, a bad manifest is reported in its place, as if the manifests had been read first.
    func precedingErrors<T>(of body: () async throws -> T) async throws -> T {
        do {
            return try await body()
        } catch {
            _ = try await result()
            throw error
        }
    }
}
