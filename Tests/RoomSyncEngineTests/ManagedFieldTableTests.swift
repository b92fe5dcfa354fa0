import RoomSyncCore
@testable import RoomSyncEngine
import Testing

/// The table of managed fields (`ManagedFieldTable`) and the rules it drives that no other suite names: the three
/// identity rules, each as it was written before it was read from the table.
@Suite struct ManagedFieldTableTests {
    @Test func everyManagedFieldHasOneRowAndABitOfItsOwn() {
        var fields: [ManagedField] = []
        var bits = ManagedFieldSet()
        ManagedFieldTable.forEachRow { row in
            #expect(bits.intersection(row.bit).isEmpty, "\(row.field) shares a bit")
            fields.append(row.field)
            bits.formUnion(row.bit)
        }
        #expect(Set(fields) == Set(ManagedField.allCases))
        #expect(fields.count == ManagedField.allCases.count)
        #expect(bits == .all)
        for field in ManagedField.allCases {
            #expect(ManagedFieldTable.row(of: field).field == field)
        }
    }

    @Test func anAddWouldCreateARoomListedWithItsFieldsAsSent() {
        let sent = AddMeetingRoomRequest(
            name: "a", capacity: 8, city: "深圳", building: "T", floor: "18F", equipment: [1, 2],
            coordinate: Coordinate(latitude: "1", longitude: "2"), range: RoomRange(userList: ["u", "v"]))
        var live = MeetingRoom(
            meetingroomID: 5, name: "a", capacity: 8, city: "深圳", building: "T", floor: "18F", equipment: [2, 1],
            coordinate: Coordinate(latitude: "3", longitude: "4"), range: RoomRange(userList: ["v", "u"]))
        // Equipment and range as sets; the building keeps its own coordinates.
        #expect(sent.wouldCreate(live))
        live.range = nil
        #expect(sent.wouldCreate(live), "a hidden range is no difference")
        live.range = RoomRange(userList: ["u"])
        #expect(!sent.wouldCreate(live))
        live.range = nil
        for change in [
            { (room: inout MeetingRoom) in room.capacity = 9 }, { $0.name = "b" }, { $0.floor = "19F" }, { $0.equipment = [1] },
        ] {
            var other = live
            change(&other)
            #expect(!sent.wouldCreate(other))
        }
    }

    @Test func twoAddsCouldCreateTheSameRoomWhenOnlyTheirRangesDiffer() {
        let add = AddMeetingRoomRequest(
            name: "a", capacity: 8, city: "深圳", building: "T", floor: "18F", equipment: [1, 2], range: RoomRange(userList: ["u"]))
        var other = add
        other.range = RoomRange(userList: ["w"])
        other.equipment = [2, 1]
        other.coordinate = Coordinate(latitude: "1", longitude: "2")
        #expect(add.couldCreateTheSameRoom(as: other))
        other.capacity = 9
        #expect(!add.couldCreateTheSameRoom(as: other))
        other = add
        other.equipment = nil
        #expect(!add.couldCreateTheSameRoom(as: other))
    }

    @Test func adoptionMatchesOnNameAndOnTheLocationTheManifestSets() {
        let live = Fixture.live(3, name: "a-room", capacity: 50, equipment: [4])
        #expect(Planner.matchesIdentity(Fixture.desired("a", capacity: 8), live), "capacity and equipment are edited, not matched")
        #expect(Planner.matchesIdentity(Fixture.desired("a", location: nil), live), "no location in the manifest: any")
        #expect(!Planner.matchesIdentity(Fixture.desired("a", name: "other"), live))
        let elsewhere = RoomLocation(city: Fixture.tower.city, building: Fixture.tower.building, floor: "99F")
        #expect(!Planner.matchesIdentity(Fixture.desired("a", location: elsewhere), live))
    }
}
