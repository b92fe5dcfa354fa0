import Foundation
import RoomSyncCore
import RoomSyncTestSupport
import Testing

extension Integrations {
    /// examples/gitlab-ci: test-pipeline.sh runs the pipeline's own job scripts, read from .gitlab-ci.yml, against a
    /// sandbox served by the built binary; and the file is valid GitLab CI by the schema GitLab's editor uses
    /// (check-jsonschema's `vendor.gitlab-ci`).
    @Suite struct GitLabExampleTests {
        static let directory = URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("examples/gitlab-ci")

        /// A python3 with PyYAML: the system's when it has it, else the test venv with it installed.
        static func python() async throws -> String {
            if let system = PythonTools.which("python3"),
                try await PythonTools.run(system, ["-c", "import yaml"]).status == 0
            {
                return system
            }
            return try await PythonTools.environment().appendingPathComponent("bin/python").path
        }

        /// The pipeline keeps its state in PostgreSQL, so this runs against a throwaway local server.
        @Test(.enabled(if: PostgresServer.shouldRun, "PostgreSQL is not installed (no /usr/lib/postgresql/*/bin/initdb)"))
        func examplePipelineJobsPass() async throws {
            try await withPostgresCluster { cluster in try await runPipeline(stateURL: cluster.url()) }
        }

        func runPipeline(stateURL: String) async throws {
            let python: String
            do {
                python = try await Self.python()
            } catch {
                if PythonTools.required { Issue.record("python3 with PyYAML is required but unavailable: \(error)") }
                print("skipped: examplePipelineJobsPass: \(error)")
                return
            }
            let script = Self.directory.appendingPathComponent("test-pipeline.sh")
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/bin/bash")
            process.arguments = [script.path, RoomSyncBinary.url.path]
            var environment = ProcessInfo.processInfo.environment
            environment["PYTHON"] = python
            environment["ROOMSYNC_STATE_URL"] = stateURL
            for name in ["WECOM_CORP_ID", "WECOM_CORP_SECRET", "WECOM_ENDPOINT", "ROOMSYNC_WEBHOOK_URL"] { environment[name] = nil }
            process.environment = environment
            let output = Pipe()
            process.standardOutput = output
            process.standardError = output
            process.standardInput = FileHandle.nullDevice
            try process.run()
            // The pipeline runs for seconds: wait on a thread of its own, not one the other tests' tasks need.
            let data = try await offThePool {
                let data = try output.fileHandleForReading.readToEnd() ?? Data()
                process.waitUntilExit()
                return data
            }
            let text = String(decoding: data, as: UTF8.self)
            #expect(process.terminationStatus == 0, "\(text)")
            #expect(text.hasSuffix("test-pipeline: ok\n"), "\(text)")
        }

        @Test func pipelineIsValidGitLabCI() async throws {
            let venv: URL
            do {
                venv = try await PythonTools.environment()
            } catch {
                if PythonTools.required { Issue.record("check-jsonschema is required but unavailable: \(error)") }
                print("skipped: pipelineIsValidGitLabCI: \(error)")
                return
            }
            let run = try await PythonTools.run(
                venv.appendingPathComponent("bin/python").path,
                ["-m", "check_jsonschema", "--builtin-schema", "vendor.gitlab-ci", "--data-transform", "gitlab-ci"]
                    + [".gitlab-ci.yml", "roomsync-multi-corp.gitlab-ci.yml"].map { Self.directory.appendingPathComponent($0).path })
            #expect(run.status == 0, "\(run.output)")
        }
    }
}
