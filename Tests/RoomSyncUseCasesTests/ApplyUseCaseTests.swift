import Foundation
import RoomSyncCore
import RoomSyncEngine
import RoomSyncTestSupport
import RoomSyncUseCases
import Testing

@Suite struct ApplyUseCaseTests {
    @Test func appliesAConfirmedPlanAndRecordsEveryRoom() async throws {
        try await withTemporaryDirectory { directory in
            let workspace = try UseCaseWorkspace(directory)
            let console = RecordingConsole(), progress = RecordingProgress()
            let outcome = try await ApplyUseCase.run(
                ApplyInput(desired: try workspace.manifests(twoRooms), parallelism: 4), store: workspace.store,
                api: workspace.sandbox, target: workspace.target, output: console, confirmation: console, progress: progress)

            #expect(outcome.result?.succeeded == [.add: 2])
            #expect(outcome.exitStatus == 0)
            #expect(outcome.stateName == workspace.statePath)
            #expect(console.lines == ["plan: [\"add sz-18f-large\", \"add sz-18f-small\"]", "confirm 2 change(s)"])
            #expect(progress.lines.first == "started 2")
            #expect(Set(progress.lines.dropFirst()) == ["add sz-18f-large ok", "add sz-18f-small ok"])
            #expect(try await workspace.liveNames() == ["18F-大会议室", "18F-小会议室"])
            #expect(try await workspace.store.load().rooms.keys.sorted() == ["sz-18f-large", "sz-18f-small"])
        }
    }

    @Test func aDeclinedPlanChangesNothing() async throws {
        try await withTemporaryDirectory { directory in
            let workspace = try UseCaseWorkspace(directory)
            let console = RecordingConsole(answer: false), progress = RecordingProgress()
            await #expect(throws: RoomSyncError(.applyCancelled)) {
                try await ApplyUseCase.run(
                    ApplyInput(desired: try workspace.manifests(twoRooms), parallelism: 4), store: workspace.store,
                    api: workspace.sandbox, target: workspace.target, output: console, confirmation: console,
                    progress: progress)
            }
            #expect(progress.lines.isEmpty)
            #expect(try await workspace.liveNames().isEmpty)
            #expect(try await workspace.store.load().rooms.isEmpty)
        }
    }

    @Test func aPlanWithoutChangesIsNeitherConfirmedNorApplied() async throws {
        try await withTemporaryDirectory { directory in
            let workspace = try UseCaseWorkspace(directory)
            let input = ApplyInput(desired: try workspace.manifests(twoRooms), parallelism: 4)
            _ = try await ApplyUseCase.run(
                input, store: workspace.store, api: workspace.sandbox, target: workspace.target, output: RecordingConsole(),
                confirmation: AlwaysConfirm(), progress: RecordingProgress())

            let console = RecordingConsole(), progress = RecordingProgress()
            let again = try await ApplyUseCase.run(
                input, store: workspace.store, api: workspace.sandbox, target: workspace.target, output: console,
                confirmation: console, progress: progress)
            #expect(again.result == nil)
            #expect(again.exitStatus == 0)
            #expect(console.lines == ["plan: []"])
            #expect(progress.lines.isEmpty)
        }
    }

    @Test func aFailedOperationIsInTheOutcomeWithExitStatusOne() async throws {
        try await withTemporaryDirectory { directory in
            let workspace = try UseCaseWorkspace(directory)
            let api = RefusingAPI(base: workspace.sandbox, refused: ["18F-小会议室"])
            let outcome = try await ApplyUseCase.run(
                ApplyInput(desired: try workspace.manifests(twoRooms), parallelism: 1), store: workspace.store, api: api,
                target: workspace.target, output: RecordingConsole(), confirmation: AlwaysConfirm(),
                progress: RecordingProgress())

            let result = try #require(outcome.result)
            #expect(result.succeeded == [.add: 1])
            #expect(result.failures.map(\.key) == ["sz-18f-small"])
            #expect(result.failures.first?.message.contains("40058") == true)
            #expect(outcome.exitStatus == 1)
            #expect(try await workspace.store.load().rooms.keys.sorted() == ["sz-18f-large"])
        }
    }

    /// Applies both rooms, then returns the manifests that keep only the large one (the plan deletes the other).
    private func appliedTwoRooms(_ workspace: UseCaseWorkspace) async throws -> ManifestReadResult {
        _ = try await ApplyUseCase.run(
            ApplyInput(desired: try workspace.manifests(twoRooms), parallelism: 4), store: workspace.store,
            api: workspace.sandbox, target: workspace.target, output: RecordingConsole(), confirmation: AlwaysConfirm(),
            progress: RecordingProgress())
        return try workspace.manifests(twoRooms.split(separator: "\n").prefix(5).joined(separator: "\n"))
    }

    @Test func aBookedDeleteIsRefusedBeforeAnythingChanges() async throws {
        try await withTemporaryDirectory { directory in
            let workspace = try UseCaseWorkspace(directory)
            let oneRoom = try await appliedTwoRooms(workspace)
            let small = try #require(try await workspace.store.load().rooms["sz-18f-small"]).meetingroomID
            let start = (Int(Date().timeIntervalSince1970) / 3600 + 24) * 3600
            _ = try await workspace.sandbox.bookMeetingRoom(
                .init(meetingroomID: small, startTime: start, endTime: start + 3600, booker: "zhangsan"))

            let console = RecordingConsole()
            await #expect(throws: RoomSyncError.self) {
                try await ApplyUseCase.run(
                    ApplyInput(desired: oneRoom, parallelism: 4), store: workspace.store, api: workspace.sandbox,
                    target: workspace.target, output: console, confirmation: console, progress: RecordingProgress())
            }
            // Shown, never asked about.
            #expect(console.lines == ["plan: [\"delete sz-18f-small\"]"])
            #expect(try await workspace.liveNames() == ["18F-大会议室", "18F-小会议室"])
        }
    }

    @Test func aSkippedBookingsCheckIsNotedAndTheDeleteGoesAhead() async throws {
        try await withTemporaryDirectory { directory in
            let workspace = try UseCaseWorkspace(directory)
            let oneRoom = try await appliedTwoRooms(workspace)
            let console = RecordingConsole()
            let outcome = try await ApplyUseCase.run(
                ApplyInput(desired: oneRoom, bookings: BookingSettings(horizonDays: 0), parallelism: 4),
                store: workspace.store, api: workspace.sandbox, target: workspace.target, output: console,
                confirmation: console, progress: RecordingProgress())
            #expect(console.notes == [
                "note: --booking-horizon 0: the bookings of the 1 room(s) to delete were not checked; deleting a room cancels its bookings",
            ])
            #expect(outcome.result?.succeeded == [.delete: 1])
            #expect(try await workspace.liveNames() == ["18F-大会议室"])
        }
    }

    @Test func theStateIsLockedBeforeTheAPIIsOpened() async throws {
        try await withTemporaryDirectory { directory in
            let workspace = try UseCaseWorkspace(directory)
            let input = ApplyInput(desired: try workspace.manifests(twoRooms), parallelism: 4)
            let console = RecordingConsole()
            try await workspace.store.withLock(.current(command: "another apply"), wait: .zero, onWait: { _ in }) {
                await #expect(throws: (any Error).self) {
                    try await ApplyUseCase.run(
                        input, state: workspace.location, api: workspace.provider, output: console, confirmation: console,
                        progress: RecordingProgress())
                }
            }
            #expect(console.lines.isEmpty)
            #expect(await workspace.sandbox.store.callCount("list") == 0)

            let outcome = try await ApplyUseCase.run(
                input, state: workspace.location, api: workspace.provider, output: console, confirmation: console,
                progress: RecordingProgress())
            #expect(outcome.result?.succeeded == [.add: 2])
            #expect(await workspace.sandbox.store.callCount("list") == 1)
        }
    }
}
