import Foundation
import RoomSyncCore
import Synchronization

/// The default backend: `.roomsync/state.json`, rewritten atomically on every step, locked by `flock` on
/// `STATE.lock`, with its history appended to `STATE.history.jsonl` (one JSON object a line).
public final class FileStateStore: StateStore {
    public let path: String
    /// Keeps each room's encoded text between writes: most steps change one room.
    private let encoder = StateFileEncoder()
    /// The serial on disk as this process last saw it. The file has no compare-and-set of its own; under the
    /// lock nobody else writes, so checking against what this process read and wrote is enough.
    private let storedSerial = Mutex<Int?>(nil)

    public init(path: String) {
        self.path = path
    }

    public var displayName: String { path }

    public var historyPath: String { path + ".history.jsonl" }

    public func load() async throws -> RoomSyncState {
        let state = try StateFile.load(path)
        storedSerial.withLock { $0 = state.serial }
        return state
    }

    public func withLock<T: Sendable>(
        _ holder: StateWriter, wait: Duration, onWait: @escaping @Sendable (String) -> Void,
        _ body: () async throws -> T
    ) async throws -> T {
        let lock = try await StateLock.acquire(forState: path, holder: holder, wait: wait, onWait: onWait)
        defer { withExtendedLifetime(lock) {} }
        return try await body()
    }

    public func lockHolder() async throws -> String? {
        StateLock.holder(forState: path)
    }

    public func commit(_ state: RoomSyncState, changes: [StateChange], by writer: StateWriter) async throws {
        try storedSerial.withLock { stored in
            if let stored, stored != state.serial - 1 {
                throw EngineError(
                    "state \(path) was written by someone else while this command ran (serial \(stored), expected "
                        + "\(state.serial - 1)); nothing was written, run it again")
            }
        }
        try StateFile.save(state, to: path, encoder: encoder)
        storedSerial.withLock { $0 = state.serial }
        let entries = changes.filter(\.isHistory).map {
            StateHistoryEntry(
                serial: state.serial, at: Date(), writer: writer, key: $0.key, action: $0.action,
                meetingroomIDBefore: $0.meetingroomIDBefore, meetingroomIDAfter: $0.meetingroomIDAfter)
        }
        // The state is stored: the step has happened. A history that cannot be written is not a reason to fail
        // it (and roll back a serial already on disk); the state file, not the history, is the truth.
        if !entries.isEmpty { try? StateHistoryFile.append(entries, to: historyPath) }
    }

    public func history(key: String?, limit: Int) async throws -> [StateHistoryEntry] {
        try StateHistoryFile.read(historyPath, key: key, limit: limit)
    }
}
