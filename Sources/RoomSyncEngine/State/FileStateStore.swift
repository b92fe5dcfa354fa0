import Foundation
import RoomSyncCore
import Synchronization

/// The default backend: `.roomsync/state.json`, rewritten atomically on every step, locked by `flock` on
/// `STATE.lock`, with its history appended to `STATE.history.jsonl` and what each step replaced to
/// `STATE.steps.jsonl` (one JSON object a line each).
public final class FileStateStore: StateStore {
    public let path: String
    /// Keeps each room's encoded text between writes: most steps change one room.
    private let encoder = StateFileEncoder()
    /// The state on disk as this process last read or wrote it: what a step replaces, for the steps file. The file
    /// has no compare-and-set of its own; under the lock nobody else writes, so checking the serial against what
    /// this process read and wrote is enough.
    private let stored = Mutex<RoomSyncState?>(nil)

    public init(path: String) {
        self.path = path
    }

    public var displayName: String { path }

    /// Beside the file the state's writes replace, which for a symlinked state path is the link's target: the
    /// history goes where the state goes.
    public var historyPath: String { location + ".history.jsonl" }

    public var stepsPath: String { location + ".steps.jsonl" }

    private var location: String { (try? AtomicFile.target(of: path)) ?? path }

    public func load() async throws -> RoomSyncState {
        // Tens of megabytes at 100,000 rooms: read beside the list request, not in its way.
        let path = path
        let state = try await offThePool { try StateFile.load(path) }
        stored.withLock { $0 = state }
        // Someone else may have written the file since this process last did: its next write compares every room.
        encoder.forgetBasis()
        return state
    }

    public func load(serial: Int) async throws -> RoomSyncState {
        let current = try StateFile.load(path)
        guard serial != current.serial else { return current }
        var steps: [StateStep] = []
        try StateHistoryFile.readLines(stepsPath, as: StateStep.self) { steps.append($0) }
        return try current.rewound(to: serial, steps: steps, in: path)
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
        try await commit(state, changes: changes, by: writer, replacingSerial: state.serial - 1)
    }

    public func commit(
        _ state: RoomSyncState, changes: [StateChange], by writer: StateWriter, replacingSerial previous: Int
    ) async throws {
        let known = stored.withLock { $0 }
        if let known, known.serial != previous {
            throw RoomSyncError(.stateWrittenMeanwhile, ["path": path, "serial": known.serial, "expected": previous])
        }
        // A store that never read the file (a caller with a state of its own) reads what the step replaces. If it
        // cannot, the write goes ahead and says why it failed in its own words; the step is then not recorded.
        let before = known ?? (try? StateFile.load(path))
        // Only the rooms the changes name are encoded again, when the step follows the state this store wrote.
        let changedKeys = Set(changes.compactMap { change -> String? in
            switch change.kind {
            case .room, .removed: change.key
            case .journaled, .unjournaled, .document: nil
            }
        })
        try StateFile.save(state, to: path, encoder: encoder, changedKeys: changedKeys, after: known?.serial)
        stored.withLock { $0 = state }
        let entries = changes.filter(\.isHistory).map {
            StateHistoryEntry(
                serial: state.serial, at: Date(), writer: writer, key: $0.key, action: $0.action,
                meetingroomIDBefore: $0.meetingroomIDBefore, meetingroomIDAfter: $0.meetingroomIDAfter)
        }
        // The state is stored: the step has happened. A history that cannot be written is not a reason to fail
        // it (and roll back a serial already on disk); the state file, not the history, is the truth. A step
        // missing from the steps file only means `state pull --serial` cannot go back past it, and says so.
        if !entries.isEmpty { try? StateHistoryFile.append(entries, to: historyPath) }
        if let before { try? StateHistoryFile.append([StateStep.between(before, state, changes: changes)], to: stepsPath) }
    }

    public func history(key: String?, limit: Int) async throws -> [StateHistoryEntry] {
        try StateHistoryFile.read(historyPath, key: key, limit: limit)
    }
}
