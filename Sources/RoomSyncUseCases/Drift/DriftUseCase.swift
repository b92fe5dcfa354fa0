import RoomSyncCore
import RoomSyncEngine

/// What `drift` is given, once its arguments are parsed.
public struct DriftInput: Sendable {
    /// The keys the manifest PATHs declare: only their rooms are reported; `nil` reports every room.
    public var declared: Set<String>?
    public var subset: Subset
    /// `--accept`: record the drift seen now as accepted.
    public var accept: Bool

    public init(declared: Set<String>? = nil, subset: Subset = Subset(), accept: Bool = false) {
        self.declared = declared
        self.subset = subset
        self.accept = accept
    }
}

/// How a drift run ended.
public struct DriftOutcome: Sendable {
    public var report: DriftReport
    /// The target's description, for `--notify`.
    public var target: String
    /// With `--accept`: how many items were recorded as accepted, and in which state.
    public var accepted: (count: Int, state: String)?

    /// 2 when there is drift that is new or changed since it was accepted, 0 when in sync.
    public var exitStatus: Int32 { report.hasDrift ? 2 : 0 }
}

/// `roomsync drift`: compares the live rooms with what was last applied. Under the state's lock, so an apply in
/// progress is never reported as drift; accepting writes the state, reporting only reads and creates nothing.
public enum DriftUseCase {
    public static func run(
        _ input: DriftInput, state: StateLocation, api: any MeetingRoomAPIProvider, notes: any NoteReporter
    ) async throws -> DriftOutcome {
        try await state.withLockedStore(command: "drift", lookingOnly: !input.accept, notes: notes) { store in
            try await api.withAPI { api, target in
                let (snapshot, found) = try await SyncPipeline.drift(
                    declared: input.declared, subset: input.subset, store: store, api: api, target: target)
                for note in snapshot.notes { notes.note(note) }
                guard input.accept else { return DriftOutcome(report: found, target: target.description) }
                let marked = try await SyncPipeline.acceptDrift(
                    found, declared: input.declared, subset: input.subset, snapshot: snapshot, store: store,
                    by: .current(command: "drift"))
                return DriftOutcome(report: marked, target: target.description, accepted: (found.items.count, store.displayName))
            }
        }
    }
}
