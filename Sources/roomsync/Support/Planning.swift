import RoomSyncCore
import RoomSyncEngine

/// What plan and apply both do before they differ: read the state, check its target, list the live rooms,
/// settle adds an interrupted run journaled, and diff. With no desired rooms (`apply --plan`) there is nothing
/// to diff: the saved plan is the plan.
struct PlanningContext {
    var state: RoomSyncState
    var live: [MeetingRoom]
    var plan: Plan
    /// Whether settling journaled adds changed the state, which apply must then save even with no changes.
    var stateSettled: Bool

    static func make(
        desired: [DesiredRoom]?, statePath: String, api: any MeetingRoomAPI, target: StateTarget, options: PlanOptions
    ) async throws -> PlanningContext {
        var state = try StateFile.load(statePath)
        try StateFile.bind(&state, to: target, path: statePath)
        let live = try await listAllRooms(api)
        let hadPending = !state.pendingAdds.isEmpty
        for note in PendingAddResolver.resolve(&state, live: live) { Console.err("note: \(note)") }
        let plan = try desired.map { try Planner.plan(desired: $0, live: live, state: state, options: options) }
            ?? Plan(changes: [], warnings: [], unchanged: 0)
        return PlanningContext(state: state, live: live, plan: plan, stateSettled: hadPending)
    }
}
