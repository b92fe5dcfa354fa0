import Foundation
import RoomSyncCore
import RoomSyncEngine
import RoomSyncTestSupport
@testable import RoomSyncUseCases
import Testing

@Suite struct DoctorUseCaseTests {
    /// Doctor over a manifest of two rooms, the embedded sandbox kept in the folder, and a state file there.
    private func doctor(
        _ workspace: UseCaseWorkspace, target: DoctorInput.Target? = nil, manifest: String = twoRooms
    ) async throws -> DoctorReport {
        try workspace.write(manifest)
        let dataFile = workspace.directory.appendingPathComponent("sandbox.json").path
        return await DoctorUseCase.run(
            DoctorInput(
                manifestPaths: [workspace.manifestPath],
                target: target ?? .embedded(dataFile: dataFile, credentialsMissing: false),
                state: StateLocation(state: workspace.statePath), timeoutSeconds: 60))
    }

    private func lines(_ report: DoctorReport) -> [String] {
        report.checks.map { "\($0.status) \($0.text)" }
    }

    @Test func everyCheckPassesOnTheEmbeddedSandboxBeforeTheFirstApply() async throws {
        try await withTemporaryDirectory { directory in
            let workspace = try UseCaseWorkspace(directory)
            let report = try await doctor(workspace)
            let dataFile = directory.appendingPathComponent("sandbox.json").path
            #expect(lines(report) == [
                "ok manifests: 2 room(s) in 1 file(s) are valid",
                "ok target: the embedded sandbox (\(dataFile)); gettoken, permissions and trusted IPs do not apply",
                "ok list: answers, 0 live room(s)",
                "ok state: none yet at \(workspace.statePath); the first apply (or export) creates it",
                "ok state lock: not locked",
            ])
            #expect(report.exitStatus == 0)
            // Changes nothing: no state, no lock file.
            #expect(!FileManager.default.fileExists(atPath: workspace.statePath))
        }
    }

    @Test func missingCredentialsAndABadManifestFailWithTheirFix() async throws {
        try await withTemporaryDirectory { directory in
            let workspace = try UseCaseWorkspace(directory)
            let dataFile = directory.appendingPathComponent("sandbox.json").path
            let report = try await doctor(
                workspace, target: .embedded(dataFile: dataFile, credentialsMissing: true),
                manifest: "version: 1\nrooms:\n  a: {name: A}\n")
            #expect(report.failures == 2)
            #expect(report.exitStatus == 1)
            #expect(report.checks[0].status == .fail)
            #expect(report.checks[0].text.hasPrefix("manifests: 1 error(s), first: "))
            #expect(report.checks[1] == .init(
                status: .fail,
                text: "target: no WeCom credentials; set WECOM_CORP_ID and WECOM_CORP_SECRET (or --corp-secret-file PATH), and WECOM_ENDPOINT if not https://qyapi.weixin.qq.com (or pass --sandbox to check the embedded sandbox)"))
        }
    }

    @Test func anUnresolvedTargetIsItsErrorAndTheStateIsStillChecked() async throws {
        try await withTemporaryDirectory { directory in
            let workspace = try UseCaseWorkspace(directory)
            let report = try await doctor(workspace, target: .unresolved(RoomSyncError(LocalizedText(plain: "no corp secret: set WECOM_CORP_SECRET"))))
            #expect(lines(report).dropFirst().first == "fail target: no corp secret: set WECOM_CORP_SECRET")
            #expect(lines(report).last == "ok state lock: not locked")
        }
    }

    @Test func aLockedStateNamesItsHolder() async throws {
        try await withTemporaryDirectory { directory in
            let workspace = try UseCaseWorkspace(directory)
            _ = try await ApplyUseCase.run(
                ApplyInput(desired: try workspace.manifests(twoRooms), parallelism: 4), store: workspace.store,
                api: workspace.sandbox, target: workspace.target, output: RecordingConsole(), confirmation: AlwaysConfirm(),
                progress: RecordingProgress())
            let report = try await workspace.store.withLock(.current(command: "apply"), wait: .zero, onWait: { _ in }) {
                try await doctor(workspace)
            }
            #expect(lines(report).contains("ok state: \(workspace.statePath) is readable, 2 managed room(s)"))
            let lock = try #require(report.checks.last)
            #expect(lock.status == .fail)
            #expect(lock.text.hasPrefix("state lock: \(workspace.statePath) is locked by "))
            #expect(lock.text.hasSuffix("; wait for that run to finish"))
            // The state was bound to the in-memory sandbox, not to this data file.
            #expect(report.checks.contains { $0.status == .fail && $0.text.hasPrefix("state target: ") })
        }
    }

    @Test func aTimeLimitEndsABodyThatNeverAnswers() async throws {
        let never = try await withTimeLimit(.milliseconds(50)) { () async throws -> Int in
            try await Task.sleep(for: .seconds(3600))
            return 1
        }
        #expect(never == nil)
        #expect(try await withTimeLimit(.seconds(60)) { 7 } == 7)
        let refused = RoomSyncError(.noLiveRoom, ["id": 7])
        await #expect(throws: refused) {
            try await withTimeLimit(.seconds(60)) { () async throws -> Int in throw refused }
        }
    }

    @Test func aProbeOfAClosedPortSaysWhy() throws {
        // Port 1 on loopback: nothing listens there on a test machine, and connecting needs no privilege.
        let failure = try #require(TCPProbe.probe(host: "127.0.0.1", port: 1, timeoutMs: 2000))
        #expect(failure == "Connection refused")
    }
}
