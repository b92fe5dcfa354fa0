import RoomSyncCore

/// What plan, apply, drift and export do before they differ: read the state, bind it to the target, list the
/// live rooms, settle the adds an interrupted run journaled, and (plan, apply) diff. The commands only parse
/// arguments, prompt and render what this returns; nothing here prints.
public enum SyncPipeline {
    /// The state and the live rooms, read and settled.
    public struct Snapshot: Sendable {
        /// The state as the store holds it, before anything below.
        public var stored: RoomSyncState
        /// Bound to the target, journaled adds settled.
        public var state: RoomSyncState
        public var live: [MeetingRoom]
        /// A line per journaled add settled, for the user.
        public var notes: [String]
        /// `live` indexed for the planner, built as soon as the list arrived (while the manifests were still being
        /// read) when the snapshot is for a plan.
        var liveIndex: LiveIndex?

        /// Whether `state` differs from `stored` (a new binding, settled adds): a command that writes stores
        /// that first.
        public var needsSaving: Bool { !notes.isEmpty || stored.target == nil }
    }

    /// A snapshot and the plan made from it.
    public struct Planned: Sendable {
        public var snapshot: Snapshot
        public var plan: Plan
    }

    /// Reads the state and lists the live rooms at once, binds, settles.
    public static func snapshot(store: any StateStore, api: any MeetingRoomAPI, target: StateTarget) async throws -> Snapshot {
        try await snapshot(store: store, api: api, target: target, while: {})
    }

    /// Plans `desired` against the snapshot. `desired` is asked for while the live rooms are being listed and the
    /// state read, so manifests can still be parsing; its errors come before any of the state's or the list's.
    /// With no desired rooms (`apply --plan`) there is nothing to diff: the plan is empty.
    public static func plan(
        desired: () async throws -> ManifestReadResult?, store: any StateStore, api: any MeetingRoomAPI,
        target: StateTarget, options: PlanOptions
    ) async throws -> Planned {
        var read: ManifestReadResult?
        let snapshot = try await snapshot(store: store, api: api, target: target, indexing: true) { read = try await desired() }
        let plan = try read.map {
            try Planner.plan(
                desired: $0.rooms, index: snapshot.liveIndex ?? LiveIndex(snapshot.live), state: snapshot.state,
                options: options, operations: $0.operations)
        } ?? Plan(changes: [], warnings: [], unchanged: 0)
        return Planned(snapshot: snapshot, plan: plan)
    }

    /// Drift of the snapshot; with manifests, of the rooms they declare only (SPEC 4).
    public static func drift(
        declared: Set<String>?, subset: Subset = Subset(), store: any StateStore, api: any MeetingRoomAPI, target: StateTarget
    ) async throws -> (snapshot: Snapshot, report: DriftReport) {
        let snapshot = try await snapshot(store: store, api: api, target: target)
        return (snapshot, DriftDetector.detect(state: snapshot.state, live: snapshot.live, declared: declared, subset: subset))
    }

    /// `drift --accept`: records the drift of `report` in the state as accepted and returns the report marked so.
    /// With manifest PATHs (`declared`) only their rooms were looked at: what was accepted about others stays.
    public static func acceptDrift(
        _ report: DriftReport, declared: Set<String>?, subset: Subset = Subset(), snapshot: Snapshot, store: any StateStore,
        by writer: StateWriter
    ) async throws -> DriftReport {
        var state = snapshot.state
        let kept: [AcceptedDrift]
        if subset.isEverything {
            kept = (state.acceptedDrift ?? []).filter { item in
                guard let declared else { return false }
                return item.key.map { !declared.contains($0) } ?? true
            }
        } else {
            // What was accepted about rooms this run did not look at (other manifests, outside the subset) stays.
            let byID = Dictionary(snapshot.live.map { ($0.meetingroomID, $0) }) { first, _ in first }
            let looked = Set(state.rooms.lazy.filter { key, entry in
                (declared?.contains(key) ?? true)
                    && subset.contains(key: key, declared: nil, live: byID[entry.meetingroomID], applied: entry.applied)
            }.map(\.key))
            kept = (state.acceptedDrift ?? []).filter { item in
                if let key = item.key { return !looked.contains(key) }
                guard declared == nil, let room = byID[item.meetingroomID] else { return declared != nil }
                return !subset.containsUnmanaged(room)
            }
        }
        let accepted = kept + report.acceptance
        state.acceptedDrift = accepted.isEmpty ? nil : accepted
        let changes = StateChange.between(snapshot.stored, state, action: "accept")
        try await store.commit(state.nextStep(), changes: changes, by: writer)
        return DriftDetector.marking(report, accepted: accepted)
    }

    /// `export`: reads the state (bound to the target in memory, journaled adds settled in memory, so a room an
    /// interrupted add created keeps the key it was added under) and lists the live rooms; writes nothing. Managed
    /// rooms keep their keys, the others are written with an `import:` entry each (SPEC 3).
    public static func export(store: any StateStore, api: any MeetingRoomAPI, target: StateTarget) async throws -> ManifestExporter.Export {
        let snapshot = try await snapshot(store: store, api: api, target: target)
        return ManifestExporter.export(live: snapshot.live, state: snapshot.state)
    }

    /// `during` runs while the list and the state read are under way; its errors come first.
    private static func snapshot(
        store: any StateStore, api: any MeetingRoomAPI, target: StateTarget, indexing: Bool = false,
        while during: () async throws -> Void
    ) async throws -> Snapshot {
        async let listed = { () async throws -> ([MeetingRoom], LiveIndex?) in
            let live = try await api.listMeetingRooms(ListMeetingRoomsRequest())
            return (live, indexing ? LiveIndex(live) : nil)
        }()
        // Reading the state (tens of megabytes at 100,000 rooms) overlaps the manifests too.
        async let loaded = store.load()
        try await during()
        let stored = try await loaded
        try stored.checkOneKeyPerRoom(in: store.displayName)
        var state = stored
        // The list answers first: a wrong corp id or secret (40013, 40001) is named as such, not taken for a
        // state of another target.
        let (live, liveIndex) = try await listed
        try StateFile.bind(&state, to: target, path: store.displayName)
        let notes = PendingAddResolver.resolve(&state, live: live)
        return Snapshot(stored: stored, state: state, live: live, notes: notes, liveIndex: liveIndex)
    }
}
