import RoomSyncCore
import RoomSyncEngine

/// A file a command writes (`plan --out`, `export --out`) never replaces what roomsync reads: a manifest read in
/// the same run, or the state. Replaced by a plan, `rooms.yaml` would be gone and the state would no longer parse.
/// `command` names the option in the error, `what` says what it meant to save.
func refuseWritingOver(
    _ out: String, command: String, saving what: String, manifests: [String] = [], state: StateOptions
) throws {
    if let manifest = manifests.first(where: { AtomicFile.isSameFile(out, $0) }) {
        throw EngineError("\(command) --out \(out) would write over the manifest \(manifest); save the \(what) to another file")
    }
    if !state.isPostgres, AtomicFile.isSameFile(out, state.state) {
        throw EngineError("\(command) --out \(out) would write over the state \(state.displayName); save the \(what) to another file")
    }
}
