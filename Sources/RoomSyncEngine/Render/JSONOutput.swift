import Foundation

/// The one JSON layout roomsync writes for people and git (state files, saved plans, `--format json`): pretty,
/// keys sorted so files stay stable in diffs, slashes unescaped so URLs read as URLs. Configured here once.
enum JSONOutput {
    static func encoder() -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return encoder
    }
}
