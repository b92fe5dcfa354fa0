import Foundation
import RoomSyncCore
import RoomSyncTestSupport
import Testing

@testable import RoomSyncEngine

/// Issue 23 items 4, 6 and 7 in the engine: the one-key-per-room check, the guards' counts, and the checks a
/// saved plan's operations pass (`ReviewedChangeEndToEndTests` runs them through the binary).
@Suite struct ReviewedChangeTests {
    static let target = StateTarget(endpoint: "sandbox:test", corpID: nil)

    @Test func aStateMappingOneRoomToTwoKeysIsRefusedNamingTheKeysAndTheFix() throws {
        let room = Fixture.live(7, name: "Lobby")
        var state = Fixture.state([("a", room), ("b", room), ("c", Fixture.live(8, name: "Other"))])
        let shared = #expect(throws: RoomSyncError.self) { try state.checkOneKeyPerRoom(in: "s.json") }
        #expect(
            shared?.message == "state s.json maps meetingroom_id 7 to 2 keys, 'a' and 'b'; one live room has one key: "
                + "remove the wrong one with `roomsync state rm KEY`")
        state.rooms["b"] = nil
        try state.checkOneKeyPerRoom(in: "s.json")
    }

    /// `state rm`, the fix the refusal names, removes one key at a time: a state with one id under three keys, or
    /// two shared ids, gets better with each and is stored; an edit that shares a room anew never is.
    @Test func stateRmRepairsAStateSharingSeveralRoomsOneKeyAtATime() async throws {
        try await withTemporaryDirectory { directory in
            let store = FileStateStore(path: directory.appendingPathComponent("s.json").path)
            let seven = Fixture.live(7, name: "Lobby"), eight = Fixture.live(8, name: "Board")
            var broken = Fixture.state([("a", seven), ("b", seven), ("c", seven), ("d", eight), ("e", eight)])
            broken.serial = 0
            try await store.commit(broken.nextStep(), changes: [], by: .current(command: "test"))
            let writer = StateWriter.current(command: "rm")
            for key in ["a", "b", "d"] {
                try await store.edit(action: "rm", by: writer, repairing: true) { try StateEdits.remove(key, from: &$0) }
            }
            let repaired = try await store.load()
            #expect(Set(repaired.rooms.keys) == ["c", "e"])
            try repaired.checkOneKeyPerRoom(in: "s.json")
            // Repairing never lets an edit share a room that was not shared before.
            await #expect(throws: RoomSyncError.self) {
                try await store.edit(action: "mv", by: writer, repairing: true) { $0.rooms["f"] = $0.rooms["c"] }
            }
        }
    }

    @Test(arguments: [(4, true), (3, false)])
    func theMassDeleteGuardCountsManagedRoomsOnlyWithoutPrune(deleted: Int, refused: Bool) throws {
        // 10 managed rooms in a corp of 40: the 30 others are nobody's to delete here.
        let managed = (1...10).map { ("k\($0)", Fixture.live($0, name: "k\($0)-room")) }
        let others = (11...40).map { Fixture.live($0, name: "other-\($0)") }
        let desired = managed.dropFirst(deleted).map { Fixture.desired($0.0) }
        let plan = { try Planner.plan(desired: desired, live: managed.map(\.1) + others, state: Fixture.state(managed)) }
        guard refused else {
            #expect(try plan().count(.delete) == deleted)
            return
        }
        do {
            _ = try plan()
            Issue.record("\(deleted) of 10 managed rooms were deleted unguarded")
        } catch let refusal as MassChangeRefusal {
            #expect(refusal.kind == .delete)
            #expect(refusal.base == 10)
            #expect(refusal.rooms.map(\.key) == ["k1", "k2", "k3", "k4"])
            #expect(refusal.rooms.map(\.meetingroomID) == [1, 2, 3, 4])
            #expect(refusal.message.hasPrefix("the plan deletes 4 of 10 managed rooms (more than 30%)"))
        }
    }

    @Test(arguments: [(10, 4, true), (10, 3, false), (9, 9, false), (20, 7, true)])
    func theMassReaddGuard(managed: Int, vanished: Int, refused: Bool) throws {
        let rooms = (1...managed).map { ("k\($0)", Fixture.live($0, name: "k\($0)-room")) }
        let desired = rooms.map { Fixture.desired($0.0) }
        let live = Array(rooms.map(\.1).dropFirst(vanished))
        let state = Fixture.state(rooms)
        let allowed = try Planner.plan(desired: desired, live: live, state: state, options: PlanOptions(allowMassReadd: true))
        #expect(allowed.count(.add) == vanished)
        guard refused else {
            #expect(try Planner.plan(desired: desired, live: live, state: state).count(.add) == vanished)
            return
        }
        let refusal = #expect(throws: MassChangeRefusal.self) { try Planner.plan(desired: desired, live: live, state: state) }
        #expect(refusal?.kind == .readd)
        #expect(refusal?.rooms.count == vanished)
        #expect(refusal?.base == managed)
        // New keys are adds, not re-adds: never guarded.
        let fresh = (1...managed).map { Fixture.desired("new\($0)") } + desired
        #expect(try Planner.plan(desired: fresh, live: rooms.map(\.1), state: state).count(.add) == managed)
    }

    /// Every kind of operation a plan makes passes the checks of `apply --plan` as it was saved: the checks refuse
    /// what the state forbids or the file contradicts, never a plan as roomsync wrote it.
    @Test func aPlanAsSavedPassesItsChecks() throws {
        let range = RoomRange(userList: ["lisi"], departmentList: [1])
        let changed = Fixture.live(1, name: "k1-room", capacity: 4, equipment: [2], range: range)
        let moving = Fixture.live(2, name: "old-room")
        let gone = Fixture.live(3, name: "gone-room")
        let twin = Fixture.live(4, name: "twin-room")
        let imported = Fixture.live(5, name: "imported")
        let stray = Fixture.live(6, name: "stray")
        let protected = Fixture.live(7, name: "kept")
        let state = Fixture.state(
            [("k1", changed), ("old", moving), ("gone", gone), ("kept", protected)], protect: ["kept"])
        let desired = [
            Fixture.desired(
                "k1", capacity: 12, location: RoomLocation(city: "深圳", building: "腾讯大厦", floor: "19F"),
                equipment: [.tv, .phone], range: RoomRange(userList: ["zhangsan"], departmentList: [])),
            Fixture.desired("new", name: "old-room", capacity: 6),
            Fixture.desired("twin", name: "twin-room"),
            Fixture.desired("imp", name: "imported", capacity: 9),
            // An add of every field: a coordinate and a range in the file read back as themselves.
            Fixture.desired(
                "fresh", location: RoomLocation(city: "北京", building: "新大楼", floor: "1F"), equipment: [.video],
                coordinate: Fixture.towerCoordinate, range: RoomRange(userList: ["wangwu"], departmentList: [2])),
        ]
        let operations = ManifestOperations(
            moves: [.init(from: "old", to: "new", origin: Fixture.origin)],
            imports: [.init(key: "imp", meetingroomID: 5, origin: Fixture.origin)])
        let plan = try Planner.plan(
            desired: desired, live: [changed, moving, gone, twin, imported, stray, protected], state: state,
            options: PlanOptions(prune: true), operations: operations)
        #expect(Set(plan.changes.map(\.action)) == Set(PlannedChange.Action.allCases), "\(plan.changes.map(\.action))")

        let saved = SavedPlan(target: Self.target, plan: plan, state: state)
        let read = try JSONDecoder().decode(SavedPlan.self, from: JSONOutput.encoder().encode(saved))
        #expect(read.plan == plan, "the plan reads back as it was written")
        #expect(read.plan.refusals(against: state, live: [changed, moving, gone, twin, imported, stray, protected]) == [])
        #expect(read.staleReasons(live: [changed, moving, gone, twin, imported, stray, protected], state: state) == [])
    }

    /// A plan file edited by hand must not drop or re-point a mapping whose room is live: a forgotten key whose
    /// room still exists would be adopted or added again by the next plan, an adopt over a live mapping would
    /// leave that room unmanaged (and `--prune` would delete it).
    @Test func aHandEditedPlanCannotForgetOrRepointALiveMapping() throws {
        let lobby = Fixture.live(5, name: "Lobby"), twin = Fixture.live(9, name: "Lobby")
        let state = Fixture.state([("sz-a", lobby)])
        var forgetting = Plan(changes: [], warnings: [], unchanged: 1)
        forgetting.forgottenKeys = ["sz-a"]
        #expect(forgetting.refusals(against: state, live: [lobby]).map(\.room.key) == ["sz-a"])
        #expect(forgetting.refusals(against: state, live: []).isEmpty, "a key whose room is gone is forgotten")
        let adopt = PlannedChange(key: "sz-a", action: .adopt, meetingroomID: 9, fields: [], seen: twin)
        let repointing = Plan(changes: [adopt], warnings: [], unchanged: 0)
        #expect(repointing.refusals(against: state, live: [lobby, twin]).count == 1)
        #expect(repointing.refusals(against: state, live: [twin]).isEmpty, "a key whose room vanished adopts a twin")
    }

    @Test func aStaleSummaryNamesEachRoomOnceAndCountsThem() {
        let findings = (1...12).flatMap { index in
            let room = SavedPlanFinding.Room(key: "k\(index)", meetingroomID: index)
            return [
                SavedPlanFinding(room: room, reason: "'k\(index)' changed"),
                SavedPlanFinding(room: SavedPlanFinding.Room(key: nil, meetingroomID: index), reason: "meetingroom_id \(index) moved"),
            ]
        }
        let summary = SavedPlanFinding.summary(findings)
        #expect(summary.hasPrefix("12 rooms: 'k1' changed; meetingroom_id 1 moved; 'k2' changed;"))
        #expect(summary.hasSuffix("'k10' changed; meetingroom_id 10 moved; and 2 more"))
        #expect(SavedPlanFinding.summary(Array(findings.prefix(2))) == "'k1' changed; meetingroom_id 1 moved")
    }
}
