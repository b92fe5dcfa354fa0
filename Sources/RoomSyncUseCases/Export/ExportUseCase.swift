import Foundation
import RoomSyncCore
import RoomSyncEngine

/// How an export ended.
public struct ExportOutcome: Sendable {
    public var export: ManifestExporter.Export
    /// Where the manifest was written; `nil` when the caller prints it.
    public var writtenTo: String?
}

/// `roomsync export`: a manifest from the live rooms. Changes nothing: the state is only read.
public enum ExportUseCase {
    /// Writes the manifest to `out` when given (never over the state).
    public static func run(
        out: OutputFile?, state: StateLocation, api: any MeetingRoomAPIProvider, notes: any NoteReporter
    ) async throws -> ExportOutcome {
        try out?.refuseWritingOver(command: "export", saving: .savedThingManifest)
        // Under the state's lock, as plan reads: an add an apply has journaled but not yet recorded would
        // otherwise be exported as an unmanaged room to import under a second key.
        let export = try await state.withLockedStore(command: "export", lookingOnly: true, notes: notes) { store in
            try await api.withAPI { api, target in
                try await SyncPipeline.export(store: store, api: api, target: target)
            }
        }
        if let out { try AtomicFile.write(Data(export.manifest.utf8), to: out.path) }
        return ExportOutcome(export: export, writtenTo: out?.path)
    }
}
