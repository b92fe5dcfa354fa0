import Foundation
import RoomSyncCore

/// Reads and writes the state file. Every write is atomic, so a killed process leaves the previous valid state.
public enum StateFile {
    public static func load(_ path: String) throws -> RoomSyncState {
        let read: MappedFile?
        do {
            // Mapped, not read: at 100,000 rooms the file is tens of megabytes, and the reader drops what it has
            // read as it goes, so the file is never in memory whole next to the state made from it.
            read = try AtomicFile.map(path)
        } catch {
            throw error.error(about: .state)
        }
        guard let file = read else { return RoomSyncState() }
        let state: RoomSyncState
        do {
            // The fast reader accepts only what JSONDecoder accepts; anything else goes to JSONDecoder, which
            // either reads it or says precisely what is wrong.
            let fast = file.withBytes { bytes in
                try? JSONReader.read(bytes, releasingBehind: { file.release(before: $0) }) { try RoomSyncState(reading: &$0) }
            }
            state = try fast ?? JSONDecoder().decode(RoomSyncState.self, from: file.contents)
        } catch {
            throw RoomSyncError(.stateFileInvalid, ["path": path, "why": describe(error)])
        }
        guard state.formatVersion == RoomSyncState.formatVersion else {
            throw RoomSyncError(.stateFormatVersion, ["path": path, "version": state.formatVersion])
        }
        return state
    }

    public static func save(_ state: RoomSyncState, to path: String) throws {
        try write(encode(state), to: path)
    }

    /// `save` through `encoder`, which re-encodes only the rooms that changed: those `changedKeys` names when the
    /// step follows the state of serial `previous` that it last wrote, else those that differ from what it holds.
    static func save(
        _ state: RoomSyncState, to path: String, encoder: StateFileEncoder, changedKeys: Set<String>?, after previous: Int?
    ) throws {
        do {
            try encoder.write(state, to: path, changedKeys: changedKeys, after: previous)
        } catch let error as FileSystemError {
            throw error.error(about: .state)
        }
    }

    /// A failed write leaves the previous file whole and says which file and why, in one line.
    private static func write(_ data: Data, to path: String) throws {
        do {
            try AtomicFile.write(data, to: path)
        } catch {
            throw error.error(about: .state)
        }
    }

    static func encode(_ state: RoomSyncState) throws -> Data {
        let encoder = JSONOutput.encoder()
        var data = try encoder.encode(state)
        data.append(UInt8(ascii: "\n"))
        return data
    }

    /// Fails unless the state is new or belongs to `target`; binds a new state to it.
    public static func bind(_ state: inout RoomSyncState, to target: StateTarget, path: String) throws {
        if let bound = state.target {
            guard bound == target else {
                // A database keeps a state per workspace: the fix is usually another --workspace, not another file.
                if path.hasPrefix("postgres://") {
                    throw RoomSyncError(.stateOfOtherWorkspace, ["path": path, "bound": bound, "target": target])
                }
                throw RoomSyncError(.stateFileOfOtherTarget, ["path": path, "bound": bound, "target": target])
            }
        } else {
            state.target = target
        }
    }
}

/// A short account of a decoding failure, without dumping the whole file.
func describe(_ error: any Error) -> String {
    switch error {
    case DecodingError.dataCorrupted(let context), DecodingError.typeMismatch(_, let context),
        DecodingError.valueNotFound(_, let context):
        let path = context.codingPath.map(\.stringValue).joined(separator: ".")
        return path.isEmpty ? context.debugDescription : "\(path): \(context.debugDescription)"
    case DecodingError.keyNotFound(let key, let context):
        let path = (context.codingPath + [key]).map(\.stringValue).joined(separator: ".")
        return "missing \(path)"
    default:
        return "\(error)"
    }
}
