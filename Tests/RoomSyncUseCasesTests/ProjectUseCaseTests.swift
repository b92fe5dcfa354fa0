import Foundation
import RoomSyncCore
import RoomSyncEngine
import RoomSyncTestSupport
import RoomSyncUseCases
import Testing

@Suite struct ProjectUseCaseTests {
    static let project = """
        version: 1
        targets:
          hq:
            corp_id: ww-hq
            secret_env: SECRET_HQ
            manifests: [rooms/hq]
            mass_delete_percent: 10
          sz:
            corp_id: ww-sz
            secret_env: SECRET_SZ
            manifests: [rooms/sz]
            endpoint: http://127.0.0.1:9
          bj:
            corp_id: ww-bj
            secret_env: SECRET_BJ
            manifests: [rooms/bj]

        """

    /// Stands in for roomsync: says what it was given, and exits 2 when its secret says so.
    static let script = """
        #!/bin/sh
        echo "$*"
        echo "secret=$WECOM_CORP_SECRET endpoint=${WECOM_ENDPOINT:-none} state=${ROOMSYNC_STATE:-none}" >&2
        [ "$WECOM_CORP_SECRET" = drifted ] && exit 2
        exit 0

        """

    private func input(_ directory: URL, targets: [String]? = nil) throws -> ProjectInput {
        let projectPath = directory.appendingPathComponent("roomsync.yaml").path
        try Data(Self.project.utf8).write(to: URL(fileURLWithPath: projectPath))
        let executable = directory.appendingPathComponent("fake-roomsync")
        try Data(Self.script.utf8).write(to: executable)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: executable.path)
        return ProjectInput(
            command: "plan", projectPath: projectPath, targetNames: targets, forwarded: ["--format", "json"],
            executable: executable,
            environment: [
                "SECRET_HQ": "hq-secret", "SECRET_SZ": "drifted", "WECOM_ENDPOINT": "http://elsewhere",
                "ROOMSYNC_STATE": "postgres://leaked", "PATH": "/usr/bin:/bin",
            ])
    }

    @Test func eachTargetRunsWithItsOwnSettingsAndTheWorstStatusWins() async throws {
        try await withTemporaryDirectory { directory in
            let outcome = try await ProjectUseCase.run(try input(directory))
            #expect(outcome.runs.map(\.name) == ["hq", "sz", "bj"])
            #expect(outcome.runs[0] == TargetRun(
                name: "hq", status: 0,
                stdout: "plan --format json --corp-id ww-hq --state .roomsync/hq/state.json --mass-delete-percent 10 rooms/hq\n",
                stderr: "secret=hq-secret endpoint=none state=none\n"))
            #expect(outcome.runs[1] == TargetRun(
                name: "sz", status: 2,
                stdout: "plan --format json --corp-id ww-sz --state .roomsync/sz/state.json --endpoint http://127.0.0.1:9 rooms/sz\n",
                stderr: "secret=drifted endpoint=none state=none\n"))
            // No fallback to another corp's secret: its own run is this error, the others went on.
            #expect(outcome.runs[2] == TargetRun(
                name: "bj", status: 1, stdout: "",
                stderr: "error: target 'bj': the environment variable SECRET_BJ (its secret_env) is not set",
                errors: ["error: target 'bj': the environment variable SECRET_BJ (its secret_env) is not set"]))
            #expect(outcome.exitStatus == 1)
        }
    }

    @Test func onlyTheNamedTargetsRunAndAnUnknownOneIsAnError() async throws {
        try await withTemporaryDirectory { directory in
            let outcome = try await ProjectUseCase.run(try input(directory, targets: ["sz"]))
            #expect(outcome.runs.map(\.name) == ["sz"])
            #expect(outcome.exitStatus == 2)

            let projectPath = directory.appendingPathComponent("roomsync.yaml").path
            await #expect(throws: RoomSyncError(.projectHasNoTarget, ["path": projectPath, "name": "gz", "targets": "hq, sz, bj"])) {
                try await ProjectUseCase.run(try input(directory, targets: ["sz", "gz"]))
            }
        }
    }
}
