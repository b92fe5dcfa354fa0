import Foundation
import RoomSyncCore
import RoomSyncCoreTestSupport

/// Writes files into a temporary directory, reads them as manifests and renders the diagnostics with paths
/// relative to that directory, so tests compare the exact text a user sees.
struct ManifestRun {
    var result: ManifestReadResult
    var lines: [String]
}

func readManifests(_ files: [String: String], paths: [String]? = nil) async -> ManifestRun {
    await readManifestBytes(files.mapValues { Array($0.utf8) }, paths: paths)
}

func readManifestBytes(_ files: [String: [UInt8]], paths: [String]? = nil) async -> ManifestRun {
    await withTemporaryDirectory { directory in
        for (name, bytes) in files {
            let url = directory.appendingPathComponent(name)
            try! FileManager.default.createDirectory(
                at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try! Data(bytes).write(to: url)
        }
        let prefix = directory.path + "/"
        let result = ManifestReader.read(paths: (paths ?? files.keys.sorted()).map { prefix + $0 })
        let lines = result.diagnostics.map { $0.description.replacingOccurrences(of: prefix, with: "") }
        return ManifestRun(result: result, lines: lines)
    }
}

/// A one-room manifest `m.yaml` whose room `r1` has the given body lines (each indented under the key), so
/// the first body line is line 4 and its field starts at column 5.
func oneRoom(_ body: String...) -> String {
    "version: 1\nrooms:\n  r1:\n" + body.map { "    " + $0 + "\n" }.joined()
}

/// The package root, for files checked in beside the sources (rooms.example.yaml).
let packageRoot = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
