import RoomSyncCore
import RoomSyncEngine

/// A file a command writes (`plan --out`, `export --out`) never replaces what roomsync reads: a manifest read in
/// the same run, or the state. Replaced by a plan, `rooms.yaml` would be gone and the state would no longer parse.
public struct OutputFile: Sendable, Hashable {
    public var path: String
    /// The state's file, `nil` for a database.
    public var stateFile: String?

    public init(path: String, stateFile: String?) {
        self.path = path
        self.stateFile = stateFile
    }

    /// Throws when the file is a manifest or the state. `command` names the option in the error, `what` says
    /// what it meant to save (`savedThingPlan`, `savedThingManifest`).
    public func refuseWritingOver(command: String, saving what: MessageKey, manifests: [String] = []) throws {
        if let manifest = manifests.first(where: { AtomicFile.isSameFile(path, $0) }) {
            throw RoomSyncError(
                .outWouldOverwriteManifest, ["command": command, "out": path, "manifest": manifest, "what": Catalogue.text(what)])
        }
        if let stateFile, AtomicFile.isSameFile(path, stateFile) {
            throw RoomSyncError(
                .outWouldOverwriteState, ["command": command, "out": path, "state": stateFile, "what": Catalogue.text(what)])
        }
    }
}
