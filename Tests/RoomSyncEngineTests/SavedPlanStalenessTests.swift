import Foundation
import RoomSyncCore
import RoomSyncEngine
import RoomSyncTestSupport
import Testing

/// A saved plan is stale only when what its operations depend on changed: the fields roomsync manages and sends,
/// read through the one room comparison (`RoomDiff`). A read-only field (`need_approval`, set in the admin
/// console) changing alone leaves the plan valid, and a stale plan names the fields that changed.
@Suite struct SavedPlanStalenessTests {
    static let target = StateTarget(endpoint: "sandbox:test", corpID: nil)

    /// A plan renaming `a` (meetingroom_id 7), deleting `gone` (8) and pruning an unmanaged room (9), saved.
    func saved(in directory: URL) throws -> (path: String, plan: Plan, live: [MeetingRoom], state: RoomSyncState) {
        let path = directory.appendingPathComponent("plan.json").path
        let live = [Fixture.live(7, name: "old"), Fixture.live(8, name: "gone"), Fixture.live(9, name: "stray")]
        let state = Fixture.state([("a", live[0]), ("gone", live[1])])
        let plan = try Planner.plan(
            desired: [Fixture.desired("a", name: "new")], live: live, state: state, options: PlanOptions(prune: true))
        #expect(plan.changes.map(\.action).sorted { $0.rawValue < $1.rawValue } == [.change, .delete, .delete])
        try SavedPlan(target: Self.target, plan: plan, state: state).write(to: path)
        return (path, plan, live, state)
    }

    @Test func aChangeOfNeedApprovalAloneLeavesThePlanValid() async throws {
        try await withTemporaryDirectory { directory in
            let (path, plan, live, state) = try saved(in: directory)
            // The admin console turns on approval for every room the plan touches, and nothing else.
            let approved = live.map { room -> MeetingRoom in
                var room = room
                room.needApproval = 1
                return room
            }
            let saved = try SavedPlan.read(from: path)
            #expect(saved.staleReasons(live: approved, state: state) == [])
            let applicable = try SavedPlan.applicable(path, target: Self.target, live: approved, state: state)
            #expect(applicable.changes.map(\.key) == plan.changes.map(\.key))
            // What apply records as the room's last-applied record is the room as it is now: the new
            // need_approval, not the one the plan saw.
            #expect(applicable.changes.compactMap(\.seen).allSatisfy { $0.needApproval == 1 })
        }
    }

    @Test func aStalePlanNamesOnlyTheManagedFieldsThatChanged() async throws {
        try await withTemporaryDirectory { directory in
            let (path, _, live, state) = try saved(in: directory)
            var changed = live
            changed[0].needApproval = 1
            changed[0].capacity = 30
            changed[0].equipment = [2]
            changed[2].needApproval = 1
            changed[2].name = "stray renamed"
            let reasons = try SavedPlan.read(from: path).staleReasons(live: changed, state: state)
            #expect(Set(reasons) == [
                "'#9' (meetingroom_id 9) changed since the plan was made (name)",
                "'a' (meetingroom_id 7) changed since the plan was made (capacity, equipment)",
            ])
            #expect(reasons.count == 2)
            #expect(reasons.allSatisfy { !$0.contains("need_approval") && !$0.contains("()") })
        }
    }

    @Test func equipmentInAnotherOrderIsNoChange() async throws {
        try await withTemporaryDirectory { directory in
            let path = directory.appendingPathComponent("plan.json").path
            let live = Fixture.live(7, name: "old", equipment: [1, 3])
            let state = Fixture.state([("a", live)])
            let plan = try Planner.plan(desired: [Fixture.desired("a", name: "new")], live: [live], state: state)
            try SavedPlan(target: Self.target, plan: plan, state: state).write(to: path)
            var reordered = live
            reordered.equipment = [3, 1]
            #expect(try SavedPlan.read(from: path).staleReasons(live: [reordered], state: state) == [])
        }
    }
}
