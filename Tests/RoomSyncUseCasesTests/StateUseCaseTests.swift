import Foundation
import RoomSyncCore
import RoomSyncEngine
import RoomSyncTestSupport
import RoomSyncUseCases
import Testing

@Suite struct ExportAndImportUseCaseTests {
    @Test func exportWritesTheManifestAndLeavesTheStateAlone() async throws {
        try await withTemporaryDirectory { directory in
            let workspace = try UseCaseWorkspace(directory)
            try await workspace.apply(twoRooms)
            _ = try await workspace.sandbox.addMeetingRoom(AddMeetingRoomRequest(name: "Lobby", capacity: 3))
            let before = try Data(contentsOf: URL(fileURLWithPath: workspace.statePath))
            let out = directory.appendingPathComponent("exported.yaml").path

            let exported = try await ExportUseCase.run(
                out: OutputFile(path: out, stateFile: workspace.statePath), state: workspace.location,
                api: workspace.provider, notes: RecordingConsole())
            #expect(exported.writtenTo == out)
            #expect(exported.export.rooms == 3)
            #expect(exported.export.imports == 1)
            #expect(try String(contentsOfFile: out, encoding: .utf8) == exported.export.manifest)
            #expect(try Data(contentsOf: URL(fileURLWithPath: workspace.statePath)) == before)
        }
    }

    @Test func exportNeverWritesOverTheState() async throws {
        try await withTemporaryDirectory { directory in
            let workspace = try UseCaseWorkspace(directory)
            try await workspace.apply(twoRooms)
            let before = try Data(contentsOf: URL(fileURLWithPath: workspace.statePath))
            await #expect(throws: RoomSyncError(
                .outWouldOverwriteState,
                ["command": "export", "out": workspace.statePath, "state": workspace.statePath, "what": "manifest"]
            )) {
                try await ExportUseCase.run(
                    out: OutputFile(path: workspace.statePath, stateFile: workspace.statePath), state: workspace.location,
                    api: workspace.provider, notes: RecordingConsole())
            }
            #expect(try Data(contentsOf: URL(fileURLWithPath: workspace.statePath)) == before)
        }
    }

    @Test func importAdoptsALiveRoomUnderADeclaredKeyOnly() async throws {
        try await withTemporaryDirectory { directory in
            let workspace = try UseCaseWorkspace(directory)
            let id = try await workspace.sandbox.addMeetingRoom(AddMeetingRoomRequest(name: "18F-大会议室", capacity: 10))
            let manifests = try workspace.manifests(twoRooms)
            await #expect(throws: RoomSyncError.self) {
                try await ImportUseCase.run(
                    ImportInput(key: "undeclared", meetingroomID: id, manifests: manifests), state: workspace.location,
                    api: workspace.provider, notes: RecordingConsole())
            }
            #expect(!FileManager.default.fileExists(atPath: workspace.statePath))

            try await ImportUseCase.run(
                ImportInput(key: "sz-18f-large", meetingroomID: id, manifests: manifests), state: workspace.location,
                api: workspace.provider, notes: RecordingConsole())
            #expect(try await StateUseCases.show("sz-18f-large", in: workspace.location).meetingroomID == id)
        }
    }
}

@Suite struct StateUseCaseTests {
    @Test func moveRemoveAndHistoryEditOneStepEach() async throws {
        try await withTemporaryDirectory { directory in
            let workspace = try UseCaseWorkspace(directory)
            try await workspace.apply(twoRooms)
            let small = try await StateUseCases.show("sz-18f-small", in: workspace.location).meetingroomID

            try await StateUseCases.move("sz-18f-small", to: "sz-18f-tiny", in: workspace.location, notes: RecordingConsole())
            #expect(try await StateUseCases.show("sz-18f-tiny", in: workspace.location).meetingroomID == small)
            await #expect(throws: StateEdits.noSuchKey("sz-18f-small")) {
                try await StateUseCases.show("sz-18f-small", in: workspace.location)
            }

            try await StateUseCases.remove("sz-18f-tiny", from: workspace.location, notes: RecordingConsole())
            #expect(try await StateUseCases.load(workspace.location).rooms.keys.sorted() == ["sz-18f-large"])
            // The live room is left alone.
            #expect(try await workspace.liveNames() == ["18F-大会议室", "18F-小会议室"])

            let history = try await StateUseCases.history(key: nil, limit: 2, in: workspace.location)
            #expect(history.map(\.action) == ["rm", "move"])
        }
    }

    @Test func aPulledStatePushedIntoAnEmptyStoreReadsBackTheSame() async throws {
        try await withTemporaryDirectory { directory in
            let workspace = try UseCaseWorkspace(directory)
            try await workspace.apply(twoRooms)
            let pulled = try await StateUseCases.pull(serial: nil, from: workspace.location)
            let backup = directory.appendingPathComponent("backup.json").path
            try pulled.write(to: URL(fileURLWithPath: backup))

            let elsewhere = StateLocation(state: directory.appendingPathComponent("other/state.json").path)
            let pushed = try await StateUseCases.push(file: backup, force: false, into: elsewhere, notes: RecordingConsole())
            #expect(pushed.rooms.keys.sorted() == ["sz-18f-large", "sz-18f-small"])
            #expect(try await StateUseCases.pull(serial: nil, from: elsewhere) == pulled)
        }
    }
}
