import Foundation
import RoomSyncCore

/// The seam between the engine and where the state is kept (SPEC 8): a file (`FileStateStore`) or a PostgreSQL
/// workspace. The engine reads the whole state once per command, holds the store's lock while it writes, and
/// writes step by step: every step names what changed, so a backend with a row per room writes only those rows,
/// and carries the serial it expects, so a step never lands on a state someone else changed meanwhile.
public protocol StateStore: Sendable {
    /// How the user named this state, for messages: a file path, or `postgres://USER@HOST:PORT/DB (workspace W)`.
    /// Never contains a password.
    var displayName: String { get }

    /// The whole state; an empty one (serial 0, no lineage) when nothing was stored yet.
    func load() async throws -> RoomSyncState

    /// The state as it was when its serial was `serial` (`state pull --serial N`): the current state with the
    /// recorded steps after `serial` undone, newest first. One clear line when `serial` is not one the state had,
    /// or a step on the way back was not recorded.
    func load(serial: Int) async throws -> RoomSyncState

    /// Runs `body` holding this state's lock: one writer at a time, across processes and machines. A lock whose
    /// holder died is free. When the lock is held, fails at once naming the holder, or with `wait` above zero
    /// calls `onWait` once with the holder's description and waits up to `wait` for it.
    func withLock<T: Sendable>(
        _ holder: StateWriter, wait: Duration, onWait: @escaping @Sendable (String) -> Void,
        _ body: () async throws -> T
    ) async throws -> T

    /// Who holds this state's lock right now (as `StateWriter.description` names a roomsync run), or `nil` when
    /// nobody does. Takes no lock and writes nothing: `doctor` asks while another run may be applying.
    func lockHolder() async throws -> String?

    /// Stores one step. `state` is the whole state after the step, with `state.serial` already incremented;
    /// `changes` say what the step changed, for backends that write rows and keep a history. Compare-and-set:
    /// fails, writing nothing, unless the stored serial is `state.serial - 1`.
    func commit(_ state: RoomSyncState, changes: [StateChange], by writer: StateWriter) async throws

    /// `commit`, over the stored serial `previous` where that is below `state.serial - 1`: `state push` keeps the
    /// serial of the file it loads, so that a later push of an older file of the lineage is seen to be older
    /// (SPEC 8). Compare-and-set on `previous`. `state pull --serial` cannot go back past such a step.
    func commit(_ state: RoomSyncState, changes: [StateChange], by writer: StateWriter, replacingSerial previous: Int) async throws

    /// The recorded changes, newest first; only those of `key` when given.
    func history(key: String?, limit: Int) async throws -> [StateHistoryEntry]
}

/// Who is writing: kept with the lock (so a second run can name the holder) and with every history entry.
public struct StateWriter: Sendable, Hashable, Codable {
    public var host: String
    public var pid: Int
    /// The operating-system user.
    public var user: String
    /// The roomsync command, for example `apply`.
    public var command: String
    public var since: Date

    public init(host: String, pid: Int, user: String, command: String, since: Date = Date()) {
        self.host = host
        self.pid = pid
        self.user = user
        self.command = command
        self.since = since
    }

    /// This process, running `command`.
    public static func current(command: String) -> StateWriter {
        let info = ProcessInfo.processInfo
        let user = info.environment["USER"] ?? info.environment["LOGNAME"] ?? NSUserName()
        return StateWriter(host: info.hostName, pid: Int(info.processIdentifier), user: user, command: command)
    }

    /// `roomsync apply (pid 42 on ci-runner-3, user runner, since 2026-11-25T03:14:15Z)`.
    public var description: String {
        "roomsync \(command) (pid \(pid) on \(host), user \(user), since \(ISO8601DateFormatter().string(from: since)))"
    }
}

/// What one step changed in a state.
public struct StateChange: Sendable, Hashable {
    public enum Kind: Sendable, Hashable {
        /// The key now maps to this room (added, adopted, edited, imported, moved here, protect changed).
        case room(ManagedRoom)
        /// The key left the state (deleted, forgotten, removed, moved away).
        case removed
        /// An add written down before it is sent.
        case journaled(PendingAdd)
        /// A journaled add was settled (recorded, refused, or found never to have reached WeCom).
        case unjournaled
        /// Something outside the rooms and the journal: the target, accepted drift, the lineage.
        case document
    }

    /// The manifest key; empty for `document`.
    public var key: String
    public var kind: Kind
    /// What roomsync did, for the history: add, change, adopt, delete, import, move, rm, forget, protect, push.
    public var action: String
    /// The room the key mapped to before the step, if any.
    public var meetingroomIDBefore: Int?

    public init(key: String, kind: Kind, action: String, meetingroomIDBefore: Int? = nil) {
        self.key = key
        self.kind = kind
        self.action = action
        self.meetingroomIDBefore = meetingroomIDBefore
    }

    /// The room the key maps to after the step, if any.
    public var meetingroomIDAfter: Int? {
        if case .room(let room) = kind { return room.meetingroomID }
        return nil
    }

    /// Whether the history keeps this change: mappings do; the journal and document fields are bookkeeping.
    public var isHistory: Bool {
        switch kind {
        case .room, .removed: true
        case .journaled, .unjournaled, .document: false
        }
    }
}

/// One line of `roomsync state history`: when, who, what.
public struct StateHistoryEntry: Sendable, Hashable, Codable {
    public var serial: Int
    public var at: Date
    public var writer: StateWriter
    public var key: String
    public var action: String
    public var meetingroomIDBefore: Int?
    public var meetingroomIDAfter: Int?

    public init(
        serial: Int, at: Date, writer: StateWriter, key: String, action: String, meetingroomIDBefore: Int?,
        meetingroomIDAfter: Int?
    ) {
        self.serial = serial
        self.at = at
        self.writer = writer
        self.key = key
        self.action = action
        self.meetingroomIDBefore = meetingroomIDBefore
        self.meetingroomIDAfter = meetingroomIDAfter
    }
}

extension StateChange {
    /// What turns `old` into `new`, in key order: for edits made to the whole state at once (import, state mv|rm,
    /// export, settling journaled adds, push), where no operation lists its own changes.
    public static func between(_ old: RoomSyncState, _ new: RoomSyncState, action: String) -> [StateChange] {
        var changes: [StateChange] = []
        for (key, room) in new.rooms where old.rooms[key] != room {
            changes.append(StateChange(key: key, kind: .room(room), action: action, meetingroomIDBefore: old.rooms[key]?.meetingroomID))
        }
        for (key, room) in old.rooms where new.rooms[key] == nil {
            changes.append(StateChange(key: key, kind: .removed, action: action, meetingroomIDBefore: room.meetingroomID))
        }
        let oldJournal = Dictionary(old.pendingAdds.map { ($0.key, $0) }, uniquingKeysWith: { $1 })
        let newJournal = Dictionary(new.pendingAdds.map { ($0.key, $0) }, uniquingKeysWith: { $1 })
        for (key, pending) in newJournal where oldJournal[key] != pending {
            changes.append(StateChange(key: key, kind: .journaled(pending), action: action))
        }
        for key in oldJournal.keys where newJournal[key] == nil {
            changes.append(StateChange(key: key, kind: .unjournaled, action: action))
        }
        changes.sort { $0.key < $1.key }
        if old.document != new.document {
            changes.append(StateChange(key: "", kind: .document, action: action))
        }
        return changes
    }
}

extension RoomSyncState {
    /// Everything but the rooms, the journal and the serial: what a `.document` change stores (a file rewrites
    /// it whole; a database keeps it in one row).
    public var document: RoomSyncState {
        var document = self
        document.rooms = [:]
        document.pendingAdds = []
        document.serial = 0
        return document
    }
}

extension StateStore {
    /// For a store that only ever moves one serial at a time.
    public func commit(
        _ state: RoomSyncState, changes: [StateChange], by writer: StateWriter, replacingSerial previous: Int
    ) async throws {
        guard previous == state.serial - 1 else {
            throw RoomSyncError(.stateCannotStoreSerial, ["state": displayName, "serial": state.serial, "previous": previous])
        }
        try await commit(state, changes: changes, by: writer)
    }

    /// Stores `state` as the one step after `stored`, naming what changed (`StateChange.between`); stores nothing
    /// when nothing did. The step follows the stored serial and lineage whatever built `state` (export makes a new
    /// state). The caller holds the lock.
    public func commit(_ state: RoomSyncState, over stored: RoomSyncState, action: String, by writer: StateWriter) async throws {
        let changes = StateChange.between(stored, state, action: action)
        guard !changes.isEmpty else { return }
        var step = state
        step.serial = stored.serial
        step.lineage = state.lineage ?? stored.lineage
        try await commit(step.nextStep(), changes: changes, by: writer)
    }

    /// Loads the state, runs `body` on it and stores what `body` leaves as one step named `action`. Edits of the
    /// state outside apply (import, state mv|rm) go through here; the caller holds the lock. A state that maps one
    /// room to two keys is refused before `body` runs, unless `repairing` (`state rm`, the fix the refusal names);
    /// it is stored only by a repair that shares no room anew.
    public func edit<T>(
        action: String, by writer: StateWriter, repairing: Bool = false, _ body: (inout RoomSyncState) async throws -> T
    ) async throws -> T {
        let stored = try await load()
        if !repairing { try stored.checkOneKeyPerRoom(in: displayName) }
        var state = stored
        let result = try await body(&state)
        // A repair removes one key at a time, so a state with one room under three keys, or several shared rooms,
        // is stored as it gets better; what it must never do is share a room anew.
        if !repairing || !state.sharedMappings.isSubset(of: stored.sharedMappings) {
            try state.checkOneKeyPerRoom(in: displayName)
        }
        try await commit(state, over: stored, action: action, by: writer)
        return result
    }
}
