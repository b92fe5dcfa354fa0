import Foundation
import RoomSyncCore
import RoomSyncEngine
import RoomSyncTestSupport
import RoomSyncUseCases
import Testing

@Suite struct PlanUseCaseTests {
    @Test func plansTheAddsAndSavesThePlanWhenAsked() async throws {
        try await withTemporaryDirectory { directory in
            let workspace = try UseCaseWorkspace(directory)
            let manifests = try workspace.manifests(twoRooms)
            let out = directory.appendingPathComponent("plan.json").path
            let plan = try await PlanUseCase.run(
                PlanInput(
                    desired: { manifests }, paths: [workspace.manifestPath],
                    out: OutputFile(path: out, stateFile: workspace.statePath)),
                store: workspace.store, api: workspace.sandbox, target: workspace.target, notes: RecordingConsole())
            #expect(plan.changes.map(\.key) == ["sz-18f-large", "sz-18f-small"])
            #expect(plan.changes.allSatisfy { $0.action == .add })
            #expect(FileManager.default.fileExists(atPath: out))
            // Changes nothing.
            #expect(try await workspace.liveNames().isEmpty)
            #expect(!FileManager.default.fileExists(atPath: workspace.statePath))
        }
    }

    @Test func neverSavesThePlanOverAManifestItRead() async throws {
        try await withTemporaryDirectory { directory in
            let workspace = try UseCaseWorkspace(directory)
            let manifests = try workspace.manifests(twoRooms)
            let input = PlanInput(
                desired: { manifests }, paths: [workspace.manifestPath],
                out: OutputFile(path: workspace.manifestPath, stateFile: workspace.statePath))
            await #expect(throws: RoomSyncError(
                .outWouldOverwriteManifest,
                ["command": "plan", "out": workspace.manifestPath, "manifest": workspace.manifestPath, "what": "plan"]
            )) {
                try await PlanUseCase.run(
                    input, store: workspace.store, api: workspace.sandbox, target: workspace.target, notes: RecordingConsole())
            }
            #expect(try String(contentsOfFile: workspace.manifestPath, encoding: .utf8) == twoRooms)
        }
    }
}

@Suite struct DriftUseCaseTests {
    @Test func aConsoleEditIsDriftUntilAccepted() async throws {
        try await withTemporaryDirectory { directory in
            let workspace = try UseCaseWorkspace(directory)
            try await workspace.apply(twoRooms)
            let small = try #require(try await workspace.store.load().rooms["sz-18f-small"]).meetingroomID
            try await workspace.sandbox.editMeetingRoom(EditMeetingRoomRequest(meetingroomID: small, capacity: 6))

            let found = try await DriftUseCase.run(
                DriftInput(), state: workspace.location, api: workspace.provider, notes: RecordingConsole())
            #expect(found.report.items.map(\.key) == ["sz-18f-small"])
            #expect(found.exitStatus == 2)
            #expect(found.accepted == nil)

            let accepted = try await DriftUseCase.run(
                DriftInput(accept: true), state: workspace.location, api: workspace.provider, notes: RecordingConsole())
            #expect(accepted.accepted?.count == 1)
            #expect(accepted.accepted?.state == workspace.statePath)
            #expect(accepted.exitStatus == 0)

            let later = try await DriftUseCase.run(
                DriftInput(), state: workspace.location, api: workspace.provider, notes: RecordingConsole())
            #expect(later.report.acceptedCount == 1)
            #expect(later.exitStatus == 0)
        }
    }

    @Test func manifestPathsNarrowTheReportToTheirRooms() async throws {
        try await withTemporaryDirectory { directory in
            let workspace = try UseCaseWorkspace(directory)
            try await workspace.apply(twoRooms)
            let small = try #require(try await workspace.store.load().rooms["sz-18f-small"]).meetingroomID
            try await workspace.sandbox.editMeetingRoom(EditMeetingRoomRequest(meetingroomID: small, capacity: 6))
            let drift = try await DriftUseCase.run(
                DriftInput(declared: ["sz-18f-large"]), state: workspace.location, api: workspace.provider,
                notes: RecordingConsole())
            #expect(drift.report.items.isEmpty)
            #expect(drift.exitStatus == 0)
        }
    }
}
