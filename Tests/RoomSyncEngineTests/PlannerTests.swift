import RoomSyncCore
import Testing

@testable import RoomSyncEngine

@Suite struct PlannerTests {
    @Test func addsEverythingFromNothing() throws {
        let plan = try Planner.plan(
            desired: [Fixture.desired("a"), Fixture.desired("b", equipment: [.tv, .phone])], live: [], state: RoomSyncState())
        #expect(plan.changes.map(\.action) == [.add, .add])
        #expect(plan.changes[1].addRequest?.equipment == [1, 2])
        #expect(PlanRenderer.summaryLine(plan) == "Plan: 2 to add, 0 to change, 0 to delete, 0 to adopt.")
    }

    @Test func managedAndEqualIsUnchanged() throws {
        let live = Fixture.live(1, name: "a-room", equipment: [2, 1])
        let plan = try Planner.plan(
            desired: [Fixture.desired("a", equipment: [.tv, .phone])], live: [live], state: Fixture.state([("a", live)]))
        #expect(plan.changes.isEmpty)
        #expect(plan.unchanged == 1)
        #expect(PlanRenderer.summaryLine(plan) == "No changes.")
    }

    @Test func renameIsOneEditNeverDeleteAndAdd() throws {
        let live = Fixture.live(7, name: "old")
        let plan = try Planner.plan(desired: [Fixture.desired("a", name: "new")], live: [live], state: Fixture.state([("a", live)]))
        #expect(plan.changes.count == 1)
        let change = try #require(plan.changes.first)
        #expect(change.action == .change)
        #expect(change.meetingroomID == 7)
        #expect(change.editRequest == EditMeetingRoomRequest(meetingroomID: 7, name: "new"))
        #expect(change.fields == [FieldChange(field: "name", before: .string("old"), after: .string("new"))])
    }

    @Test func locationIsSentWhole() throws {
        let live = Fixture.live(7, name: "a-room")
        let moved = RoomLocation(city: "深圳", building: "腾讯大厦", floor: "19F")
        let plan = try Planner.plan(desired: [Fixture.desired("a", location: moved)], live: [live], state: Fixture.state([("a", live)]))
        let change = try #require(plan.changes.first)
        #expect(change.fields.map(\.field) == ["floor"])
        #expect(change.editRequest == EditMeetingRoomRequest(meetingroomID: 7, city: "深圳", building: "腾讯大厦", floor: "19F"))
    }

    @Test func fieldsLeftOutAreNotManaged() throws {
        let live = Fixture.live(7, name: "a-room", location: Fixture.tower, equipment: [1, 3], range: RoomRange(userList: ["x"]))
        let plan = try Planner.plan(
            desired: [Fixture.desired("a", location: nil, equipment: nil, range: nil)], live: [live], state: Fixture.state([("a", live)]))
        #expect(plan.changes.isEmpty)
    }

    @Test func emptyEquipmentClears() throws {
        let live = Fixture.live(7, name: "a-room", equipment: [1, 3])
        let plan = try Planner.plan(desired: [Fixture.desired("a", equipment: [])], live: [live], state: Fixture.state([("a", live)]))
        #expect(plan.changes.first?.editRequest?.equipment == [])
    }

    @Test func hiddenRangeComparesWithLastApplied() throws {
        // `list` hides range; the state remembers what was applied, so there is no edit every run.
        let range = RoomRange(userList: ["lisi", "zhangsan"], departmentList: [1])
        let live = Fixture.live(7, name: "a-room")
        var applied = live
        applied.range = RoomRange(userList: ["zhangsan", "lisi"], departmentList: [1])
        let state = Fixture.state([("a", applied)])
        let same = try Planner.plan(desired: [Fixture.desired("a", range: range)], live: [live], state: state)
        #expect(same.changes.isEmpty)
        let other = try Planner.plan(
            desired: [Fixture.desired("a", range: RoomRange(userList: ["wangwu"]))], live: [live], state: state)
        #expect(other.changes.first?.fields.map(\.field) == ["range"])
    }

    @Test func coordinateOfAnExistingBuildingWarnsButNeverEdits() throws {
        let live = Fixture.live(7, name: "a-room")
        let plan = try Planner.plan(
            desired: [Fixture.desired("a", coordinate: Coordinate(latitude: "1", longitude: "2"))], live: [live],
            state: Fixture.state([("a", live)]))
        #expect(plan.changes.isEmpty)
        #expect(plan.warnings.count == 1)
        #expect(plan.warnings[0].english.contains("building 深圳/腾讯大厦 already has coordinates (22.540503, 113.934528)"))
    }

    @Test func unmanagedMatchIsAdoptedNotDuplicated() throws {
        let live = Fixture.live(3, name: "a-room", capacity: 8)
        let plan = try Planner.plan(desired: [Fixture.desired("a", capacity: 10)], live: [live], state: RoomSyncState())
        let change = try #require(plan.changes.first)
        #expect(change.action == .adopt)
        #expect(change.meetingroomID == 3)
        #expect(change.editRequest == EditMeetingRoomRequest(meetingroomID: 3, capacity: 10))
    }

    /// Names are compared as Strings (canonical equivalence): a name written decomposed in the manifest still
    /// finds its live twin written composed, and is adopted rather than added a second time.
    @Test func aNameInAnotherUnicodeFormIsAdoptedNotDuplicated() throws {
        let live = Fixture.live(3, name: "Caf\u{E9}-room")
        let plan = try Planner.plan(desired: [Fixture.desired("a", name: "Cafe\u{301}-room")], live: [live], state: RoomSyncState())
        let change = try #require(plan.changes.first)
        #expect(change.action == .adopt)
        #expect(change.meetingroomID == 3)
        #expect(change.editRequest == nil)
    }

    @Test func ambiguousAdoptionIsAnError() throws {
        let rooms = [Fixture.live(3, name: "a-room"), Fixture.live(4, name: "a-room")]
        #expect(throws: RoomSyncError.self) {
            try Planner.plan(desired: [Fixture.desired("a")], live: rooms, state: RoomSyncState())
        }
    }

    @Test func vanishedRoomIsReAdded() throws {
        let gone = Fixture.live(9, name: "a-room")
        let plan = try Planner.plan(desired: [Fixture.desired("a")], live: [], state: Fixture.state([("a", gone)]))
        #expect(plan.changes.first?.action == .add)
        #expect(plan.changes.first?.reason?.english == "meetingroom_id 9 was deleted outside roomsync")
    }

    @Test func removedEntryIsDeletedUnlessProtected() throws {
        let a = Fixture.live(1, name: "a-room")
        let b = Fixture.live(2, name: "b-room")
        let plan = try Planner.plan(desired: [], live: [a, b], state: Fixture.state([("a", a), ("b", b)], protect: ["b"]))
        #expect(plan.changes.map(\.key) == ["a"])
        #expect(plan.changes.map(\.action) == [.delete])
        #expect(plan.warnings.contains { $0.english.hasPrefix("room 'b' (meetingroom_id 2) is protected") })
    }

    /// Every state entry declared (one under the key a move gives it): nothing to delete or forget. A key given
    /// twice must not hide an entry no room declares: it is still deleted.
    @Test func undeclaredEntriesAreFoundWhetherOrNotEveryEntryIsDeclared() throws {
        let a = Fixture.live(1, name: "a-room"), b = Fixture.live(2, name: "b-room")
        let moves = [ManifestOperations.Move(from: "old-b", to: "b", origin: SourceLocation(file: "m.yaml", line: 1, column: 1))]
        let declared = try Planner.plan(
            desired: [Fixture.desired("a"), Fixture.desired("b")], live: [a, b], state: Fixture.state([("a", a), ("old-b", b)]),
            operations: ManifestOperations(moves: moves))
        #expect(declared.changes.map(\.action) == [.move])
        #expect(declared.forgottenKeys.isEmpty)
        let twice = try Planner.plan(
            desired: [Fixture.desired("a"), Fixture.desired("a")], live: [a, b], state: Fixture.state([("a", a), ("b", b)]))
        #expect(twice.changes.map(\.key) == ["b"])
        #expect(twice.changes.map(\.action) == [.delete])
    }

    @Test func unmanagedRoomsAreLeftAloneUnlessPrune() throws {
        let console = Fixture.live(5, name: "made in the console")
        let plain = try Planner.plan(desired: [], live: [console], state: RoomSyncState())
        #expect(plain.changes.isEmpty)
        let pruned = try Planner.plan(desired: [], live: [console], state: RoomSyncState(), options: PlanOptions(prune: true))
        #expect(pruned.changes.map(\.key) == ["#5"])
    }

    @Test(arguments: [(10, 3, false), (10, 4, true), (9, 9, false), (20, 6, false), (20, 7, true)])
    func massDeleteGuard(managed: Int, deleted: Int, refused: Bool) throws {
        let rooms = (1...managed).map { ("k\($0)", Fixture.live($0, name: "k\($0)-room")) }
        let desired = rooms.dropFirst(deleted).map { Fixture.desired($0.0) }
        let state = Fixture.state(rooms)
        let live = rooms.map(\.1)
        if refused {
            #expect(throws: MassChangeRefusal.self) { try Planner.plan(desired: desired, live: live, state: state) }
            let allowed = try Planner.plan(desired: desired, live: live, state: state, options: PlanOptions(allowMassDelete: true))
            #expect(allowed.count(.delete) == deleted)
        } else {
            #expect(try Planner.plan(desired: desired, live: live, state: state).count(.delete) == deleted)
        }
    }

    @Test func ordersDeletesThenEditsThenAdds() throws {
        let a = Fixture.live(1, name: "old-a")
        let z = Fixture.live(2, name: "z-room")
        let plan = try Planner.plan(
            desired: [Fixture.desired("a"), Fixture.desired("b")], live: [a, z], state: Fixture.state([("a", a), ("z", z)]))
        #expect(plan.changes.map(\.action) == [.delete, .change, .add])
    }

    @Test func protectFlagIsRememberedWithoutAnAPICall() throws {
        let a = Fixture.live(1, name: "a-room")
        let plan = try Planner.plan(desired: [Fixture.desired("a", protect: true)], live: [a], state: Fixture.state([("a", a)]))
        #expect(plan.changes.isEmpty)
        #expect(plan.protectUpdates == ["a": true])
    }
}

/// SPEC 4's catch-up of a lagging last-applied record covers what the manifest manages, nothing else: a console
/// change to a field the manifest leaves out is drift, and an apply must not copy it into the record.
@Suite struct LaggingRecordTests {
    @Test func onlyTheManagedFieldsOfALaggingRecordCatchUp() throws {
        let applied = Fixture.live(7, name: "a-room", capacity: 10, equipment: [1])
        // An edit to capacity 12 landed but its state write was lost; someone also added a projector in the console.
        var live = applied
        live.capacity = 12
        live.equipment = [1, 3]
        let plan = try Planner.plan(
            desired: [Fixture.desired("a", name: "a-room", capacity: 12)], live: [live], state: Fixture.state([("a", applied)]))
        #expect(plan.changes.isEmpty)
        let record = try #require(plan.recordUpdates["a"])
        #expect(record.capacity == 12, "the managed field catches up")
        #expect(record.equipment == [1], "the console's projector stays drift: the manifest does not manage equipment")
        var state = Fixture.state([("a", applied)])
        state.rooms["a"]?.applied = record
        let drift = DriftDetector.detect(state: state, live: [live], declared: nil)
        #expect(drift.items.map(\.key) == ["a"], "\(drift.items)")
        // And the next plan does not bring it up to date again.
        let next = try Planner.plan(desired: [Fixture.desired("a", name: "a-room", capacity: 12)], live: [live], state: state)
        #expect(next.recordUpdates.isEmpty)
    }

    @Test func aConsoleChangeToAnUnmanagedFieldAloneIsNoRecordUpdate() throws {
        let applied = Fixture.live(7, name: "a-room", equipment: [1])
        var live = applied
        live.equipment = [1, 3]
        let plan = try Planner.plan(desired: [Fixture.desired("a", name: "a-room")], live: [live], state: Fixture.state([("a", applied)]))
        #expect(plan.recordUpdates.isEmpty, "\(plan.recordUpdates)")
    }
}
