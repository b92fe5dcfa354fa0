import Foundation
import RoomSyncTestSupport
import Testing

/// examples/github-actions/test-workflow.sh runs the example workflow's jobs, their steps as written (run-job.py),
/// against a served sandbox started by the built binary; it must keep passing as the CLI changes.
@Suite struct WorkflowExampleTests {
    @Test func exampleWorkflowCommandsPassWithTheStateFile() async throws {
        try await runScript(state: nil)
    }

    /// The workflow as written: the state in a PostgreSQL workspace (a throwaway local server here).
    @Test(.enabled(if: PostgresServer.shouldRun, "PostgreSQL is not installed (no /usr/lib/postgresql/*/bin/initdb)"))
    func exampleWorkflowCommandsPassWithThePostgresState() async throws {
        try await withPostgresCluster { cluster in try await runScript(state: cluster.url()) }
    }

    func runScript(state: String?) async throws {
        let python: String
        do {
            python = try await Integrations.GitLabExampleTests.python()
        } catch {
            if PythonTools.required { Issue.record("python3 with PyYAML is required but unavailable: \(error)") }
            print("skipped: the workflow example: \(error)")
            return
        }
        let script = URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("examples/github-actions/test-workflow.sh")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/bash")
        process.arguments = [script.path, RoomSyncBinary.url.path]
        var environment = ProcessInfo.processInfo.environment
        environment["ROOMSYNC_STATE"] = state
        environment["PYTHON"] = python
        process.environment = environment
        let output = Pipe()
        process.standardOutput = output
        process.standardError = output
        process.standardInput = FileHandle.nullDevice
        try process.run()
        // Read and wait on a thread of its own: the script runs for seconds, and blocking one of the few threads
        // every concurrent test shares starves the tests that wait for answers with deadlines.
        let data = try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Data, any Error>) in
            DispatchQueue.global().async {
                continuation.resume(with: Result {
                    let data = try output.fileHandleForReading.readToEnd() ?? Data()
                    process.waitUntilExit()
                    return data
                })
            }
        }
        let text = String(decoding: data, as: UTF8.self)
        #expect(process.terminationStatus == 0, "\(text)")
        #expect(text.hasSuffix("test-workflow: ok\n"), "\(text)")
    }
}
