import Foundation

/// Compares `actual` with the golden file `Golden/NAME` beside the calling test file. Set `RECORD_GOLDEN=1` to
/// write the files anew, then review the diff in git.
/// Returns nil when they match, or a message with both texts.
public func goldenMismatch(_ actual: String, named name: String, filePath: String = #filePath) -> String? {
    let url = URL(fileURLWithPath: filePath).deletingLastPathComponent()
        .appendingPathComponent("Golden", isDirectory: true).appendingPathComponent(name)
    if ProcessInfo.processInfo.environment["RECORD_GOLDEN"] == "1" {
        try? FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try? actual.write(to: url, atomically: true, encoding: .utf8)
        return nil
    }
    guard let expected = try? String(contentsOf: url, encoding: .utf8) else {
        return "golden file \(url.path) is missing; run the tests with RECORD_GOLDEN=1 to create it"
    }
    guard expected != actual else { return nil }
    return "output differs from \(url.path) (RECORD_GOLDEN=1 re-records it)\n--- expected\n\(expected)\n--- actual\n\(actual)"
}
