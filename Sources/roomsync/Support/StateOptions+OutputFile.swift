import RoomSyncCore
import RoomSyncEngine
import RoomSyncUseCases

extension StateOptions {
    /// `path` as a file a command writes (`plan --out`, `export --out`), which must not be this state's file.
    func outputFile(_ path: String) -> OutputFile {
        OutputFile(path: path, stateFile: isPostgres ? nil : state)
    }
}
