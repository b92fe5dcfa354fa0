import RoomSyncCore
import Testing

@testable import RoomSyncEngine

/// The planner settles rooms that depend on no other (imports, managed rooms still live) on every core, in slices,
/// and decides adds and adoptions in one pass. However the rooms are cut, the plan must be the one of one pass.
@Suite struct PlannerSliceTests {
    /// 400 rooms of every kind: unchanged, changed, protect and ignore_changes flipped, imported, managed but
    /// deleted outside roomsync (adopted or added again), new with an unmanaged twin (two keys competing for one),
    /// new without one, a building whose coordinates differ, and state entries no manifest declares.
    static func world() -> (desired: [DesiredRoom], live: [MeetingRoom], state: RoomSyncState, operations: ManifestOperations) {
        var desired: [DesiredRoom] = []
        var live: [MeetingRoom] = []
        var managed: [(String, MeetingRoom)] = []
        var protected: Set<String> = []
        var imports: [ManifestOperations.Import] = []
        let elsewhere = RoomLocation(city: "北京", building: "银科大厦", floor: "3F")
        for index in 0..<400 {
            let key = "room-\(String(format: "%03d", index))"
            let id = 1_000 + index
            let room = Fixture.live(id, name: "\(key)-room", capacity: 10)
            switch index % 10 {
            case 0, 1:  // unchanged
                live.append(room)
                managed.append((key, room))
                desired.append(Fixture.desired(key))
            case 2:  // capacity changed, protect turned on
                live.append(room)
                managed.append((key, room))
                desired.append(Fixture.desired(key, capacity: 20, protect: true))
            case 3:  // ignore_changes set, protect turned off
                live.append(room)
                managed.append((key, room))
                protected.insert(key)
                var wanted = Fixture.desired(key, capacity: 30)
                wanted.ignoreChanges = [.capacity]
                desired.append(wanted)
            case 4:  // imported
                live.append(room)
                imports.append(ManifestOperations.Import(key: key, meetingroomID: id, origin: Fixture.origin))
                desired.append(Fixture.desired(key, capacity: index % 20 == 4 ? 10 : 12))
            case 5:  // managed, deleted outside roomsync; every other one has an unmanaged twin to adopt
                managed.append((key, room))
                if index % 20 == 5 { live.append(Fixture.live(id + 5_000, name: "\(key)-room")) }
                desired.append(Fixture.desired(key))
            case 6:  // new; two keys want the same unmanaged twin, the first in manifest order gets it
                if index % 20 == 6 { live.append(Fixture.live(id, name: "twin-\(index / 20)")) }
                desired.append(Fixture.desired(key, name: "twin-\(index / 20)"))
            case 7:  // new, no twin; in a building whose coordinates differ from the live rooms'
                live.append(Fixture.live(id, name: "other-\(index)", location: elsewhere))
                desired.append(Fixture.desired(
                    key, location: elsewhere, coordinate: Coordinate(latitude: "1.5", longitude: "2.5")))
            case 8:  // managed, declared by no manifest: deleted (or kept when protected)
                live.append(room)
                managed.append((key, room))
                if index % 20 == 8 { protected.insert(key) }
            default:  // managed, live room changed outside roomsync
                live.append(Fixture.live(id, name: "\(key)-room", capacity: 11))
                managed.append((key, room))
                desired.append(Fixture.desired(key))
            }
        }
        return (desired, live, Fixture.state(managed, protect: protected), ManifestOperations(imports: imports))
    }

    @Test func slicesGiveThePlanOfOnePass() throws {
        let world = Self.world()
        func plan(slices: Int) throws -> Plan {
            try Planner.plan(
                desired: world.desired, index: LiveIndex(world.live), state: world.state,
                options: PlanOptions(prune: true, allowMassDelete: true), operations: world.operations,
                roomsPerSlice: slices)
        }
        let whole = try plan(slices: .max)
        // Every kind of outcome is there, or the comparison proves little.
        let actions = Set(whole.changes.map(\.action))
        #expect(actions.isSuperset(of: [.add, .change, .adopt, .import, .delete]))
        #expect(whole.unchanged > 0 && !whole.warnings.isEmpty)
        #expect(!whole.protectUpdates.isEmpty && !whole.ignoreChangesUpdates.isEmpty)
        for slices in [1, 7, 64, 399] {
            #expect(try plan(slices: slices) == whole, "slices of \(slices)")
        }
    }
}
