import Foundation

extension PythonTools {
    /// A venv of its own with just `packages` (pinned versions, say), made and kept like the shared one: a test
    /// that needs one exact version neither waits for the shared tools nor changes them.
    public static func environment(_ packages: [String]) async throws -> URL {
        try await makeEnvironment(packages)
    }
}
