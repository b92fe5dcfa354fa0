import RoomSyncCore
import RoomSyncEngine

/// What plan and apply both do before they differ: read the state, check its target, list the live rooms,
/// settle adds an interrupted run journaled, and diff. With no desired rooms (`apply --plan`) there is nothing
/// to diff: the saved plan is the plan.
struct PlanningContext {
    /// The state as the store holds it, before settling.
    var stored: RoomSyncState
    /// The state bound to the target, journaled adds settled.
    var state: RoomSyncState
    var live: [MeetingRoom]
    var plan: Plan
    /// Whether settling journaled adds changed the state, which apply must then save even with no changes.
    var stateSettled: Bool

    /// `desired` is asked for while the live rooms are being listed and the state read, so manifests can still be
    /// parsing; its errors come before any of the state's or the list's.
    static func make(
        desired: () async throws -> ManifestReadResult?, store: any StateStore, api: any MeetingRoomAPI, target: StateTarget,
        options: PlanOptions
    ) async throws -> PlanningContext {
        async let listed = listAllRooms(api)
        // Reading the state (tens of megabytes at 100,000 rooms) overlaps the manifests too; its errors still come
        // after theirs, when it is awaited.
        async let loaded = store.load()
        let desired = try await desired()
        let stored = try await loaded
        var state = stored
        try StateFile.bind(&state, to: target, path: store.displayName)
        let live = try await listed
        let hadPending = !state.pendingAdds.isEmpty
        for note in PendingAddResolver.resolve(&state, live: live) { Console.err("note: \(note)") }
        let plan = try desired.map {
            try Planner.plan(desired: $0.rooms, live: live, state: state, options: options, operations: $0.operations)
        }
            ?? Plan(changes: [], warnings: [], unchanged: 0)
        return PlanningContext(stored: stored, state: state, live: live, plan: plan, stateSettled: hadPending)
    }
}
